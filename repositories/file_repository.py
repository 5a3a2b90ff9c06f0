"""Sessions from a JSON Lines file in MongoDB Extended JSON, as `mongoexport` writes it.

Each line is decoded once (repositories/extended_json.py), without the fields no feature
reads, and the documents in the date range come out in (DATE_FIELD, _id) order: the order
MongoDB would return.

A file already in that order (mongoexport with a sort, a collection written in time
order) streams straight through in one pass, with no temporary storage. The first line out
of order, or the first line that cannot be decoded (whose reject must come first), ends
the stream with ReadAgain: the reader discards what it wrote and reads again, and this
time every document waits in a temporary SQLite spool (repositories/spool.py) with its
sort key, and comes back sorted (through an index on the keys). Memory stays flat either
way: SQLite works within a small cache and keeps the rest on disk.

A parallel run (WORKERS) scans the file as byte ranges, one spool each, and every time
slice then reads its documents back from all the spools, merged in the same order.
"""

import heapq
import logging
import math
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from interfaces.errors import ReadAgain, SourceError
from interfaces.ports import RunsSource, SessionRepository
from interfaces.values import SourceItem, TimeWindow, UnreadableDocument
from repositories.date_filter import OutsideRange, field_value, in_date_range, sort_key
from repositories.extended_json import decode_json_line, is_blank, split_paths
from repositories.runs_join import NOT_JOINED, RunsJoin
from repositories.spool import TemporaryDatabase, open_spool, restored, sqlite_text, stored
from repositories.unread_fields import sessions_projection
from utils.progress import ProgressLog
from utils.timestamps import epoch_seconds

logger = logging.getLogger(__name__)

@dataclass
class ScannedPart:
    """What scanning one byte range of the file left in its spool, and what it skipped."""

    spool_path: str
    lines: int = 0
    selected: int = 0
    unreadable: int = 0
    in_order: bool = True
    outside: OutsideRange = field(default_factory=OutsideRange)
    first_line: int = 0  # lines of the file before this part (set once all are scanned)


class FileSessionRepository(SessionRepository):
    def __init__(self, path: str, date_field: str, runs: Optional[RunsSource] = None,
                 batch_size: int = 1000, project: bool = True,
                 temporary_dir: Optional[str] = None):
        self.path = path
        self.date_field = date_field
        self.excluded = split_paths(sessions_projection()) if project else None
        self.temporary_dir = temporary_dir
        self._join = RunsJoin(runs, batch_size) if runs is not None else None
        self.skipped: Optional[OutsideRange] = None
        self._expected: Optional[int] = None
        self._stream = True  # until the file shows it cannot be streamed in order

    def describe(self) -> Dict[str, object]:
        described: Dict[str, object] = {
            "type": "file", "path": self.path, "date_field": self.date_field,
            "runs": self._join.describe() if self._join else NOT_JOINED}
        if self.skipped is not None:
            described["outside_range"] = self.skipped.describe()
        return described

    def documents(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        if self._join is None:
            return self._sessions(date_range)
        return self._join.joined(self._sessions(date_range))

    def expected_documents(self) -> Optional[int]:
        """Known once the file is scanned (the first pass selects and sorts)."""
        return self._expected

    def close(self) -> None:
        if self._join is not None:
            self._join.source.close()

    def _sessions(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        self._expected = None
        if self._stream:
            return self._streamed(date_range)
        return self._spooled(date_range)

    def _streamed(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        """The documents of the range in file order, as long as that is (DATE_FIELD, _id)
        order and every line decodes; else ReadAgain, and the next read spools."""
        part = ScannedPart(spool_path="")
        for line_number, document, _ in _scanned(self.path, 0, None, date_range,
                                                 self.date_field, self.excluded, part):
            if document is None or not part.in_order:
                self._stream = False
                raise ReadAgain("INPUT_PATH {} line {} {}: sorting it through a spool".format(
                    self.path, line_number,
                    "cannot be decoded" if document is None else "is out of order"))
            part.selected += 1
            yield document
        self.skipped = part.outside
        logger.info("file_scan path=%s selected=%d in_order=true streamed=true %s", self.path,
                    part.selected, part.outside.log_text())

    def _spooled(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        """Decodes every line once into a temporary spool, then yields the lines that
        cannot be decoded and the selected documents in (DATE_FIELD, _id) order."""
        database = TemporaryDatabase("sessions-order", self.temporary_dir)
        try:
            part = scan_file_part(self.path, 0, None, date_range, self.date_field,
                                  self.excluded, database.connection, database.path)
            self.skipped = part.outside
            self._expected = part.unreadable + part.selected
            logger.info("file_scan path=%s selected=%d in_order=%s streamed=false %s",
                        self.path, part.selected, str(part.in_order).lower(),
                        part.outside.log_text())
            yield from read_spooled(self.path, [part], None, connections=[database.connection])
        except sqlite3.Error as exc:
            raise SourceError("cannot order INPUT_PATH {} under {}: {}".format(
                self.path, database.folder, exc)) from None
        finally:
            database.close()


def _scanned(path: str, byte_start: int, byte_end: Optional[int], date_range: TimeWindow,
             date_field: str, excluded, part: ScannedPart
             ) -> Iterator[Tuple[int, Optional[dict], Any]]:
    """Decodes the lines starting in [byte_start, byte_end) (to the end when None):
    (line, the document, its sort key) for a document in the range, (line, None, the
    reason) for a line that cannot be decoded. Counts the lines in `part.lines` and the
    documents outside the range in `part.outside`; `part.in_order` turns false at the
    first document whose key is below the one before it."""
    size = (os.path.getsize(path) if byte_end is None else byte_end) - byte_start
    scan = ProgressLog(logger, "file_scan", "bytes_read", lambda: size)
    previous_key = None
    try:
        with open(path, "rb") as handle:
            handle.seek(byte_start)
            offset = 0
            for line_number, raw in enumerate(handle, start=1):
                if byte_end is not None and byte_start + offset >= byte_end:
                    break
                offset += len(raw)
                part.lines = line_number
                scan.step(offset)
                if is_blank(raw):
                    continue
                document = decode_json_line(raw, line_number, excluded,
                                            first_of_file=byte_start == 0 and line_number == 1)
                if isinstance(document, UnreadableDocument):
                    yield line_number, None, document.reason
                    continue
                value = field_value(document, date_field)
                if not in_date_range(value, date_range):
                    part.outside.count(value)
                    continue
                key = sort_key(value, document.get("_id"))
                if part.in_order and previous_key is not None and key < previous_key:
                    part.in_order = False
                previous_key = key
                yield line_number, document, key
    except OSError as exc:
        raise SourceError("cannot read INPUT_PATH {}: {}".format(
            path, exc.strerror or exc)) from None


def scan_file_part(path: str, byte_start: int, byte_end: Optional[int], date_range: TimeWindow,
                   date_field: str, excluded, connection: sqlite3.Connection,
                   spool_path: str, by_time: bool = False) -> ScannedPart:
    """Scans the lines starting in [byte_start, byte_end) (to the end when None) into the
    spool: those that cannot be decoded go to its `unreadable` table, the documents in the
    range to its `sessions` table with their sort key; the others are counted as outside
    the range. `by_time` indexes the documents' time, for reading them back by slice."""
    part = ScannedPart(spool_path)
    connection.execute(
        "CREATE TABLE sessions (date_rank INTEGER, date_value, id_rank INTEGER, "
        "id_value, line INTEGER, seconds REAL, document BLOB)")
    connection.execute("CREATE TABLE unreadable (line INTEGER, reason TEXT)")
    pending: List[tuple] = []
    for line_number, document, key in _scanned(path, byte_start, byte_end, date_range,
                                               date_field, excluded, part):
        if document is None:
            part.unreadable += 1
            connection.execute("INSERT INTO unreadable VALUES (?, ?)", (line_number, key))
            continue
        pending.append(_sortable(key) + (line_number,
                                         epoch_seconds(field_value(document, date_field)),
                                         stored(document)))
        if len(pending) >= _INSERT_EVERY:
            part.selected += len(pending)
            connection.executemany(_INSERT, pending)
            pending.clear()
    part.selected += len(pending)
    connection.executemany(_INSERT, pending)
    if by_time:
        connection.execute("CREATE INDEX sessions_by_time ON sessions (seconds)")
    elif not part.in_order:
        # Sorting the rows themselves would carry every document through SQLite's
        # external sort, which keeps a reader per sorted run it spilled: its memory grew
        # with the file (+11 MB at 300,000 documents). An index sorts only the keys, and
        # the read then follows it to each row (docs/benchmarks.md, section 6).
        connection.execute("CREATE INDEX sessions_in_order ON sessions ({})".format(_ORDER))
    connection.commit()
    return part


def read_spooled(path: str, parts: Sequence[ScannedPart], window: Optional[TimeWindow],
                 with_unreadable: bool = True,
                 connections: Optional[Sequence[sqlite3.Connection]] = None
                 ) -> Iterator[SourceItem]:
    """The unreadable lines (when asked) in line order, then the documents of `window`
    (all of them when None) from every part, merged in (DATE_FIELD, _id, line) order."""
    opened = connections is None
    if connections is None:
        connections = [open_spool(part.spool_path, read_only=True) for part in parts]
    try:
        if with_unreadable:
            for part, connection in zip(parts, connections):
                for line, reason in connection.execute(
                        "SELECT line, reason FROM unreadable ORDER BY rowid"):
                    yield UnreadableDocument(reason, part.first_line + line)
        streams = [_selected(part, connection, window)
                   for part, connection in zip(parts, connections)]
        merged = streams[0] if len(streams) == 1 else heapq.merge(*streams)
        for _key, content in merged:
            yield restored(content)
    except sqlite3.Error as exc:
        raise SourceError("cannot read back INPUT_PATH {} from its spool: {}".format(
            path, exc)) from None
    finally:
        if opened:
            for connection in connections:
                connection.close()


def _selected(part: ScannedPart, connection: sqlite3.Connection,
              window: Optional[TimeWindow]) -> Iterator[Tuple]:
    """One part's documents of `window` as (sort key, stored document), in order: the
    whole part through its order index (scan_file_part), a slice sorted by SQLite."""
    order = "rowid" if part.in_order else _ORDER
    query = "SELECT date_rank, date_value, id_rank, id_value, line, document FROM sessions"
    arguments: Tuple = ()
    if window is not None:
        query += " WHERE seconds >= ? AND seconds < ?"
        arguments = (window.start_seconds, window.end_exclusive_seconds)
    elif not part.in_order:
        query += " INDEXED BY sessions_in_order"
    for row in connection.execute(query + " ORDER BY " + order, arguments):
        yield (row[0], row[1], row[2], row[3], part.first_line + row[4]), row[5]


class ScannedFileSlices(FileSessionRepository):
    """The slices of a file that a parallel run has scanned (`scan_in_parts`): each slice
    reads its documents back from every part's spool. The lines that could not be decoded
    come with the first slice, where a single scan would give them: first."""

    def __init__(self, path: str, date_field: str, parts: Sequence[ScannedPart],
                 runs: Optional[RunsSource] = None, batch_size: int = 1000,
                 project: bool = True):
        super().__init__(path, date_field, runs, batch_size, project)
        self.parts = parts

    def _sessions(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        first = date_range.index == 0
        self._expected = sum(part.unreadable for part in self.parts) if first else None
        return read_spooled(self.path, self.parts, date_range, with_unreadable=first)


def part_bounds(path: str, count: int) -> List[Tuple[int, int]]:
    """[start, end) byte ranges of about equal size, each starting at a line's start."""
    size = os.path.getsize(path)
    starts = [0]
    with open(path, "rb") as handle:
        for position in range(1, count):
            handle.seek(size * position // count)
            handle.readline()  # to the start of the next line
            if starts[-1] < handle.tell() < size:
                starts.append(handle.tell())
    return list(zip(starts, starts[1:] + [size]))


def scan_in_parts(path: str, date_range: TimeWindow, date_field: str, count: int,
                  folder: str, map_in_workers, project: bool = True) -> List[ScannedPart]:
    """Scans the file as `count` byte ranges at once (`map_in_workers` is a process
    pool's map), each into its own spool under `folder`, indexed by time for the slices."""
    bounds = part_bounds(path, count)
    spools = [os.path.join(folder, "part-{:05d}.sqlite".format(n)) for n in range(len(bounds))]
    parts = list(map_in_workers(
        scan_part_into, [path] * len(bounds), [start for start, _ in bounds],
        [end for _, end in bounds], [date_range] * len(bounds),
        [date_field] * len(bounds), spools, [project] * len(bounds)))
    lines_before = 0
    for part in parts:
        part.first_line = lines_before
        lines_before += part.lines
    return parts


def scan_part_into(path: str, byte_start: int, byte_end: int, date_range: TimeWindow,
                   date_field: str, spool_path: str, project: bool = True) -> ScannedPart:
    """One part of `scan_in_parts`, run in a worker process."""
    excluded = split_paths(sessions_projection()) if project else None
    connection = open_spool(spool_path)
    try:
        return scan_file_part(path, byte_start, byte_end, date_range, date_field, excluded,
                              connection, spool_path, by_time=True)
    except sqlite3.Error as exc:
        raise SourceError("cannot spool INPUT_PATH {} under {}: {}".format(
            path, os.path.dirname(spool_path), exc)) from None
    finally:
        connection.close()


_INSERT = "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)"
_ORDER = "date_rank, date_value, id_rank, id_value, line"  # (DATE_FIELD, _id), then the line
_INSERT_EVERY = 1000
_INT64 = 2 ** 63


def _sortable(key: Tuple) -> Tuple:
    """A sort key (repositories/date_filter.py) as four SQLite values that order the same
    way: ObjectId bytes as a BLOB (compared bytewise, as MongoDB does), text as TEXT (UTF-8
    bytewise: code point order), numbers as numbers (beyond 64 bits as REAL)."""
    (date_rank, date_value), (id_rank, id_value) = key
    return (date_rank, _number(date_value), id_rank, _number(id_value))


def _number(value):
    """A sort value as SQLite can hold it: an integer beyond 64 bits as REAL (beyond a
    double's range, as an infinity of its sign), text with a lone surrogate as its escape
    text."""
    kind = type(value)
    if kind is int and not -_INT64 <= value < _INT64:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if kind is str:
        return sqlite_text(value)
    return value
