"""Reading the range into the CSV and the rejects: in one pass, or in parallel time slices.

A slice runs exactly the one-pass pipeline on its part of the range (the same query
restricted to the slice, the same order inside it, the same calculators) into files of its
own. The parent then concatenates the slices' CSVs and rejects in slice order, streamed,
and adds up their counts, warnings and statistics: the slices' results, taken in order, are
the range's. The same `run_slice` serves the worker processes of WORKERS and the tasks of
the Spark job (spark_job.py).
"""

import contextlib
import logging
import os
import shutil
import tempfile
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence

from config.constants import (
    ESTIMATED_ROW_BYTES,
    FREE_SPACE_MARGIN_BYTES,
    SLICES_PER_WORKER,
)
from config.settings import JobConfig
from interfaces.abstractions import (
    DateRange,
    OutputError,
    ReadAgain,
    SessionRepository,
    SourceError,
    SourceItem,
    TimeSlice,
    TimeWindow,
)
from services.column_statistics import ColumnStatistics
from services.conversation_extraction_service import ExtractionStats, extract_features
from services.csv_writer import CsvWriter
from services.reject_log import RejectLog
from utils.files import free_bytes, human_bytes
from utils.worker_pool import worker_pool

logger = logging.getLogger(__name__)


@dataclass
class Written:
    """What reading produced: counts, statistics, the complete temporary files, and the
    source's description for the manifest (with the counts it keeps)."""

    stats: ExtractionStats
    statistics: ColumnStatistics
    csv: Optional[CsvWriter]  # None on Spark, whose CSV is in parts
    rejects: RejectLog
    source: Dict[str, object]


def read_window(config: JobConfig, repository: SessionRepository, window: TimeWindow,
                csv_path: str, rejects_path: str, folder: str) -> Written:
    """Streams every document of `window` into a CSV and a rejects file, both still under
    temporary names when this returns (complete and on disk). When the source asks for it
    (ReadAgain), everything written and counted so far is discarded and the window is
    read again, once."""
    try:
        return _read_window_once(config, repository, window, csv_path, rejects_path, folder)
    except ReadAgain as reason:
        logger.info("read_again reason=%r: the outputs so far are discarded", str(reason))
    return _read_window_once(config, repository, window, csv_path, rejects_path, folder)


def _read_window_once(config: JobConfig, repository: SessionRepository, window: TimeWindow,
                      csv_path: str, rejects_path: str, folder: str) -> Written:
    opened: List = []
    with _discarded_on_failure(opened, folder):
        writer = _opened(opened, CsvWriter(csv_path))
        rejects = _opened(opened, RejectLog(rejects_path))
        statistics = ColumnStatistics()
        documents = space_checked(repository.documents(window), repository.expected_documents,
                                  folder)
        stats = extract_features(
            documents, writer, rejects, config.thresholds,
            forced_shape=None if config.session_schema == "auto" else config.session_schema,
            statistics=statistics, expected_documents=repository.expected_documents)
        writer.close()
        rejects.close()
    return Written(stats, statistics, writer, rejects, repository.describe())


def space_checked(documents: Iterable[SourceItem], expected_documents: Callable[[], Optional[int]],
                  folder: str, free: Callable[[str], int] = free_bytes) -> Iterator[SourceItem]:
    """`documents`, after a check that `folder` has room for their rows: once the source
    has counted them (MongoDB and the simulated source count before their first document),
    and before the first row is written. Too little space is an OutputError that names the
    folder, the space needed and the space free, instead of a disk full halfway."""
    iterator = iter(documents)
    first = next(iterator, _END)
    count = expected_documents()
    if count:
        needed = count * ESTIMATED_ROW_BYTES + FREE_SPACE_MARGIN_BYTES
        available = free(folder)
        if available < needed:
            raise OutputError(
                "not enough free space in {}: {:,} documents need about {} for their rows "
                "({} B a row), {} is free; free some, or point OUTPUT_DIR (TMPDIR for "
                "WORKERS slices) at a larger disk".format(
                    folder, count, human_bytes(needed), ESTIMATED_ROW_BYTES,
                    human_bytes(available)))
    if first is not _END:
        yield first
        yield from iterator


_END = object()


@contextlib.contextmanager
def _discarded_on_failure(opened: List, folder: str) -> Iterator[None]:
    """On any failure the temporary files opened so far are removed; a write error
    (disk full, folder removed) becomes one OutputError line naming the folder."""
    try:
        yield
    except BaseException as error:
        for output in opened:
            output.discard()
        if isinstance(error, OSError):
            raise OutputError("cannot write the outputs under {}: {}".format(
                folder, error.strerror or error)) from None
        raise


def _opened(opened: List, output):
    opened.append(output)
    return output


@dataclass
class SliceOutput:
    """One slice's result: its files (complete, under their final names in the slice's
    folder) and what it counted."""

    csv_path: str
    rejects_path: Optional[str]
    stats: ExtractionStats
    statistics: ColumnStatistics
    source: Dict[str, object]


def run_slice(slice_source, window: TimeSlice, folder: str) -> SliceOutput:
    """Reads one slice into `slice-NNNNN.csv` (and its rejects) under `folder`. Runs in a
    worker process or a Spark task; `slice_source` builds the slice's repository there."""
    repository = slice_source.repository()
    try:
        name = os.path.join(folder, "slice-{:05d}".format(window.index))
        written = read_window(slice_source.config, repository, window, name + ".csv",
                              name + ".rejects.jsonl", folder)
    finally:
        repository.close()
    csv_path = written.csv.commit()
    return SliceOutput(csv_path, written.rejects.commit(), written.stats,
                       written.statistics, written.source)


def slices_of(config: JobConfig, workers: int) -> List[TimeSlice]:
    return DateRange(config.start_date, config.end_date).slices(workers * SLICES_PER_WORKER)


def read_in_slices(config: JobConfig, prepare_slices, csv_path: str, rejects_path: str,
                   folder: str) -> Written:
    """WORKERS processes read the range's slices; the parent appends each slice's files to
    the run's, in slice order, as soon as that slice and all before it are done.
    `prepare_slices(pool, work_folder)` gives the picklable source the workers read from
    (factories/slice_sources.py)."""
    started = time.monotonic()
    work_folder = tempfile.mkdtemp(prefix="slices-")
    opened: List = []
    try:
        with _discarded_on_failure(opened, folder):
            writer = _opened(opened, CsvWriter(csv_path))
            rejects = _opened(opened, RejectLog(rejects_path))
            written = _run_slices(config, prepare_slices, writer, rejects, work_folder,
                                  started)
            writer.close()
            rejects.close()
    finally:
        shutil.rmtree(work_folder, ignore_errors=True)
    written.stats.seconds = time.monotonic() - started
    return written


def _run_slices(config: JobConfig, prepare_slices, writer: CsvWriter, rejects: RejectLog,
                work_folder: str, started: float) -> Written:
    with worker_pool(config.workers, config.log_level) as pool:
        slice_source = prepare_slices(pool, work_folder)
        slices = slices_of(config, config.workers)
        logger.info("slices count=%d workers=%d first=%s", len(slices), config.workers,
                    _span(slices[0]))
        # At most this many slices are submitted and not yet appended: a slice that
        # finished ahead of an earlier one waits on disk, so the run needs the CSV's size
        # plus these slices, not twice the CSV's size.
        in_flight = config.workers + 1
        submitted = [pool.submit(run_slice, slice_source, window, work_folder)
                     for window in slices[:in_flight]]
        totals = SliceTotals()
        for position in range(len(slices)):
            future = submitted[position]
            try:
                output = future.result()
            except BrokenProcessPool:
                raise SourceError(
                    "a worker process ended abruptly (killed, or out of memory) before slice "
                    "{} of {} ({}) was complete; nothing was published".format(
                        position + 1, len(slices), _span(slices[position]))) from None
            writer.append_rows_of(output.csv_path, output.stats.rows_written)
            if output.rejects_path is not None:
                rejects.append_rejects_of(output.rejects_path, output.stats.rejected)
            for path in (output.csv_path, output.rejects_path):
                if path is not None:
                    os.remove(path)
            totals.add(output)
            if len(submitted) < len(slices):
                submitted.append(pool.submit(run_slice, slice_source, slices[len(submitted)],
                                             work_folder))
            logger.info("slice_done slice=%d/%d span=%s documents=%d rows=%d rejects=%d "
                        "documents_read=%d elapsed_s=%.1f", position + 1, len(slices),
                        _span(slices[position]), output.stats.documents_read,
                        output.stats.rows_written, output.stats.rejected,
                        totals.stats.documents_read, time.monotonic() - started)
    return totals.written(writer, rejects, slice_source.described())


class SliceTotals:
    """How the results of a range's slices, added in slice order, become the range's: for
    the worker processes here and the Spark tasks (services/distributed_job.py) alike."""

    def __init__(self):
        self.stats = ExtractionStats()
        self.statistics = ColumnStatistics()
        self.sources: List[Dict[str, object]] = []

    def add(self, output) -> None:
        """A slice's result: anything with its `stats`, `statistics` and `source`."""
        self.stats.add(output.stats)
        self.statistics.add(output.statistics)
        self.sources.append(output.source)

    def written(self, writer: Optional[CsvWriter], rejects: RejectLog,
                known: Dict[str, object]) -> Written:
        return Written(self.stats, self.statistics, writer, rejects,
                       merged_description(self.sources, known))


def merged_description(sources: Sequence[Dict[str, object]],
                       known: Dict[str, object]) -> Dict[str, object]:
    """The range's source description from its slices': the first slice's, with the run
    documents each slice joined added up, and what the parent knows (a file's
    outside_range) on top."""
    merged = dict(sources[0]) if sources else {}
    runs = merged.get("runs")
    if isinstance(runs, dict) and runs.get("joined"):
        runs = dict(runs)
        for counter in ("documents_read", "sessions_with_runs"):
            runs[counter] = sum(source["runs"].get(counter, 0) for source in sources)
        merged["runs"] = runs
    merged.update(known)
    return merged


def _span(window: TimeSlice) -> str:
    def moment(seconds: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
    return "{}..{}".format(moment(window.start_seconds), moment(window.end_exclusive_seconds))
