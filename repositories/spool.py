"""Documents kept on disk while a local source orders or indexes them.

A temporary SQLite database (the standard library's) holds each document, already without
the fields no feature reads, next to the columns it is ordered or found by. SQLite sorts and
looks up within a small page cache, spilling to disk, so memory stays flat however large
the file.

Documents are stored pickled: the decoded document comes back exactly as it went in (types
included, integers beyond 64 bits too), reads back 26 % faster than BSON and takes 29 %
less disk (docs/benchmarks.md, section 6). The spool is this run's own, in a folder only
this user can read (mkdtemp), and is removed when the run ends.
"""

import os
import pickle
import shutil
import sqlite3
import sys
import tempfile
from typing import Optional
from urllib.parse import quote

from interfaces.errors import OutputError
from utils.claims import work_folder_prefix

CACHE_KIB = 2 * 1024


def stored(document: dict) -> bytes:
    """The document as bytes. Python's JSON decoder accepts nesting up to the interpreter's
    recursion limit (about 980 levels); pickling the same depth needs the frames of its
    caller too, so a document the decoder took is pickled with that much more room."""
    try:
        return pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
    except RecursionError:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + _PICKLE_ROOM)
        try:
            return pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            sys.setrecursionlimit(limit)


_PICKLE_ROOM = 2000


def restored(content: bytes) -> dict:
    return pickle.loads(content)


def sqlite_text(value: str) -> str:
    """`value` as SQLite can hold it. JSON may carry a lone UTF-16 surrogate (`\\ud800`),
    which no UTF-8 text holds: such a character is kept as its escape text, the same on
    every side of a comparison (a sort key, a join key)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def open_spool(path: str, read_only: bool = False) -> sqlite3.Connection:
    """A spool database tuned for one writer that needs no crash safety (it is temporary)."""
    if read_only:
        # A URI: a `?` or `#` in the folder's name (TMPDIR) must not read as its query
        connection = sqlite3.connect("file:{}?mode=ro".format(quote(path)), uri=True)
    else:
        connection = sqlite3.connect(path)
        for pragma in ("journal_mode=OFF", "synchronous=OFF"):
            connection.execute("PRAGMA " + pragma)
    for pragma in ("temp_store=FILE", "cache_size=-{}".format(CACHE_KIB)):
        connection.execute("PRAGMA " + pragma)
    return connection


class TemporaryDatabase:
    """A SQLite database in a folder of its own, removed by close()."""

    def __init__(self, prefix: str, directory: Optional[str] = None):
        where = directory or tempfile.gettempdir()
        try:
            self.folder = tempfile.mkdtemp(prefix=work_folder_prefix(prefix), dir=directory)
        except OSError as exc:
            raise OutputError("cannot create a work folder under {}: {} (set TMPDIR to a "
                              "writable folder with room)".format(where, exc.strerror or exc)
                              ) from None
        self.path = os.path.join(self.folder, "spool.sqlite")
        try:
            self.connection = open_spool(self.path)
        except sqlite3.Error as exc:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise OutputError("cannot create a work database under {}: {}".format(
                where, exc)) from None
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.connection.close()
            self.closed = True
        shutil.rmtree(self.folder, ignore_errors=True)
