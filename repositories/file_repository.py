"""Sessions from a JSON Lines file in MongoDB Extended JSON, as `mongoexport` writes it.

Each line is decoded once (repositories/extended_json.py), without the fields no feature
reads; the documents in the date range wait in a temporary SQLite spool as BSON with their
(DATE_FIELD, _id) sort key, and come back in that order: the order MongoDB would return.
Memory stays flat: SQLite sorts within a small cache and spills to disk.
"""

import logging
import os
import sqlite3
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from interfaces.abstractions import (
    DateRange,
    RunsSource,
    SessionRepository,
    SourceError,
    SourceItem,
    UnreadableDocument,
)
from repositories import extended_json
from repositories.date_filter import OutsideRange, in_date_range, sort_key
from repositories.extended_json import split_paths
from repositories.runs_join import NOT_JOINED, RunsJoin
from repositories.spool import TemporaryDatabase, restored, stored
from repositories.unread_fields import sessions_projection
from utils.progress import ProgressLog

logger = logging.getLogger(__name__)

class FileSessionRepository(SessionRepository):
    def __init__(self, path: str, date_field: str, runs: Optional[RunsSource] = None,
                 batch_size: int = 1000, project: bool = True,
                 temporary_dir: Optional[str] = None):
        self.path = path
        self.date_field = date_field
        self.excluded = split_paths(sessions_projection()) if project else {}
        self.temporary_dir = temporary_dir
        self._join = RunsJoin(runs, batch_size) if runs is not None else None
        self.skipped: Optional[OutsideRange] = None
        self._expected: Optional[int] = None

    def describe(self) -> Dict[str, object]:
        described = {"type": "file", "path": self.path, "date_field": self.date_field,
                     "runs": self._join.describe() if self._join else NOT_JOINED}
        if self.skipped is not None:
            described["outside_range"] = self.skipped.describe()
        return described

    def documents(self, date_range: DateRange) -> Iterator[SourceItem]:
        if self._join is None:
            return self._sessions(date_range)
        return self._join.joined(self._sessions(date_range))

    def expected_documents(self) -> Optional[int]:
        """Known once the file is scanned (the first pass selects and sorts)."""
        return self._expected

    def close(self) -> None:
        if self._join is not None:
            self._join.source.close()

    def _sessions(self, date_range: DateRange) -> Iterator[SourceItem]:
        """Decodes every line once. Lines that cannot be decoded are yielded at once; the
        selected documents go to a temporary SQLite spool with their sort key and come back
        in (DATE_FIELD, _id) order, without a sort when the file was already in order."""
        skipped = OutsideRange()
        unreadable = 0
        self._expected = None
        database = TemporaryDatabase("sessions-order-", self.temporary_dir)
        try:
            connection = database.connection
            connection.execute(
                "CREATE TABLE sessions (date_rank INTEGER, date_value, id_rank INTEGER, "
                "id_value, line INTEGER, format INTEGER, document BLOB)")
            pending: List[tuple] = []
            previous_key = None
            in_order = True
            size = os.path.getsize(self.path)
            scan = ProgressLog(logger, "file_scan", "bytes_read", lambda: size)
            with open(self.path, "rb") as handle:
                offset = 0
                for line_number, raw in enumerate(handle, start=1):
                    offset += len(raw)
                    scan.step(offset)
                    if is_blank(raw):
                        continue
                    document = decode_json_line(raw, line_number, self.excluded)
                    if isinstance(document, UnreadableDocument):
                        unreadable += 1
                        yield document
                        continue
                    value = document.get(self.date_field)
                    if not in_date_range(value, date_range):
                        skipped.count(value)
                        continue
                    key = sort_key(value, document.get("_id"))
                    if in_order and previous_key is not None and key < previous_key:
                        in_order = False
                    previous_key = key
                    pending.append(_sortable(key) + (line_number,) + stored(document, raw))
                    if len(pending) >= _INSERT_EVERY:
                        connection.executemany(_INSERT, pending)
                        pending.clear()
            connection.executemany(_INSERT, pending)
            self.skipped = skipped
            selected = connection.execute("SELECT count(*) FROM sessions").fetchone()[0]
            self._expected = unreadable + selected
            logger.info("file_scan path=%s selected=%d in_order=%s %s", self.path, selected,
                        str(in_order).lower(), skipped.log_text())
            order = "rowid" if in_order else "date_rank, date_value, id_rank, id_value, line"
            for stored_format, content, line_number in connection.execute(
                    "SELECT format, document, line FROM sessions ORDER BY " + order):
                yield restored(stored_format, content,
                               lambda raw, n=line_number: decode_json_line(raw, n, self.excluded))
        except OSError as exc:
            raise SourceError("cannot read INPUT_PATH {}: {}".format(
                self.path, exc.strerror or exc)) from None
        except sqlite3.Error as exc:
            raise SourceError("cannot order INPUT_PATH {} under {}: {}".format(
                self.path, database.folder, exc)) from None
        finally:
            database.close()


_INSERT = "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)"
_BLANK_START = (b"", b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c")  # bytes.strip()'s white space


def is_blank(raw: bytes) -> bool:
    """A line with nothing but white space. Only a line starting with white space can be
    blank, so the others are not stripped (copying every 10 KB line costs time)."""
    return raw[:1] in _BLANK_START and not raw.strip()
_INSERT_EVERY = 1000
_INT64 = 2 ** 63


def _sortable(key: Tuple) -> Tuple:
    """A sort key (repositories/date_filter.py) as four SQLite values that order the same
    way: ObjectId bytes as a BLOB (compared bytewise, as MongoDB does), text as TEXT (UTF-8
    bytewise: code point order), numbers as numbers (beyond 64 bits as REAL)."""
    (date_rank, date_value), (id_rank, id_value) = key
    return (date_rank, _number(date_value), id_rank, _number(id_value))


def _number(value):
    if type(value) is int and not -_INT64 <= value < _INT64:
        return float(value)
    return value


def decode_json_line(raw: bytes, line_number: int, excluded: Sequence[Sequence[str]] = ()):
    """One mongoexport line as a document (without the `excluded` paths), or an
    UnreadableDocument saying why not."""
    try:
        # mongoexport writes no byte-order mark, but an editor or a Windows tool may add one.
        text = raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
        document = extended_json.loads(text, excluded)
    except UnicodeDecodeError:
        return UnreadableDocument("not UTF-8", line_number)
    except Exception as exc:  # json_util raises ValueError, TypeError, bson errors, ...
        return UnreadableDocument("invalid Extended JSON: {}".format(type(exc).__name__),
                                  line_number)
    if not isinstance(document, dict):
        return UnreadableDocument("not a JSON object", line_number)
    return document
