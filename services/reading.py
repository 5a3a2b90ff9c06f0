"""Reading a window of the range into a file of rows and a rejects file: the whole range in one
pass, or one time slice of it.

A slice runs exactly the one-pass pipeline on its part of the range (the same query
restricted to the slice, the same order inside it, the same calculators) into files of its
own. The slices' rows and rejects, concatenated in slice order, and their counts, warnings
and statistics added up (`SliceTotals`), are the range's. The same `run_slice` serves the
worker processes of WORKERS (services/engine_workers.py) and the Spark tasks
(services/engine_spark.py).
"""

import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

from config.constants import (
    ESTIMATED_ROW_BYTES,
    FREE_SPACE_MARGIN_BYTES,
    SLICES_PER_WORKER,
)
from config.settings import JobConfig
from interfaces.errors import OutputError, ReadAgain
from interfaces.ports import SessionRepository
from interfaces.values import SourceItem, SourceReport, TimeSlice, TimeWindow
from services.column_statistics import ColumnStatistics
from services.conversation_extraction_service import ExtractionStats, extract_features
from services.reject_log import RejectLog
from services.rows_writer import RowsWriter, open_rows_writer
from utils.files import free_bytes, human_bytes
from utils.timestamps import utc_text

logger = logging.getLogger(__name__)


@dataclass
class Written:
    """What reading produced: counts, statistics, the complete temporary files, and the
    source's description for the manifest (with the counts it keeps)."""

    stats: ExtractionStats
    statistics: ColumnStatistics
    data: Optional[RowsWriter]  # None on Spark, whose rows are in parts
    rejects: RejectLog
    source: SourceReport

    def commit_data(self) -> str:
        """The file of rows under its final name."""
        if self.data is None:
            raise OutputError("this read wrote its rows in parts, not in one file")
        return self.data.commit()


def read_window(config: JobConfig, repository: SessionRepository, window: TimeWindow,
                data_path: str, rejects_path: str, folder: str) -> Written:
    """Streams every document of `window` into a file of rows and a rejects file, both still under
    temporary names when this returns (complete and on disk). When the source asks for it
    (ReadAgain), everything written and counted so far is discarded and the window is
    read again, once."""
    try:
        return _read_window_once(config, repository, window, data_path, rejects_path, folder)
    except ReadAgain as reason:
        logger.info("read_again reason=%r: the outputs so far are discarded", str(reason))
    return _read_window_once(config, repository, window, data_path, rejects_path, folder)


def _read_window_once(config: JobConfig, repository: SessionRepository, window: TimeWindow,
                      data_path: str, rejects_path: str, folder: str) -> Written:
    opened: List = []
    with discarded_on_failure(opened, folder):
        writer = opened_file(opened, open_rows_writer(config, data_path))
        rejects = opened_file(opened, RejectLog(rejects_path))
        statistics = ColumnStatistics()
        documents = space_checked(repository.documents(window), repository.expected_documents,
                                  folder)
        stats = extract_features(
            documents, writer, rejects, config.thresholds,
            forced_shape=None if config.session_schema == "auto" else config.session_schema,
            statistics=statistics, expected_documents=repository.expected_documents,
            require_session_time=config.partitioned)
        writer.close()
        rejects.close()
    return Written(stats, statistics, writer, rejects, SourceReport(repository.describe()))


def space_checked(documents: Iterable[SourceItem], expected_documents: Callable[[], Optional[int]],
                  folder: str, free: Callable[[str], int] = free_bytes) -> Iterator[SourceItem]:
    """`documents`, after a check that `folder` has room for their rows: once the source
    has counted them (MongoDB and the simulated source count before their first document),
    and before the first row is written. Too little space is an OutputError that names the
    folder, the space needed and the space free, instead of a disk full halfway."""
    iterator = iter(documents)
    first: Any = next(iterator, _END)
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
def discarded_on_failure(opened: List, folder: str) -> Iterator[None]:
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


def opened_file(opened: List, output):
    opened.append(output)
    return output


@dataclass
class SliceOutput:
    """One slice's result: its files (complete, under their final names in the slice's
    folder) and what it counted."""

    data_path: str
    rejects_path: Optional[str]
    stats: ExtractionStats
    statistics: ColumnStatistics
    source: SourceReport


def run_slice(slice_source, window: TimeSlice, folder: str) -> SliceOutput:
    """Reads one slice into `slice-NNNNN.csv` or `.parquet` (and its rejects) under
    `folder`. Runs in a worker process or a Spark task; `slice_source` builds the slice's
    repository there."""
    repository = slice_source.repository()
    try:
        name = os.path.join(folder, "slice-{:05d}".format(window.index))
        config = slice_source.config
        written = read_window(config, repository, window, name + "." + config.output_format,
                              name + ".rejects.jsonl", folder)
    finally:
        repository.close()
    return SliceOutput(written.commit_data(), written.rejects.commit(), written.stats,
                       written.statistics, written.source)


def slices_of(config: JobConfig, workers: int) -> List[TimeSlice]:
    return config.window().slices(workers * SLICES_PER_WORKER)


class SliceTotals:
    """How the results of a range's slices, added in slice order, become the range's: for
    the worker processes here and the Spark tasks (services/engine_spark.py) alike."""

    def __init__(self):
        self.stats = ExtractionStats()
        self.statistics = ColumnStatistics()
        self.sources: List[SourceReport] = []

    def add(self, output) -> None:
        """A slice's result: anything with its `stats`, `statistics` and `source`."""
        self.stats.add(output.stats)
        self.statistics.add(output.statistics)
        self.sources.append(output.source)

    def written(self, writer: Optional[RowsWriter], rejects: RejectLog,
                known: Dict[str, object]) -> Written:
        return Written(self.stats, self.statistics, writer, rejects,
                       SourceReport.merged(self.sources, known))


def span_of(window: TimeSlice) -> str:
    return "{}..{}".format(utc_text(window.start_seconds), utc_text(window.end_exclusive_seconds))
