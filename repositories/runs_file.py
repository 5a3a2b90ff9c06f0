"""An Agno 3 runs collection dumped by mongoexport (RUNS_INPUT_PATH), joined by session_id.

A runs dump is about ten times the sessions dump and in no useful order, so it is neither
held in memory nor scanned once per batch. One pass decodes each line, without the fields
no feature reads, and stores it in a temporary SQLite database indexed by
session_id (repositories/spool.py); each batch of sessions then reads its runs back with
one indexed query. Memory stays at one decoded line plus SQLite's page cache.
"""

import logging
import sqlite3
from typing import Dict, Iterable, List, Mapping, Optional, Sequence

from config.errors import ConfigError
from interfaces.errors import SourceError
from interfaces.ports import RunsSource
from interfaces.values import UnreadableDocument
from repositories.extended_json import decode_json_line, is_blank, split_paths
from repositories.spool import TemporaryDatabase, open_spool, restored, sqlite_text, stored
from repositories.unread_fields import runs_projection
from utils.counts import Counts

logger = logging.getLogger(__name__)

_INSERT_EVERY = 2000
# SQLite's default limit of host parameters per statement is 999 on older builds.
_LOOKUP_CHUNK = 500


class RunsFile(RunsSource):
    """Run documents from a JSON Lines file, indexed on first use."""

    def __init__(self, path: str, project: bool = True, temporary_dir: Optional[str] = None):
        self.path = path
        self.excluded = split_paths(runs_projection()) if project else None
        self.temporary_dir = temporary_dir
        self.lines_read = 0
        self.indexed = 0
        self.unreadable = Counts()
        self._database: Optional[TemporaryDatabase] = None

    def describe(self) -> Dict[str, object]:
        return {"file": self.path, "lines_read": self.lines_read, "indexed": self.indexed,
                "unreadable_lines": dict(sorted(self.unreadable.items()))}

    def runs_of(self, session_ids: Sequence[str]) -> Iterable[Mapping]:
        return _runs_of(self._index(), session_ids)

    def hand_over_index(self) -> str:
        """Builds the index and hands its file over to the caller, who removes its folder
        (a temporary folder of `temporary_dir`): worker processes open it with RunsIndex."""
        database = self._indexed()
        self._database = None
        database.connection.close()
        return database.path

    def _index(self) -> sqlite3.Connection:
        return self._indexed().connection

    def _indexed(self) -> TemporaryDatabase:
        if self._database is None:
            database = TemporaryDatabase("runs-index", self.temporary_dir)
            self._database = database
            self._build(database)
        return self._database

    def _build(self, database: TemporaryDatabase) -> None:
        connection = database.connection
        connection.execute("CREATE TABLE runs (session_id TEXT NOT NULL, line INTEGER NOT NULL, "
                           "document BLOB NOT NULL)")
        pending = []
        try:
            with open(self.path, "rb") as handle:
                for line_number, raw in enumerate(handle, start=1):
                    self.lines_read += 1
                    row = self._row(raw, line_number)
                    if row is not None:
                        pending.append(row)
                    if len(pending) >= _INSERT_EVERY:
                        self._insert(connection, pending)
            self._insert(connection, pending)
            connection.execute("CREATE INDEX runs_by_session ON runs (session_id, line)")
            connection.commit()
        except OSError as exc:
            raise SourceError("cannot read RUNS_INPUT_PATH {}: {}".format(
                self.path, exc.strerror or exc)) from None
        except sqlite3.Error as exc:
            # "database or disk is full": the index needs about the runs file's size
            raise SourceError("cannot index RUNS_INPUT_PATH {} under {}: {} (the index needs "
                              "room for about the file's size: point TMPDIR at a larger "
                              "disk)".format(self.path, database.folder, exc)) from None
        skipped = sum(self.unreadable.values())
        if skipped and not self.indexed:
            # A gzipped or UTF-16 export reads as lines of nothing: every session would
            # look as if it had no runs.
            raise ConfigError("RUNS_INPUT_PATH", "a mongoexport of the runs collection: JSON "
                              "lines in UTF-8, not compressed",
                              "none of its {:,} lines could be read ({})".format(
                                  self.lines_read, ", ".join(
                                      "{}: {}".format(reason, count) for reason, count
                                      in sorted(self.unreadable.items()))))
        logger.info("runs_file_indexed path=%s lines=%d runs=%d skipped=%d", self.path,
                    self.lines_read, self.indexed, skipped)
        if skipped:
            logger.warning("runs_file_skipped_lines path=%s %s", self.path, " ".join(
                "{}={}".format(reason, count) for reason, count in sorted(self.unreadable.items())))

    def _insert(self, connection: sqlite3.Connection, pending: list) -> None:
        connection.executemany("INSERT INTO runs VALUES (?, ?, ?)", pending)
        self.indexed += len(pending)
        pending.clear()

    def _row(self, raw: bytes, line_number: int) -> Optional[tuple]:
        if is_blank(raw):
            return None
        document = decode_json_line(raw, line_number, self.excluded)
        if isinstance(document, UnreadableDocument):
            self._skip(document.reason.split(":")[0], line_number)
            return None
        session_id = document.get("session_id")
        if type(session_id) is not str:
            self._skip("no text session_id", line_number)
            return None
        return sqlite_text(session_id), line_number, stored(document)

    def _skip(self, reason: str, line_number: int) -> None:
        self.unreadable.add(reason)
        if self.unreadable[reason] <= 3:
            logger.warning("runs_file_line_skipped path=%s line=%d reason=%s", self.path,
                           line_number, reason)
        return None

    def close(self) -> None:
        if self._database is not None:
            self._database.close()
            self._database = None



class RunsIndex(RunsSource):
    """A runs file another process indexed (RunsFile.hand_over_index), opened read-only: the
    parallel slices of one run share one index."""

    def __init__(self, index_path: str, description: Dict[str, object]):
        self.index_path = index_path
        self.description = description
        self._connection: Optional[sqlite3.Connection] = None

    def describe(self) -> Dict[str, object]:
        return dict(self.description)

    def runs_of(self, session_ids: Sequence[str]) -> Iterable[Mapping]:
        if self._connection is None:
            self._connection = open_spool(self.index_path, read_only=True)
        try:
            return _runs_of(self._connection, session_ids)
        except sqlite3.Error as exc:
            raise SourceError("cannot read the runs index {}: {}".format(
                self.index_path, exc)) from None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _runs_of(connection: sqlite3.Connection, session_ids: Sequence[str]) -> List[Mapping]:
    found: List[Mapping] = []
    for start in range(0, len(session_ids), _LOOKUP_CHUNK):
        chunk = [sqlite_text(session_id) for session_id in session_ids[start:start + _LOOKUP_CHUNK]]
        rows = connection.execute(
            "SELECT document FROM runs WHERE session_id IN ({}) "
            "ORDER BY session_id, line".format(",".join("?" * len(chunk))), chunk)
        found.extend(restored(document) for (document,) in rows)
    return found
