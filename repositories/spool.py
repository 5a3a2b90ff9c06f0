"""Documents kept on disk while a local source orders or indexes them.

A temporary SQLite database (the standard library's) holds each document as BSON, already
without the fields no feature reads, next to the columns it is ordered or found by. SQLite
sorts and looks up within a small page cache, spilling to disk, so memory stays flat
however large the file; BSON decodes back in C, far faster than JSON.
"""

import os
import shutil
import sqlite3
import tempfile
from typing import Callable, Optional, Tuple

import bson

CACHE_KIB = 2 * 1024
_BSON = 0
_LINE = 1  # a document BSON cannot hold (an integer beyond 64 bits): kept as its line


def stored(document: dict, raw: bytes) -> Tuple[int, bytes]:
    """(format, bytes) to store `document`, decoded from the line `raw`."""
    try:
        return _BSON, bson.encode(document)
    except (OverflowError, bson.errors.InvalidDocument):
        return _LINE, raw


def restored(stored_format: int, content: bytes, decode_line: Callable[[bytes], object]):
    return bson.decode(content) if stored_format == _BSON else decode_line(content)


def open_spool(path: str, read_only: bool = False) -> sqlite3.Connection:
    """A spool database tuned for one writer that needs no crash safety (it is temporary)."""
    if read_only:
        connection = sqlite3.connect("file:{}?mode=ro".format(path), uri=True)
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
        self.folder = tempfile.mkdtemp(prefix=prefix, dir=directory)
        self.path = os.path.join(self.folder, "spool.sqlite")
        self.connection = open_spool(self.path)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        shutil.rmtree(self.folder, ignore_errors=True)
