"""rejects.jsonl: one line per document that did not become a row, with its reason."""

import json
import math
from typing import Optional

from utils.files import AtomicFile


class RejectLog:
    """Opened on the first reject only: a run without rejects leaves no file."""

    def __init__(self, path: str):
        self.path = path
        self.count = 0
        self._file: Optional[AtomicFile] = None

    def record(self, document_id, session_id, reason: str, line: Optional[int] = None) -> None:
        if self._file is None:
            self._file = AtomicFile(self.path)
        entry = {"_id": _plain(document_id), "session_id": _plain(session_id), "reason": reason}
        if line is not None:
            entry["line"] = line
        self._file.write(json.dumps(entry, ensure_ascii=False, default=str,
                                    allow_nan=False) + "\n")
        self.count += 1

    def append_text(self, text: str, count: int) -> None:
        """Appends `count` reject lines already written as text (a Spark slice's)."""
        if self._file is None:
            self._file = AtomicFile(self.path)
        self._file.write(text)
        self.count += count

    def append_rejects_of(self, path: str, count: int) -> None:
        """Appends the lines of another rejects file (a slice's), streamed."""
        if self._file is None:
            self._file = AtomicFile(self.path)
        self._file.append_file(path)
        self.count += count

    @property
    def temporary_path(self) -> Optional[str]:
        return self._file.temporary_path if self._file is not None else None

    def close(self) -> None:
        """Complete on disk, still under its temporary name (nothing when no reject)."""
        if self._file is not None:
            self._file.close()

    def commit(self, path: Optional[str] = None) -> Optional[str]:
        """The file under its final name (or `path`); None when nothing was rejected."""
        return self._file.commit(path) if self._file is not None else None

    def discard(self) -> None:
        if self._file is not None:
            self._file.discard()


def _plain(value):
    """A JSON-friendly identifier: text and finite numbers as they are, anything else (NaN
    and infinity included, which strict JSON readers refuse) as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    return str(value)
