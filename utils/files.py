"""Writing files so that a reader never sees a half-written one under its final name."""

import hashlib
import os
import uuid
from typing import Optional

_CHUNK = 1024 * 1024


class AtomicFile:
    """A text file written under a temporary name beside its target, renamed on commit.

    The temporary name is unique per writer, so two runs of the same range at once each
    produce a complete file and the last rename wins.
    """

    def __init__(self, path: str):
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self.temporary_path = "{}.{}.part".format(path, uuid.uuid4().hex[:12])
        # newline="" keeps "\n" as written; "replace" turns unpaired surrogates (possible in
        # JSON input, never in BSON) into "?" instead of failing the whole file.
        self.handle = open(self.temporary_path, "w", encoding="utf-8", newline="",
                           errors="replace")

    def write(self, text: str) -> None:
        self.handle.write(text)

    def close(self) -> None:
        """Makes the temporary file complete on disk, still under its temporary name."""
        if not self.handle.closed:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()

    def commit(self) -> str:
        self.close()
        os.replace(self.temporary_path, self.path)
        return self.path

    def discard(self) -> None:
        """Removes the temporary file; safe after a failed write or after commit."""
        try:
            self.handle.close()
        except OSError:  # the failure that brought us here (disk full) can recur on flush
            pass
        remove_if_present(self.temporary_path)


def remove_if_present(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_size(path: str) -> Optional[int]:
    try:
        return os.path.getsize(path)
    except OSError:
        return None
