"""Streams session documents through normalisation and the calculators into the CSV.

Documents are taken one at a time from the repository; every FEATURE_BATCH_SIZE sessions
the batch's features are computed with numpy and its rows written. Nothing holds more than
one batch of sessions.
"""

import contextlib
import gc
import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from calculators.batch import SessionBatch
from calculators.features import compute_features
from calculators.normalise import RejectedDocument, add_session
from config.constants import FEATURE_BATCH_SIZE
from config.thresholds import Thresholds
from interfaces.values import JoinedSession, SourceItem, UnreadableDocument
from services.column_statistics import ColumnStatistics
from services.reject_log import RejectLog
from services.rows_writer import RowsWriter
from utils.counts import Counts
from utils.progress import ProgressLog

logger = logging.getLogger(__name__)

# With the collector paused, cyclic garbage (rare: documents are trees) is collected
# every this many feature batches instead.
COLLECT_EVERY_BATCHES = 50


@dataclass
class ExtractionStats:
    documents_read: int = 0
    rows_written: int = 0
    rejected: int = 0
    warnings: Counts = field(default_factory=Counts)
    shapes: Counts = field(default_factory=Counts)
    reject_reasons: Counts = field(default_factory=Counts)
    sessions_without_runs: int = 0
    seconds: float = 0.0

    def add(self, other: "ExtractionStats") -> None:
        """Adds the counts of another part of the same run (a slice); `seconds` is the
        caller's to set (slices overlap in time)."""
        self.documents_read += other.documents_read
        self.rows_written += other.rows_written
        self.rejected += other.rejected
        self.sessions_without_runs += other.sessions_without_runs
        self.warnings.add_all(other.warnings)
        self.shapes.add_all(other.shapes)
        self.reject_reasons.add_all(other.reject_reasons)


@contextlib.contextmanager
def paused_garbage_collector() -> Iterator[None]:
    """Pauses the cyclic garbage collector while documents stream through.

    Decoding a batch of documents creates thousands of containers that are all alive at
    once; the collector keeps promoting and rescanning them, which cost about a third of
    the decode time in our benchmarks (docs/benchmarks.md). Reference counting still frees
    every document as soon as it is processed.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def extract_features(documents: Iterable[SourceItem], writer: RowsWriter, rejects: RejectLog,
                     thresholds: Thresholds, forced_shape: Optional[str] = None,
                     statistics: Optional[ColumnStatistics] = None,
                     batch_size: int = FEATURE_BATCH_SIZE,
                     expected_documents: Callable[[], Optional[int]] = lambda: None,
                     clock: Callable[[], float] = time.monotonic,
                     require_session_time: bool = False) -> ExtractionStats:
    """Reads every document once; each becomes one CSV row or one reject. A progress line
    every few seconds; `expected_documents` gives its total once the source knows it.
    With `require_session_time` (the partitioned layout, whose partitions are the days of
    `session_start`), a session without any time, or without any id, is a reject
    (`no_session_time`, `no_session_id`)."""
    stats = ExtractionStats()
    warnings = stats.warnings
    shapes = stats.shapes
    started = clock()
    batch = SessionBatch()
    batches_written = 0
    progress = ProgressLog(logger, "progress", "documents_read", expected_documents,
                           clock=clock)

    def flush() -> None:
        nonlocal batches_written
        batch_started = clock()
        columns = compute_features(batch.freeze(), thresholds, warnings)
        if require_session_time:
            columns = _without_unplaceable_rows(columns, stats, rejects)
        writer.write_batch(columns, warnings)
        if statistics is not None:
            statistics.update(columns)
        stats.rows_written += len(columns["session_id"])
        batches_written += 1
        if batches_written % COLLECT_EVERY_BATCHES == 0:
            gc.collect()
        logger.debug("feature_batch sessions=%d seconds=%.3f", len(batch), clock() - batch_started)

    with paused_garbage_collector():
        for document in documents:
            stats.documents_read += 1
            if isinstance(document, UnreadableDocument):
                _reject(stats, rejects, None, None, document.reason, document.position)
            else:
                try:
                    shape = add_session(document, batch, forced_shape, warnings)
                except RejectedDocument as reason:
                    ids = document.document if type(document) is JoinedSession else document
                    if not isinstance(ids, dict):
                        ids = {}
                    _reject(stats, rejects, ids.get("_id"), ids.get("session_id"), str(reason))
                else:
                    shapes.add(shape)
                    if not batch.last_session_runs:
                        stats.sessions_without_runs += 1
                    if len(batch) >= batch_size:
                        flush()
                        batch = SessionBatch()
            progress.step(stats.documents_read, rejects=stats.rejected)
        if len(batch):
            flush()
    stats.seconds = clock() - started
    return stats


def _reject(stats: ExtractionStats, rejects: RejectLog, document_id, session_id, reason: str,
            line: Optional[int] = None) -> None:
    rejects.record(document_id, session_id, reason, line)
    stats.rejected += 1
    kind = reason.split(":")[0]
    stats.reject_reasons.add(kind)


NO_SESSION_TIME = "no_session_time"
NO_SESSION_ID = "no_session_id"


def _without_unplaceable_rows(columns, stats: ExtractionStats, rejects: RejectLog):
    """The batch without the rows no day partition can hold, each recorded as a reject."""
    keep = []
    for index, (session_id, start) in enumerate(zip(columns["session_id"],
                                                    columns["session_start"])):
        if not start:
            _reject(stats, rejects, None, session_id or None, NO_SESSION_TIME)
        elif not session_id:
            _reject(stats, rejects, None, None, NO_SESSION_ID)
        else:
            keep.append(index)
    if len(keep) == len(columns["session_id"]):
        return columns
    return {name: (values[keep] if isinstance(values, np.ndarray)
                   else [values[index] for index in keep])
            for name, values in columns.items()}
