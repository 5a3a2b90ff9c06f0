"""The command line of both engines: parameters in, one JSON summary line out, and the
exit status (0 success, 1 runtime failure, 2 configuration error). glue_job.py (Python
shell, local) and spark_job.py (Glue for Spark) differ only in the engine they pass."""

import functools
import json
import logging
import os
import signal
import sys
import time
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from config.constants import EXIT_CONFIG_ERROR, EXIT_OK, EXIT_RUNTIME_FAILURE
from config.errors import ConfigError
from config.settings import JobConfig, help_text
from factories.bootstrap import python_shell_engine, spark_engine
from factories.configuration import load_config
from factories.sources.simulated import write_labels
from interfaces.errors import JobStopped, OutputError, PublishError, SourceError
from interfaces.ports import ObjectStore
from services.dataset_job import JobFailure, JobResult, run_job
from services.engine import Engine
from services.run_profile import DriftFailure
from utils.logging_setup import configure_logging, redaction
from utils.secrets import one_line, passwords_in
from utils.stopping import begin_run, stop_now_or_after_the_switch, stop_was_deferred

logger = logging.getLogger("glue_job")

# How a run is wired: its engine and its store (factories/bootstrap.py).
EngineBuilder = Callable[[JobConfig], Tuple[Engine, Optional[ObjectStore]]]
# What the command line runs: python_shell or spark; the summary's fields and a log line.
Runner = Callable[[JobConfig], Tuple[Dict[str, object], str]]


def python_shell(config: JobConfig) -> Tuple[Dict[str, object], str]:
    """One process (WORKERS > 1: with worker processes): read, write locally, publish."""
    return run(config, python_shell_engine)


def spark(config: JobConfig, session=None, task=None) -> Tuple[Dict[str, object], str]:
    """AWS Glue for Spark: the slices run as Spark tasks, their parts published to S3."""
    if config.workers != 1:
        logger.warning("workers_ignored WORKERS=%d: on Spark the slices follow the cluster's "
                       "cores (4 per core)", config.workers)
    return run(config, functools.partial(spark_engine, session=session, task=task))


def run(config: JobConfig, build: EngineBuilder) -> Tuple[Dict[str, object], str]:
    """One configured run: the summary's fields and a line for the log."""
    engine, store = build(config)
    try:
        simulated_now = config.simulated_now
        if simulated_now is not None and config.repository_type == "simulated":
            # the simulated world's present is the run's clock (its window ends there)
            result = run_job(config, engine, store, now=lambda: simulated_now)
        else:
            result = run_job(config, engine, store)
    finally:
        engine.close()
    outputs: Dict[str, object] = {}
    if config.simulated_labels and config.repository_type == "simulated" and result.window:
        outputs["labels"] = {"path": write_labels(config, result.window, result.folder)}
    if config.partitioned:
        outputs["partitions"] = [part.s3_uri or part.key for part in result.parts]
        where = "partitions={}".format(len(result.parts))
    elif result.parts:
        outputs["parts"] = [part.s3_uri for part in result.parts]
        where = "parts={}".format(len(result.parts))
    else:
        where = "{}={}".format(config.output_format, result.outputs[config.output_format].path)
    outputs.update({name: {"path": output.path, "s3_uri": output.s3_uri}
                    for name, output in result.outputs.items()})
    return summary_of(config, result, outputs), where


def summary_of(config: JobConfig, result: JobResult,
               outputs: Dict[str, object]) -> Dict[str, object]:
    stats = result.stats
    summary = {
        "job_name": config.job_name, "job_run_id": config.job_run_id,
        "source": config.repository_type,
        "start_date": None if config.partitioned else str(config.start_date),
        "end_date": None if config.partitioned else str(config.end_date),
        "window": result.manifest.get("window") if config.partitioned else None,
        "documents_read": stats.documents_read, "rows_written": stats.rows_written,
        "rejects": stats.rejected, "warnings": dict(sorted(stats.warnings.items())),
        "published": bool(config.s3_bucket),
        "outside_range": result.source.outside_range,
        "note": result.note,
        "outputs": outputs,
    }
    return {key: value for key, value in summary.items() if value is not None}


def main(argv: Optional[List[str]] = None, environ: Optional[Mapping[str, str]] = None,
         engine: Runner = python_shell) -> int:
    previous_handler = _stop_on_sigterm()
    try:
        return _run(argv, environ, engine)
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)


def _stop_on_sigterm():
    """Turns SIGTERM into JobStopped in the main thread, until the run starts switching its
    published result (utils/stopping.py); returns the handler it replaced."""
    begin_run()
    try:
        return signal.signal(signal.SIGTERM, stop_now_or_after_the_switch)
    except ValueError:  # not the main thread (an embedding application): leave it alone
        return None


def _run(argv: Optional[List[str]], environ: Optional[Mapping[str, str]],
         engine: Runner) -> int:
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

    try:
        summary, where = engine(config)
    except ConfigError as error:
        return _finish(EXIT_CONFIG_ERROR, {"error": "configuration: " + str(error)})
    except (SourceError, PublishError, OutputError, JobFailure, DriftFailure, OSError) as error:
        return _finish(EXIT_RUNTIME_FAILURE, {"error": _one_line(error)})
    except JobStopped:
        return _finish(EXIT_RUNTIME_FAILURE, {
            "error": "stopped by SIGTERM (a Glue stop or timeout) before publishing; its "
                     "temporary files were removed and the earlier result of the range is "
                     "unchanged, locally and in S3"})
    except Exception as error:  # a bug: one line in the summary, the traceback in the log
        logger.error("unexpected failure", exc_info=True)
        return _finish(EXIT_RUNTIME_FAILURE, {
            "error": "unexpected {}: {}".format(type(error).__name__, _one_line(error))})
    if stop_was_deferred():
        logger.warning("sigterm_during_publish: SIGTERM arrived while the new result replaced "
                       "the earlier one; the switch was completed first")
    logger.info("job_done documents=%d rows=%d rejects=%d seconds=%.1f %s published=%s",
                summary["documents_read"], summary["rows_written"], summary["rejects"],
                time.monotonic() - started, where, summary["published"])
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
