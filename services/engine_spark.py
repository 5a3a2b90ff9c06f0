"""The engine of AWS Glue for Spark: the range's time slices run as Spark tasks.

Each task runs `run_slice` (services/reading.py) on its slice, on an executor, and uploads
the slice's rows (CSV or Parquet) and rejects under this run's staging prefix,
`<prefix>/_staging/<run>/part-NNNNN.csv` (or `.parquet`). A retried or speculative
attempt of a slice rewrites the same keys with the same bytes, so Spark's retries are
harmless. Once every slice is done, the driver decides as the one-process job does
(MAX_REJECT_RATIO, an empty result), then publishes: the earlier manifest is withdrawn,
each part is copied (server side, verified) to `conversations_<range>.part-NNNNN.csv`
(or `.parquet`), parts of an earlier run beyond this run's count (of either format) and a
one-process file of the range are removed, the rejects are concatenated, and the
manifest, listing the parts in order with size and SHA-256, comes last. The staging
prefix is removed however the run ends; Athena, Hive and Spark skip folders whose names
start with an underscore.
"""

import functools
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional

from config.settings import JobConfig
from interfaces.errors import SourceError
from interfaces.ports import ObjectStore
from interfaces.values import SourceReport, TimeSlice
from services.column_statistics import ColumnStatistics
from services.conversation_extraction_service import ExtractionStats
from services.dataset_job import JobResult
from services.engine import Engine
from services.reading import SliceTotals, Written, run_slice, slices_of
from services.reject_log import RejectLog
from services.run_outputs import (
    DATA_CONTENT_TYPES,
    JSONL_CONTENT_TYPE,
    STAGING_FOLDER,
    PublishedFile,
    RunOutputs,
    staging_prefix_of,
    upload_metadata,
)
from utils.claims import work_folder_prefix
from utils.files import file_size, sha256_of
from utils.logging_setup import configure_logging

logger = logging.getLogger(__name__)

__all__ = ["STAGING_FOLDER", "Spark", "stage_slice"]


@dataclass
class StagedSlice:
    """A slice's result as the driver receives it: where its files wait, and its counts."""

    index: int
    data_key: str
    size: int
    sha256: str
    rejects_key: Optional[str]
    stats: ExtractionStats
    statistics: ColumnStatistics
    source: SourceReport


_logging_ready = False


def stage_slice(slice_source, store_factory: Callable[[], ObjectStore], staging_prefix: str,
                window: TimeSlice) -> StagedSlice:
    """One Spark task: the slice read on the executor, its files uploaded to staging."""
    global _logging_ready
    if not _logging_ready:  # once per executor Python process
        configure_logging(slice_source.config.log_level)
        _logging_ready = True
    store = store_factory()
    folder = tempfile.mkdtemp(prefix="slice-")
    try:
        output = run_slice(slice_source, window, folder)
        name = "{}/part-{:05d}".format(staging_prefix, window.index)
        sha256 = sha256_of(output.data_path)
        extension = "." + slice_source.config.output_format
        content_type = DATA_CONTENT_TYPES[slice_source.config.output_format]
        store.upload(output.data_path, name + extension, content_type,
                     {"slice": str(window.index)}, sha256)
        rejects_key = None
        if output.rejects_path is not None:
            rejects_key = name + ".rejects.jsonl"
            store.upload(output.rejects_path, rejects_key, JSONL_CONTENT_TYPE,
                         {"slice": str(window.index)}, sha256_of(output.rejects_path))
        return StagedSlice(window.index, name + extension, file_size(output.data_path) or 0,
                           sha256, rejects_key, output.stats, output.statistics,
                           output.source)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Spark(Engine):
    """The slices run on the Spark `context`; the driver decides and publishes. `task` is
    what a Spark task runs (stage_slice; a test may wrap it); `store_factory` builds a
    task's store."""

    name = "spark"

    def __init__(self, context, slice_source, store_factory: Callable[[], ObjectStore],
                 task=stage_slice):
        self.context = context
        self.slice_source = slice_source
        self.store_factory = store_factory
        self.task = task
        self.slices: List[TimeSlice] = []
        self.staged: List[StagedSlice] = []
        self.staging = ""

    def prepare(self, config: JobConfig, store: Optional[ObjectStore]) -> None:
        if store is None:
            raise ValueError("the Spark engine publishes to S3: a store is required")
        self.store = store
        self.slices = slices_of(config, self.context.defaultParallelism)
        self.staging = staging_prefix_of(config)
        logger.info("spark_job_start slices=%d parallelism=%d staging=%s", len(self.slices),
                    self.context.defaultParallelism, store.uri(self.staging))
        preflight(self.slice_source)

    def read(self, config: JobConfig, outputs: RunOutputs) -> Written:
        started = time.monotonic()
        rejects = RejectLog(outputs.rejects.path)
        outputs.hold(rejects)
        group = "conversation-features-" + self.staging.rsplit("/", 1)[-1]
        outputs.on_exit(functools.partial(self._remove_staging, group))
        context = self.context
        context.setJobGroup(group, "slices of {}".format(config.range_label), True)
        task = functools.partial(self.task, self.slice_source, self.store_factory,
                                 self.staging)
        try:
            self.staged = sorted(
                context.parallelize(self.slices, len(self.slices)).map(task).collect(),
                key=lambda part: part.index)
        except Exception as error:  # Py4JJavaError: what failed is in its Python traceback
            context.cancelJobGroup(group)
            wait_for_tasks_to_end(context, group)
            raise SourceError("a Spark task failed on every attempt: {}".format(
                task_failure(str(error)))) from None
        return _merged(self.staged, self.store, rejects, started)

    def stage(self, config: JobConfig, written: Written, outputs: RunOutputs,
              store: Optional[ObjectStore], result: JobResult) -> None:
        """The parts are staged already; the merged rejects join them."""
        keys = ["{}/{}".format(config.output_key_prefix, config.data_part_name(part.index))
                for part in self.staged]
        result.parts = [
            PublishedFile(key, DATA_CONTENT_TYPES[config.output_format],
                          rows=part.stats.rows_written, size=part.size, sha256=part.sha256,
                          s3_uri=self.store.uri(key))
            for key, part in zip(keys, self.staged)]
        if written.stats.rejected:
            rejects = outputs.rejects
            result.outputs["rejects"] = rejects
            self.store.upload(written.rejects.temporary_path or "", outputs.staged_key(rejects),
                              JSONL_CONTENT_TYPE,
                              dict(upload_metadata(config), rows=str(written.stats.rejected)),
                              rejects.sha256)
            rejects.s3_uri = self.store.uri(rejects.key)

    def switch_remote(self, config: JobConfig, outputs: RunOutputs, store: ObjectStore,
                      result: JobResult) -> None:
        _switch_remote(config, store, self.staged, outputs, result)

    def switch_local(self, config: JobConfig, written: Written, outputs: RunOutputs,
                     result: JobResult) -> None:
        outputs.withdraw_local()
        outputs.switch_local_rejects(written.rejects)

    def rows_files(self, config: JobConfig, written: Written) -> Iterator[str]:
        """Each staged part, fetched to a local file in turn (the partitioned layout
        rebuilds its days on the driver)."""
        folder = tempfile.mkdtemp(prefix=work_folder_prefix("partitions"))
        try:
            for part in self.staged:
                content = self.store.fetch(part.data_key)
                if content is None or hashlib.sha256(content).hexdigest() != part.sha256:
                    raise SourceError("slice {}'s rows at {} are missing or changed".format(
                        part.index, self.store.uri(part.data_key)))
                path = os.path.join(folder, "part-{:05d}.{}".format(part.index,
                                                                   config.output_format))
                with open(path, "wb") as handle:
                    handle.write(content)
                del content
                yield path
                os.remove(path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def manifest_fields(self) -> Dict[str, object]:
        return {"engine": {"name": "spark", "slices": len(self.slices),
                           "parallelism": self.context.defaultParallelism}}

    def _remove_staging(self, group: str) -> None:
        if self.context.getConf().get("spark.speculation", "false").lower() == "true":
            # A duplicate attempt that lost the race is killed, not waited for by collect().
            wait_for_tasks_to_end(self.context, group)
        for key in self.store.keys(self.staging + "/"):
            self.store.delete(key)


def wait_for_tasks_to_end(context, group: str, seconds: float = 120.0) -> None:
    """After a failed job, the other slices' tasks may still be running and would upload
    to staging after the driver removed it. Waits until Spark reports none active, then
    for as long as Spark gives a killed Python task to end (spark.python.task.killTimeout)."""
    tracker = context.statusTracker()

    def active_tasks() -> int:
        count = 0
        for job_id in tracker.getJobIdsForGroup(group):
            job = tracker.getJobInfo(job_id)
            for stage_id in job.stageIds if job is not None else ():
                stage = tracker.getStageInfo(stage_id)
                count += stage.numActiveTasks if stage is not None else 0
        return count

    deadline = time.monotonic() + seconds
    while active_tasks() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(_seconds(context.getConf().get("spark.python.task.killTimeout", "2s")))


def _seconds(duration: str) -> float:
    """A Spark duration such as `2s` or `500ms` (seconds when it has no unit)."""
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*$", duration)
    if not match:
        return 2.0
    scale = {"ms": 0.001, "m": 60.0, "min": 60.0}.get(match.group(2) or "s", 1.0)
    return float(match.group(1)) * scale


def preflight(slice_source) -> None:
    """What would make every task fail, raised on the driver with its own exit status: the
    source's configuration (RUNS_COLLECTION), its address, credentials and reachability.
    An empty window reads nothing but resolves and queries everything a slice does."""
    config = slice_source.config
    nothing = TimeSlice(0, 0, 0, config.window())
    repository = slice_source.repository()
    try:
        for _ in repository.documents(nothing):
            pass
    finally:
        repository.close()


_PYTHON_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failure|Stopped)): (.+)$",
                           re.MULTILINE)


def task_failure(message: str) -> str:
    """The Python exception a task raised, out of Spark's Java error text (the last
    `Name: message` line of the Python traceback), else the text's first line."""
    python_part = message.split("Traceback (most recent call last)", 1)[-1]
    found = _PYTHON_ERROR.findall(python_part)
    if found:
        name, text = found[-1]
        return "{}: {}".format(name.rsplit(".", 1)[-1], text.strip())
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


def _merged(staged: List[StagedSlice], store: ObjectStore, rejects: RejectLog,
            started: float) -> Written:
    """The slices' counts added up and their rejects concatenated in slice order."""
    totals = SliceTotals()
    for part in staged:
        totals.add(part)
        if part.rejects_key is not None:
            staged_rejects = store.fetch(part.rejects_key)
            if staged_rejects is None:
                raise SourceError("the rejects of slice {} are missing from {}".format(
                    part.index, store.uri(part.rejects_key)))
            rejects.append_text(staged_rejects.decode("utf-8"), part.stats.rejected)
    rejects.close()
    totals.stats.seconds = time.monotonic() - started
    return totals.written(None, rejects, {})


def _switch_remote(config: JobConfig, store: ObjectStore, staged: List[StagedSlice],
                   outputs: RunOutputs, result: JobResult) -> None:
    """In the order readers rely on (see the module's docstring)."""
    outputs.withdraw_remote(store)
    metadata = upload_metadata(config)
    for part, published in zip(staged, result.parts):
        store.copy(part.data_key, published.key, published.content_type,
                   dict(metadata, rows=str(part.stats.rows_written)), part.size, part.sha256)
    keep = {part.key for part in result.parts}
    stale = [key for key in store.keys("{}/{}".format(config.output_key_prefix,
                                                      config.data_part_stem))
             if key not in keep]
    for key in stale + ["{}/{}".format(config.output_key_prefix, config.data_name)]:
        store.delete(key)
    rejects = result.outputs.get("rejects")
    if rejects is None:
        store.delete(outputs.rejects.key)
    else:
        store.copy(outputs.staged_key(rejects), rejects.key, JSONL_CONTENT_TYPE,
                   dict(metadata, rows=str(result.stats.rejected)), rejects.size,
                   rejects.sha256)
