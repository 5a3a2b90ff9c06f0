"""One run of the job: read, compute, write locally, publish, then the manifest last.

Order matters to readers: the CSV and rejects are complete files before anything names
them; the manifest, written last (locally, then to S3), is the marker that they are
complete. A stale manifest from an earlier run of the same range is withdrawn before new
files take its place, and on any failure no manifest is written anywhere.
"""

import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from calculators.columns import COLUMN_NAMES
from calculators.normalise import SHAPES
from config.settings import JobConfig
from interfaces.abstractions import DateRange, ObjectStore, OutputError, SessionRepository
from services.column_statistics import ColumnStatistics
from services.conversation_extraction_service import ExtractionStats, extract_features
from services.csv_generator_service import CsvWriter
from services.reject_log import RejectLog
from utils.files import AtomicFile, file_size, remove_if_present, sha256_of

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
REJECTS_NAME = "rejects.jsonl"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
JSONL_CONTENT_TYPE = "application/x-ndjson"
JSON_CONTENT_TYPE = "application/json"


class JobFailure(Exception):
    """A runtime failure decided by the job itself (rejects over MAX_REJECT_RATIO)."""


@dataclass
class OutputFile:
    path: str
    key: str
    content_type: str
    size: int = 0
    sha256: str = ""
    s3_uri: Optional[str] = None

    def describe(self) -> Dict[str, object]:
        return {"path": self.path, "key": self.key, "size": self.size, "sha256": self.sha256,
                "s3_uri": self.s3_uri}


@dataclass
class JobResult:
    stats: ExtractionStats
    outputs: Dict[str, OutputFile] = field(default_factory=dict)
    manifest: Dict[str, object] = field(default_factory=dict)


def run_job(config: JobConfig, repository: SessionRepository,
            store: Optional[ObjectStore] = None,
            now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
            ) -> JobResult:
    started_at = now()
    started = time.monotonic()
    folder = os.path.join(config.output_dir, *config.output_key_prefix.split("/"))
    csv_file = _output(config, folder, config.csv_name, CSV_CONTENT_TYPE)
    rejects_file = _output(config, folder, REJECTS_NAME, JSONL_CONTENT_TYPE)
    manifest_file = _output(config, folder, MANIFEST_NAME, JSON_CONTENT_TYPE)

    # Until this run's manifest exists, nothing here may look complete.
    remove_if_present(manifest_file.path)
    date_range = DateRange(config.start_date, config.end_date)
    logger.info("job_start job=%s run_id=%s source=%s range=%s..%s output=%s", config.job_name,
                config.job_run_id, config.repository_type, config.start_date, config.end_date,
                folder)

    writer = rejects = None
    try:
        writer = CsvWriter(csv_file.path)
        rejects = RejectLog(rejects_file.path)
        statistics = ColumnStatistics()
        stats = extract_features(
            repository.documents(date_range), writer, rejects, config.thresholds,
            forced_shape=None if config.session_schema == "auto" else config.session_schema,
            statistics=statistics)
        writer.commit()
        if rejects.commit() is None:
            remove_if_present(rejects_file.path)
    except BaseException as error:
        for output in (writer, rejects):
            if output is not None:
                output.discard()
        if isinstance(error, OSError):
            raise OutputError("cannot write the outputs under {}: {}".format(
                folder, error.strerror or error)) from None
        raise
    logger.info("extracted documents=%d rows=%d rejects=%d seconds=%.2f rate_per_s=%.0f",
                stats.documents_read, stats.rows_written, stats.rejected, stats.seconds,
                stats.documents_read / stats.seconds if stats.seconds > 0 else 0.0)
    warn_when_runs_look_missing(stats, repository.describe())

    result = JobResult(stats=stats)
    result.outputs["csv"] = csv_file
    if stats.rejected:
        result.outputs["rejects"] = rejects_file
    outputs: List[OutputFile] = list(result.outputs.values())
    for output in outputs:
        output.size = file_size(output.path) or 0
        output.sha256 = sha256_of(output.path)

    if stats.documents_read and stats.rejected > config.max_reject_ratio * stats.documents_read:
        raise JobFailure("{} of {} documents rejected, over MAX_REJECT_RATIO={}; see {}".format(
            stats.rejected, stats.documents_read, config.max_reject_ratio, rejects_file.path))

    if store is not None:
        store.delete(manifest_file.key)
        if not stats.rejected:
            store.delete(rejects_file.key)
        metadata = {"rows": str(stats.rows_written), "start-date": str(config.start_date),
                    "end-date": str(config.end_date), "job-run-id": config.job_run_id}
        for output in outputs:
            output.s3_uri = store.upload(output.path, output.key, output.content_type,
                                         metadata, output.sha256)

    result.manifest = build_manifest(config, repository, stats, statistics, result.outputs,
                                     started_at, now(), time.monotonic() - started)
    # The manifest takes its final name locally only once it is published, so a failed
    # upload leaves no manifest anywhere.
    manifest = AtomicFile(manifest_file.path)
    try:
        manifest.write(json.dumps(result.manifest, indent=2, allow_nan=False) + "\n")
        manifest.close()
        manifest_file.size = file_size(manifest.temporary_path) or 0
        manifest_file.sha256 = sha256_of(manifest.temporary_path)
        if store is not None:
            manifest_file.s3_uri = store.upload(
                manifest.temporary_path, manifest_file.key, JSON_CONTENT_TYPE,
                {"job-run-id": config.job_run_id}, manifest_file.sha256)
        manifest.commit()
    except BaseException:
        manifest.discard()
        raise
    result.outputs["manifest"] = manifest_file
    return result


SESSIONS_WITHOUT_RUNS = "sessions_without_runs"


def warn_when_runs_look_missing(stats: ExtractionStats, source: Dict[str, object]) -> None:
    """Rows of zeros that look valid are the worst output this job can give. When half or
    more of the sessions have no runs and no runs collection was joined, the likely cause
    is an Agno 3 database (runs in their own collection) read without it: say so, and
    count the warning `sessions_without_runs` (the number of such sessions)."""
    runs = source.get("runs")
    joined = isinstance(runs, dict) and runs.get("joined")
    if joined or not stats.rows_written or 2 * stats.sessions_without_runs < stats.rows_written:
        return
    stats.warnings[SESSIONS_WITHOUT_RUNS] = stats.sessions_without_runs
    logger.warning(
        "sessions_without_runs count=%d of=%d: no runs collection was joined; if this is an "
        "Agno 3 database its runs live in their own collection: set RUNS_COLLECTION (MongoDB) "
        "or RUNS_INPUT_PATH (file)", stats.sessions_without_runs, stats.rows_written)


def _output(config: JobConfig, folder: str, name: str, content_type: str) -> OutputFile:
    return OutputFile(path=os.path.join(folder, name),
                      key="{}/{}".format(config.output_key_prefix, name), content_type=content_type)


def build_manifest(config: JobConfig, repository: SessionRepository, stats: ExtractionStats,
                   statistics: ColumnStatistics, outputs: Dict[str, OutputFile],
                   started_at: dt.datetime, finished_at: dt.datetime,
                   seconds: float) -> Dict[str, object]:
    return {
        "job_name": config.job_name,
        "job_run_id": config.job_run_id,
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "duration_seconds": round(seconds, 3),
        "date_range": {"start_date": str(config.start_date), "end_date": str(config.end_date),
                       "time_zone": "UTC", "end_inclusive": True},
        "source": dict(repository.describe(), session_schema=config.session_schema),
        "documents_read": stats.documents_read,
        "rows_written": stats.rows_written,
        "rejects": stats.rejected,
        "reject_reasons": dict(sorted(stats.reject_reasons.items())),
        "warnings": dict(sorted(stats.warnings.items())),
        "shapes": {shape: stats.shapes.get(shape, 0) for shape in SHAPES},
        "thresholds": config.thresholds.as_dict(),
        "max_reject_ratio": config.max_reject_ratio,
        "columns": list(COLUMN_NAMES),
        "column_statistics": _finite(statistics.as_dict()),
        "outputs": {name: output.describe() for name, output in outputs.items()},
    }


def _finite(statistics: Dict[str, Dict[str, object]]) -> Dict[str, Dict[str, object]]:
    """JSON has no inf: a mean that overflowed is reported as null."""
    return {name: {key: (value if value is not None and value - value == 0 else None)
                   for key, value in values.items()}
            for name, values in statistics.items()}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
