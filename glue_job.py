"""Agno agent sessions in MongoDB -> one row of features per session, as CSV, on S3.

Runs as an AWS Glue Python Shell job (Python 3.9) and locally: `python glue_job.py`, with
parameters as `--NAME value` job arguments or environment variables (README, Parameters).
Standard output ends with one JSON summary line; the exit status is 0 on success, 1 on a
runtime failure and 2 on a configuration error.
"""

import json
import logging
import os
import signal
import sys
import time
from typing import Dict, List, Mapping, Optional

from config.constants import EXIT_CONFIG_ERROR, EXIT_OK, EXIT_RUNTIME_FAILURE
from config.errors import ConfigError
from config.settings import help_text, load_config
from factories.bootstrap import bootstrap
from interfaces.abstractions import JobStopped, OutputError, PublishError, SourceError
from services.dataset_job import JobFailure, run_job
from utils.logging_setup import configure_logging, redaction
from utils.secrets import one_line, passwords_in

logger = logging.getLogger("glue_job")


def main(argv: Optional[List[str]] = None, environ: Optional[Mapping[str, str]] = None) -> int:
    previous_handler = _stop_on_sigterm()
    try:
        return _run(argv, environ)
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)


def _stop_on_sigterm():
    """Turns SIGTERM into JobStopped in the main thread; returns the handler it replaced."""
    def stop(signum, frame):
        raise JobStopped("stopped by SIGTERM")
    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (an embedding application): leave it alone
        return None


def _run(argv: Optional[List[str]], environ: Optional[Mapping[str, str]]) -> int:
    started = time.monotonic()
    argv = list(sys.argv if argv is None else argv)
    if "--help" in argv[1:] or "-h" in argv[1:]:
        sys.stdout.write(help_text())
        return EXIT_OK
    environ = os.environ if environ is None else environ
    configure_logging("INFO")
    # Known before parsing, so even an error about the URI itself cannot print its password.
    redaction.add(*passwords_in(" ".join(argv[1:] + [environ.get("MONGO_URI", "")])))
    try:
        config = load_config(argv, environ)
    except ConfigError as error:
        return _finish(EXIT_CONFIG_ERROR, {"error": "configuration: " + str(error)})
    configure_logging(config.log_level)
    logger.debug("configuration %s", json.dumps(config.echo(), default=str, sort_keys=True))

    dependencies = None
    try:
        dependencies = bootstrap(config)
        result = run_job(config, dependencies.repository, dependencies.store,
                         prepare_slices=dependencies.prepare_slices)
    except ConfigError as error:
        return _finish(EXIT_CONFIG_ERROR, {"error": "configuration: " + str(error)})
    except (SourceError, PublishError, OutputError, JobFailure, OSError) as error:
        return _finish(EXIT_RUNTIME_FAILURE, {"error": _one_line(error)})
    except JobStopped:
        return _finish(EXIT_RUNTIME_FAILURE, {
            "error": "stopped by SIGTERM (a Glue stop or timeout) before the run completed; "
                     "its temporary files were removed and nothing new was published"})
    except Exception as error:  # a bug: one line in the summary, the traceback in the log
        logger.error("unexpected failure", exc_info=True)
        return _finish(EXIT_RUNTIME_FAILURE, {
            "error": "unexpected {}: {}".format(type(error).__name__, _one_line(error))})
    finally:
        if dependencies is not None and dependencies.repository is not None:
            dependencies.repository.close()

    stats = result.stats
    summary = {
        "job_name": config.job_name, "job_run_id": config.job_run_id,
        "source": config.repository_type,
        "start_date": str(config.start_date), "end_date": str(config.end_date),
        "documents_read": stats.documents_read, "rows_written": stats.rows_written,
        "rejects": stats.rejected, "warnings": dict(sorted(stats.warnings.items())),
        "published": bool(config.s3_bucket),
        "outside_range": result.manifest["source"].get("outside_range"),
        "note": result.note,
        "outputs": {name: {"path": output.path, "s3_uri": output.s3_uri}
                    for name, output in result.outputs.items()},
    }
    summary = {key: value for key, value in summary.items() if value is not None}
    logger.info("job_done documents=%d rows=%d rejects=%d seconds=%.1f csv=%s published=%s",
                stats.documents_read, stats.rows_written, stats.rejected,
                time.monotonic() - started, result.outputs["csv"].path, summary["published"])
    return _finish(EXIT_OK, summary)


def _one_line(error: BaseException) -> str:
    return one_line(str(error), redaction.secrets) or type(error).__name__


def _finish(status: int, fields: Dict[str, object]) -> int:
    summary = dict({"success": status == EXIT_OK, "exit_status": status}, **fields)
    if status != EXIT_OK:
        logger.error("job_failed exit_status=%d error=%s", status, fields.get("error"))
    sys.stdout.write(json.dumps(summary, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
