"""One run of the job, whatever the engine: check, read, decide, stage, then switch the
published result, in the store first and locally after.

Order matters to readers. At every moment the range has a complete result (files and a
manifest that agree) in S3 or locally or both:
- reading and deciding change nothing a reader sees; the new files are complete under
  temporary names (and, with S3, under this run's staging prefix) before the switch;
- the switch withdraws the store's earlier manifest, puts the staged files under their
  final names, and uploads the new manifest last; only then does the local result change,
  the same way (manifest last);
- a failure before the switch leaves both earlier results; a failure in the store's switch
  leaves the earlier local one; a SIGTERM once the switch has begun waits for it to end
  (utils/stopping.py).
What differs between one pass, worker processes and Spark tasks is the engine
(services/engine.py).
"""

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional

from config import constants
from config.errors import ConfigError
from config.settings import JobConfig
from interfaces.errors import OutputError, PublishError
from interfaces.ports import ObjectStore
from interfaces.values import SourceReport, TimeWindow
from services.conversation_extraction_service import ExtractionStats
from services.engine import Engine
from services.manifest import build_manifest
from services.reading import Written
from services.run_outputs import (
    FAILED_REJECTS_NAME,
    JSON_CONTENT_TYPE,
    PublishedFile,
    RunOutputs,
)
from services.run_profile import (
    RunProfile,
    commit_files,
    profile_run,
    save_state,
    stage_files,
    temporary_path,
)
from services.state import DatasetPlace
from utils.claims import Busy, FolderLock, remove_abandoned_work_folders
from utils.files import AtomicFile, remove_abandoned_temporary_files
from utils.stopping import switching

logger = logging.getLogger(__name__)


class JobFailure(Exception):
    """A runtime failure decided by the job itself (rejects over MAX_REJECT_RATIO)."""


@dataclass
class JobResult:
    stats: ExtractionStats
    source: SourceReport
    note: Optional[str] = None  # what the user should know about an odd result
    outputs: Dict[str, PublishedFile] = field(default_factory=dict)
    parts: List[PublishedFile] = field(default_factory=list)  # rows in parts (Spark)
    manifest: Dict[str, object] = field(default_factory=dict)
    window: Optional[TimeWindow] = None  # what the run read
    folder: str = ""  # where its local metadata is


def run_job(config: JobConfig, engine: Engine, store: Optional[ObjectStore] = None,
            now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
            ) -> JobResult:
    """Check, read, decide, stage, switch: the one sequence of every engine (the module's
    docstring says why in this order). A run that fails or is stopped before the switch
    leaves nothing of its own behind (its outputs discard what they hold)."""
    if config.partitioned:
        from services.partitioned_job import run_partitioned
        return run_partitioned(config, engine, store, now)
    outputs = RunOutputs(config)
    check_outputs_stay_under(config.output_dir, outputs.files())
    with locked(outputs.folder, "of {} is writing to".format(config.range_label)):
        return _run_holding_the_lock(config, engine, store, now, outputs)


@contextlib.contextmanager
def locked(folder: str, doing: str) -> Iterator[None]:
    """One run at a time writes `folder` on this machine; another is a JobFailure that says
    which (`doing`: what the other run is doing, as the message puts it)."""
    lock = FolderLock(folder)
    try:
        lock.acquire()
    except Busy as holder:
        raise JobFailure("another run {} {}: {}; wait for it to end (if no such run exists, "
                         "remove {})".format(doing, folder, holder, lock.path)) from None
    try:
        yield
    finally:
        lock.release()


def _run_holding_the_lock(config: JobConfig, engine: Engine, store: Optional[ObjectStore],
                          now: Callable[[], dt.datetime], outputs: RunOutputs) -> JobResult:
    started_at = now()
    started = time.monotonic()
    clean_abandoned_files(outputs.folder)
    if store is not None:
        store.check()
    logger.info("job_start job=%s run_id=%s source=%s range=%s..%s output=%s engine=%s",
                config.job_name, config.job_run_id, config.repository_type, config.start_date,
                config.end_date, outputs.folder, engine.name)
    engine.prepare(config, store)
    with outputs:
        written = engine.read(config, outputs)
        outputs.hold(written.data, written.rejects)
        outputs.data.measure(written.data.temporary_path if written.data else None)
        outputs.rejects.measure(written.rejects.temporary_path)
        stats = written.stats
        logger.info("extracted documents=%d rows=%d rejects=%d seconds=%.2f rate_per_s=%.0f",
                    stats.documents_read, stats.rows_written, stats.rejected, stats.seconds,
                    stats.documents_read / stats.seconds if stats.seconds > 0 else 0.0)
        source = written.source  # described after reading: it holds the source's own counts
        warn_when_runs_look_missing(stats, source)
        note = nothing_selected_note(config, stats, source)
        if note:
            logger.warning("nothing_selected %s", note)
        check_reject_ratio(config, written, outputs.rejects)
        check_not_emptying(config, stats, outputs.earlier_manifests(), store, note)
        result = JobResult(stats=stats, source=source, note=note)
        place = DatasetPlace(config.output_dir, store)
        profiled = profile_run(config, place, written.statistics, stats)
        stage_files(profiled, outputs, report_summary(config, stats, now(),
                                                      "days {} to {}".format(
                                                          config.start_date, config.end_date)))
        try:
            engine.stage(config, written, outputs, store, result)
            if store is not None:
                stage_profile_files(config, profiled, outputs, store)
        except PublishError as error:
            raise PublishError("{}; nothing was published: the earlier result of the range "
                               "is unchanged, locally and in S3".format(error)) from None
        result.manifest = build_manifest(config, source, stats, written.statistics,
                                         dict(result.outputs, **profile_outputs(profiled)),
                                         started_at, now(), time.monotonic() - started)
        result.manifest.update(engine.manifest_fields())
        if result.parts:
            result.manifest["parts"] = [part.describe() for part in result.parts]
        manifest = staged_manifest(result.manifest, outputs)
        with switching():
            if store is not None:
                switch_remote(config, engine, outputs, store, result, manifest, profiled)
            try:
                engine.switch_local(config, written, outputs, result)
                commit_files(profiled)
                manifest.commit()
            except OSError as error:
                raise OutputError("cannot publish the outputs in {}: {}{}".format(
                    outputs.folder, error.strerror or error,
                    "; the new result is complete in S3" if store is not None else "")
                                  ) from None
            outputs.commit()
    result.outputs["manifest"] = outputs.manifest
    result.outputs.update(profile_outputs(profiled))
    result.window, result.folder = config.window(), outputs.folder
    try:
        save_state(config, place, profiled)
    except (OutputError, PublishError) as error:
        # the run's result is complete and published; only the next comparison is older
        logger.warning("profile_state_not_saved error=%s: the next run compares with an "
                       "earlier profile", error)
    return result


def profile_outputs(profiled: RunProfile) -> Dict[str, PublishedFile]:
    return {os.path.basename(file.path).lstrip("_").split(".")[0]: file
            for file in profiled.files}


def stage_profile_files(config: JobConfig, profiled: RunProfile, outputs: RunOutputs,
                        store: ObjectStore) -> None:
    """The profile, drift and report under this run's staging prefix, which the engine
    removes however the run ends."""
    for file in profiled.files:
        store.upload(temporary_path(profiled, file), outputs.staged_key(file), file.content_type,
                     {"job-run-id": config.job_run_id}, file.sha256)
        file.s3_uri = store.uri(file.key)


def report_summary(config: JobConfig, stats: ExtractionStats, finished_at: dt.datetime,
                   selection: str) -> Dict[str, object]:
    """What the report's summary shows of the run."""
    return {"job_name": config.job_name, "job_run_id": config.job_run_id,
            "selection": selection, "documents_read": stats.documents_read,
            "rejects": stats.rejected, "warnings": dict(stats.warnings.items()),
            "shapes": dict(stats.shapes.items()),
            "finished_at": finished_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def clean_abandoned_files(folder: str) -> None:
    """What runs that no longer exist left: temporary files in the run's folder, work
    folders in TMPDIR."""
    removed = remove_abandoned_temporary_files(folder)
    if removed:
        logger.info("removed_abandoned_temporary_files folder=%s count=%d", folder, removed)
    work_folder = tempfile.gettempdir()
    removed = remove_abandoned_work_folders(work_folder)
    if removed:
        logger.info("removed_abandoned_work_folders folder=%s count=%d", work_folder, removed)


def staged_manifest(content: Dict[str, object], outputs: RunOutputs) -> AtomicFile:
    """The manifest, complete under a temporary name: measured, and registered with the
    outputs so that a run that does not commit removes it."""
    manifest = AtomicFile(outputs.manifest.path)
    outputs.hold(manifest)
    try:
        manifest.write(json.dumps(content, indent=2, allow_nan=False) + "\n")
        manifest.close()
    except OSError as error:
        raise OutputError("cannot write the manifest {}: {}".format(
            outputs.manifest.path, error.strerror or error)) from None
    outputs.manifest.measure(manifest.temporary_path)
    return manifest


def switch_remote(config: JobConfig, engine: Engine, outputs: RunOutputs, store: ObjectStore,
                  result: JobResult, manifest: AtomicFile, profiled: RunProfile) -> None:
    """The store first: the new result complete there before anything local changes. A
    failure leaves the store without a manifest for the range (it is withdrawn first) and
    the local earlier result as it was."""
    try:
        engine.switch_remote(config, outputs, store, result)
        for file in profiled.files:
            store.copy(outputs.staged_key(file), file.key, file.content_type,
                       {"job-run-id": config.job_run_id}, file.size, file.sha256)
        outputs.manifest.s3_uri = store.upload(
            manifest.temporary_path, outputs.manifest.key, JSON_CONTENT_TYPE,
            {"job-run-id": config.job_run_id}, outputs.manifest.sha256)
    except PublishError as error:
        raise PublishError(
            "{}; S3 holds no complete result of the range until a run succeeds (its "
            "manifest is withdrawn first); the earlier local result in {} is unchanged".format(
                error, outputs.folder)) from None


def check_outputs_stay_under(output_dir: str, outputs) -> None:
    """Every local output lies inside OUTPUT_DIR (S3_PREFIX is validated too; this is the
    last guard before anything is written)."""
    root = os.path.realpath(output_dir)
    for output in outputs:
        path = os.path.realpath(output.path)
        if os.path.commonpath([root, path]) != root:
            raise ConfigError("S3_PREFIX", "a prefix that keeps outputs under OUTPUT_DIR",
                              "{} is outside {}".format(path, root))


def check_reject_ratio(config: JobConfig, written: Written,
                       rejects_file: PublishedFile) -> None:
    """Over MAX_REJECT_RATIO the run fails before publishing anything. Its rejects are kept
    for inspection beside the earlier outputs, under their own name."""
    stats = written.stats
    if not stats.documents_read or stats.rejected <= config.max_reject_ratio * stats.documents_read:
        return
    failed_rejects = os.path.join(os.path.dirname(rejects_file.path), FAILED_REJECTS_NAME)
    written.rejects.commit(failed_rejects)
    raise JobFailure("{} of {} documents rejected, over MAX_REJECT_RATIO={}; see {}".format(
        stats.rejected, stats.documents_read, config.max_reject_ratio, failed_rejects))


def nothing_selected_note(config: JobConfig, stats: ExtractionStats,
                          source: SourceReport) -> Optional[str]:
    """When the range selected nothing from a source that held documents, say so and which
    range would select them."""
    collections = source.collections_instead
    if collections is not None and not stats.documents_read:
        return ("collection {} does not exist in database {} ({}): check COLLECTION_NAME and "
                "DATABASE_NAME".format(
                    source.description.get("collection"), source.description.get("database"),
                    "its collections: " + ", ".join(collections) if collections
                    else "which has no collections"))
    outside = source.outside_range
    if stats.documents_read or outside is None or not outside.get("documents"):
        return None
    if not outside.get("earliest"):
        return "the range selected 0 of {:,} documents, none of which has a {} that is a " \
               "time".format(outside["documents"], config.date_field)
    return ("the range selected 0 of {:,} documents, whose {} runs from {} to {}: try "
            "--START_DATE {} --END_DATE {} (at most {} days a run)").format(
        outside["documents"], config.date_field, outside["earliest"], outside["latest"],
        outside["earliest"], outside["latest"], constants.MAX_RANGE_DAYS)


def check_not_emptying(config: JobConfig, stats: ExtractionStats,
                       manifests: List[PublishedFile], store: Optional[ObjectStore],
                       note: Optional[str] = None) -> None:
    """An empty result must not silently replace a non-empty one of the same range (a
    wrong range, a source that lost its data): fail unless ALLOW_EMPTY says it may.
    `manifests`: where the earlier result's manifest may be."""
    if stats.rows_written or config.allow_empty:
        return
    earlier = [(manifest.path, _rows_in(_read_local(manifest.path))) for manifest in manifests]
    if store is not None:
        earlier += [(store.uri(manifest.key), _rows_in(store.fetch(manifest.key)))
                    for manifest in manifests]
    for where, rows in earlier:
        if rows:
            raise JobFailure(
                "refusing to replace the earlier result of {} ({:,} rows, {}) with an empty one; "
                "{}; set ALLOW_EMPTY=true if an empty range is expected".format(
                    config.range_label, rows, "in S3" if where.startswith("s3://") else "local",
                    note or "check the date range and the source"))


def _read_local(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _rows_in(manifest: Optional[bytes]) -> int:
    try:
        return int(json.loads(manifest)["rows_written"]) if manifest else 0
    except (ValueError, TypeError, KeyError):
        return 0


SESSIONS_WITHOUT_RUNS = "sessions_without_runs"


def warn_when_runs_look_missing(stats: ExtractionStats, source: SourceReport) -> None:
    """Rows of zeros that look valid are the worst output this job can give. When half or
    more of the sessions have no runs and no runs collection was joined, the likely cause
    is an Agno 3 database (runs in their own collection) read without it: say so, and
    count the warning `sessions_without_runs` (the number of such sessions)."""
    if (source.runs_joined or not stats.rows_written
            or 2 * stats.sessions_without_runs < stats.rows_written):
        return
    stats.warnings[SESSIONS_WITHOUT_RUNS] = stats.sessions_without_runs
    logger.warning(
        "sessions_without_runs count=%d of=%d: no runs collection was joined; if this is an "
        "Agno 3 database its runs live in their own collection: set RUNS_COLLECTION (MongoDB) "
        "or RUNS_INPUT_PATH (file)", stats.sessions_without_runs, stats.rows_written)
