"""One run of the partitioned layout: a dataset of day partitions kept up to date by change.

    {S3_PREFIX}/dt=YYYY-MM-DD/part-00000.parquet   every session whose first run is that day
    {S3_PREFIX}/_runs/{JOB_RUN_ID}/_manifest.json  the run: window, partitions written, ...
    {S3_PREFIX}/_state/watermark.json              the last window's upper bound, written last
    {S3_PREFIX}/_state/dataset.json                the format every partition is written in

The sequence: decide the window of changes (the watermark minus LOOKBACK_MINUTES up to now
minus SETTLE_MINUTES; a backfill's days; the default range when there is no watermark),
read it with the engine, decide (MAX_REJECT_RATIO), split its rows by day, then for every
day touched replace the day's object with its rebuilt self in one write (conditional in S3,
an atomic rename locally), then the run's rejects and manifest, and the watermark last.

A run stopped anywhere leaves every partition either as it was or rebuilt, and the
watermark where it was: the next run's window holds every change this one read (it starts
at the same watermark, minus the lookback), and rebuilding is idempotent, so the dataset
converges to what one uninterrupted run gives. The dataset lives in the bucket when
S3_BUCKET is set, else under OUTPUT_DIR.
"""

import dataclasses
import datetime as dt
import hashlib
import logging
import os
import shutil
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

from config.errors import ConfigError
from config.parameters import _one_month_before
from config.settings import JobConfig
from interfaces.errors import OutputError
from interfaces.ports import ObjectStore
from interfaces.values import ChangeWindow, DateRange
from services.dataset_job import (
    JobResult,
    check_reject_ratio,
    clean_abandoned_files,
    locked,
    profile_outputs,
    report_summary,
    staged_manifest,
    warn_when_runs_look_missing,
)
from services.engine import Engine
from services.manifest import CONTRACT_VERSION, build_manifest
from services.partitions import (
    DAY_PROFILE_NAME,
    DaySpool,
    day_key,
    partition_key,
    rebuild_day,
    statistics_of_day,
)
from services.profile import build_profile
from services.run_outputs import (
    DATA_CONTENT_TYPES,
    JSON_CONTENT_TYPE,
    JSONL_CONTENT_TYPE,
    PublishedFile,
    RunOutputs,
)
from services.run_profile import (
    commit_files,
    profile_run,
    save_state,
    stage_files,
    temporary_path,
)
from services.state import DatasetPlace, read_json, state_key, write_json
from utils.claims import work_folder_prefix
from utils.files import file_size, sha256_of
from utils.stopping import switching
from utils.timestamps import utc_text

logger = logging.getLogger(__name__)

WATERMARK_NAME = "watermark.json"
DATASET_NAME = "dataset.json"
UNCONDITIONAL_WRITES = "unconditional_writes"
RUNS_CHANGES_NOT_SELECTED = "runs_changes_not_selected"


def decide_window(config: JobConfig, watermark: Optional[int], now: dt.datetime
                  ) -> Tuple[ChangeWindow, bool]:
    """(the window of changes this run reads, whether it is a backfill).

    START_DATE/END_DATE given: the changes in those days (up to now - SETTLE_MINUTES), a
    backfill, which leaves the watermark alone. Else from the watermark minus
    LOOKBACK_MINUTES, or with no watermark from the default range's first day, up to now
    minus SETTLE_MINUTES, bounds included."""
    settled = int(now.timestamp()) - 60 * config.settle_minutes
    if config.dates_given:
        days = DateRange(config.start_date, config.end_date)
        start, end_exclusive = int(days.start_seconds), int(days.end_exclusive_seconds)
        end_exclusive = min(end_exclusive, settled + 1)
        return ChangeWindow(start, max(start, end_exclusive)), True
    if watermark is not None:
        start = watermark - 60 * config.lookback_minutes
    else:
        first_day = _one_month_before(now.astimezone(dt.timezone.utc).date())
        start = int(DateRange(first_day, first_day).start_seconds)
    return ChangeWindow(start, max(start, settled + 1)), False


def run_partitioned(config: JobConfig, engine: Engine, store: Optional[ObjectStore],
                    now: Callable[[], dt.datetime]) -> JobResult:
    place = DatasetPlace(config.output_dir, store)
    dataset_folder = place.path(config.s3_prefix) if config.s3_prefix else config.output_dir
    with locked(dataset_folder, "is writing the dataset in"):
        return _run(config, engine, store, now, place)


def _run(config: JobConfig, engine: Engine, store: Optional[ObjectStore],
         now: Callable[[], dt.datetime], place: DatasetPlace) -> JobResult:
    started_at = now()
    started = time.monotonic()
    if store is not None:
        store.check()
    check_dataset_format(config, place)
    watermark_read = read_json(place, state_key(config, WATERMARK_NAME))
    watermark = _watermark_seconds(watermark_read, place.where(state_key(config, WATERMARK_NAME)))
    window, backfill = decide_window(config, watermark, started_at)
    config = dataclasses.replace(config, change_window=window)
    outputs = RunOutputs(config)
    clean_abandoned_files(outputs.folder)
    logger.info("job_start job=%s run_id=%s source=%s layout=partitioned window=%s..%s%s "
                "field=%s dataset=%s engine=%s", config.job_name, config.job_run_id,
                config.repository_type, *window.describe().values(),
                " backfill" if backfill else "", config.selection_field,
                place.where(config.s3_prefix), engine.name)
    engine.prepare(config, store)
    with outputs:
        written = engine.read(config, outputs)
        outputs.hold(written.data, written.rejects)
        outputs.rejects.measure(written.rejects.temporary_path)
        stats = written.stats
        logger.info("extracted documents=%d rows=%d rejects=%d seconds=%.2f",
                    stats.documents_read, stats.rows_written, stats.rejected, stats.seconds)
        warn_when_runs_look_missing(stats, written.source)
        if written.source.description.get("type") == "file" and written.source.runs_joined:
            # a dump has no history: its sessions are selected by their own CHANGE_FIELD
            stats.warnings[RUNS_CHANGES_NOT_SELECTED] = 1
            logger.warning("%s: the file source selects sessions by their own %s only; an "
                           "Agno 3 run changed without its session is not seen (a MongoDB "
                           "source reads the runs' changes too)", RUNS_CHANGES_NOT_SELECTED,
                           config.selection_field)
        check_reject_ratio(config, written, outputs.rejects)
        result = JobResult(stats=stats, source=written.source)
        if stats.rejected:
            result.outputs["rejects"] = outputs.rejects
        profiled = profile_run(config, place, written.statistics, stats)
        stage_files(profiled, outputs, report_summary(
            config, stats, now(), "changes from {} to {}{}".format(
                *window.describe().values(), " (a backfill)" if backfill else "")))
        work = tempfile.mkdtemp(prefix=work_folder_prefix("partitions"))
        outputs.on_exit(lambda: shutil.rmtree(work, ignore_errors=True))
        spool = DaySpool(work, config.output_format, config.undefined_values == "zero")
        for path in engine.rows_files(config, written):
            spool.add_rows_of(path)
        if written.data is not None:
            written.data.discard()  # the window's rows live on in the partitions only
        if spool.rows != stats.rows_written:
            raise OutputError("the window's files hold {} rows, {} were written".format(
                spool.rows, stats.rows_written))
        partitions_started = time.monotonic()
        partitions = write_partitions(config, place, spool, work, stats.warnings,
                                      profiled.reference)
        partitions_seconds = time.monotonic() - partitions_started
        if store is not None and store.unconditional_writes:
            stats.warnings[UNCONDITIONAL_WRITES] = store.unconditional_writes
        new_watermark = watermark if backfill else max(watermark or 0, window.last_second)
        manifest_content = build_manifest(config, written.source, stats, written.statistics,
                                          dict(result.outputs, **profile_outputs(profiled)),
                                          started_at, now(), time.monotonic() - started)
        del manifest_content["date_range"]
        manifest_content.update(engine.manifest_fields())
        manifest_content.update({
            "layout": "partitioned",
            "dataset": place.where(config.s3_prefix) if store is not None
            else config.s3_prefix or ".",
            "window": dict(window.describe(), field=config.selection_field,
                           runs_field=config.runs_change_field, backfill=backfill),
            "partitions": [partition.describe_without_path() for partition in partitions],
            "seconds": {"read": round(stats.seconds, 3),
                        "partitions": round(partitions_seconds, 3)},
            "watermark": utc_text(new_watermark) if new_watermark is not None else None,
        })
        result.manifest = manifest_content
        result.parts.extend(partitions)
        manifest = staged_manifest(manifest_content, outputs)
        with switching():
            if store is not None:
                for output in result.outputs.values():
                    store.upload(written.rejects.temporary_path or "", output.key,
                                 JSONL_CONTENT_TYPE, {"job-run-id": config.job_run_id},
                                 output.sha256)
                    output.s3_uri = store.uri(output.key)
                for file in profiled.files:
                    store.upload(temporary_path(profiled, file), file.key, file.content_type,
                                 {"job-run-id": config.job_run_id}, file.sha256)
                    file.s3_uri = store.uri(file.key)
                outputs.manifest.s3_uri = store.upload(
                    manifest.temporary_path, outputs.manifest.key, JSON_CONTENT_TYPE,
                    {"job-run-id": config.job_run_id}, outputs.manifest.sha256)
            outputs.switch_local_rejects(written.rejects)
            commit_files(profiled)
            manifest.commit()
            save_state(config, place, profiled)
            if not backfill and new_watermark is not None:
                write_watermark(config, place, new_watermark, window, watermark_read)
            outputs.commit()
    result.outputs["manifest"] = outputs.manifest
    result.outputs.update(profile_outputs(profiled))
    result.window, result.folder = window, outputs.folder
    logger.info("partitions_written count=%d changed=%d rows=%d watermark=%s",
                len(partitions), sum(1 for partition in partitions if partition.changed),
                sum(partition.rows or 0 for partition in partitions),
                manifest_content["watermark"])
    return result


@dataclasses.dataclass
class WrittenPartition(PublishedFile):
    day: str = ""
    changed: bool = True  # False: the rebuilt object equals the one there
    previous_size: int = 0  # of the object it replaced (0: a new day)

    def describe_without_path(self) -> Dict[str, object]:
        described = {key: value for key, value in self.describe().items() if key != "path"}
        described.update(day=self.day, changed=self.changed, previous_size=self.previous_size)
        return described


def write_partitions(config: JobConfig, place: DatasetPlace, spool: DaySpool, work: str,
                     warnings, reference: dict) -> List[WrittenPartition]:
    """Every day the window touched, rebuilt and replaced in one write each, oldest day
    first. An object rebuilt to the same bytes is left as it is. Each day replaced gets its
    own profile beside it (`dt=.../_profile.json`, bins from `reference`); so does a day
    whose profile is missing (a run stopped between the two writes)."""
    written = []
    content_type = DATA_CONTENT_TYPES[config.output_format]
    for day in spool.days:
        key = partition_key(config.s3_prefix, day, config.output_format)
        current = place.read(key)
        out_path = os.path.join(work, "dt={}.{}".format(day, config.output_format))
        rows = rebuild_day(spool, day, current[0] if current else None, out_path, warnings)
        sha256 = sha256_of(out_path)
        partition = WrittenPartition(key=key, content_type=content_type, rows=rows,
                                     size=file_size(out_path) or 0, sha256=sha256, day=day,
                                     previous_size=len(current[0]) if current else 0)
        unchanged = current is not None and hashlib.sha256(current[0]).hexdigest() == sha256
        if unchanged:
            partition.changed = False
        else:
            place.write(out_path, key, content_type,
                        {"rows": str(rows), "job-run-id": config.job_run_id}, sha256,
                        current[1] if current else None)
        partition.s3_uri = place.store.uri(key) if place.store is not None else None
        profile_key = day_key(config.s3_prefix, day, DAY_PROFILE_NAME)
        earlier_profile = place.read(profile_key)
        if not unchanged or earlier_profile is None:
            write_json(place, profile_key, build_profile(
                statistics_of_day(out_path, config.output_format), reference),
                earlier_profile[1] if earlier_profile else None,
                {"job-run-id": config.job_run_id})
        os.remove(out_path)
        written.append(partition)
        logger.info("partition day=%s rows=%d bytes=%d %s", day, rows, partition.size,
                    "unchanged" if unchanged else "replaced" if current else "created")
    return written


def check_dataset_format(config: JobConfig, place: DatasetPlace) -> None:
    """A dataset is written in one format and one convention for undefined values; a run
    with others is a configuration error, before anything is read. The first run records
    them."""
    key = state_key(config, DATASET_NAME)
    wanted = {"contract": CONTRACT_VERSION, "format": config.output_format,
              "undefined_values": config.undefined_values,
              "csv_formula_guard": config.csv_formula_guard}
    parameters = {"contract": "S3_PREFIX", "format": "OUTPUT_FORMAT",
                  "undefined_values": "UNDEFINED_VALUES",
                  "csv_formula_guard": "CSV_FORMULA_GUARD"}
    found = read_json(place, key)
    if found is not None:
        recorded = found[0]
        for name, value in wanted.items():
            if recorded.get(name) != value:
                raise ConfigError(
                    parameters[name], "{} {} as the dataset under {} was written (or another "
                    "S3_PREFIX)".format(name.replace("_", " "), recorded.get(name),
                                        place.where(config.s3_prefix)), str(value))
        return
    write_json(place, key, wanted, None)


def _watermark_seconds(found: Optional[Tuple[dict, str]], where: str) -> Optional[int]:
    if found is None:
        return None
    try:
        return int(found[0]["seconds"])
    except (ValueError, KeyError, TypeError):
        raise OutputError("{} is not a watermark this job wrote: fix or remove it (without "
                          "it the next run reads the default range)".format(where)) from None


def write_watermark(config: JobConfig, place: DatasetPlace, seconds: int, window: ChangeWindow,
                    earlier: Optional[Tuple[dict, str]]) -> None:
    write_json(place, state_key(config, WATERMARK_NAME),
               {"watermark": utc_text(seconds), "seconds": seconds,
                "job_run_id": config.job_run_id, "window": window.describe()},
               earlier[1] if earlier is not None else None, {"job-run-id": config.job_run_id})


