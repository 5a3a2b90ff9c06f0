"""Writing files so that a reader never sees a half-written one under its final name."""

import hashlib
import os
import re
import shutil
import uuid
from typing import IO, Optional

from utils.claims import CLAIM_PATTERN, abandoned, claim, process_exists

_CHUNK = 1024 * 1024
TEMPORARY_SUFFIX = ".part"
# <final name>.<claim of the writer: host-pid-start (utils/claims.py)>-<8 hex digits>.part
_TEMPORARY_NAME = re.compile(r"\." + CLAIM_PATTERN + r"-[0-9a-f]{8}\.part$")
# what earlier versions wrote: <final name>.<pid of the writer>-<8 hex digits>.part
_PID_TEMPORARY_NAME = re.compile(r"\.(\d+)-[0-9a-f]{8}\.part$")


class AtomicFile:
    """A file (text unless `binary`) written under a temporary name beside its target,
    renamed on commit.

    The temporary name is unique per writer, so two runs of the same range at once each
    produce a complete file and the last rename wins.
    """

    def __init__(self, path: str, binary: bool = False):
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self.temporary_path = "{}.{}-{}{}".format(path, claim(), uuid.uuid4().hex[:8],
                                                 TEMPORARY_SUFFIX)
        # newline="" keeps "\n" as written; "replace" is a last guard: the CSV writer has
        # already replaced what UTF-8 cannot hold (unpaired surrogates), counting it.
        self.handle: IO = (open(self.temporary_path, "wb") if binary else
                           open(self.temporary_path, "w", encoding="utf-8", newline="",
                                errors="replace"))

    def write(self, text: str) -> None:
        self.handle.write(text)

    def append_file(self, path: str, skip_lines: int = 0) -> None:
        """Appends the text of the file at `path`, streamed, without its first lines."""
        with open(path, encoding="utf-8", newline="") as source:
            for _ in range(skip_lines):
                source.readline()
            for chunk in iter(lambda: source.read(_CHUNK), ""):
                self.handle.write(chunk)

    def close(self) -> None:
        """Makes the temporary file complete on disk, still under its temporary name."""
        if not self.handle.closed:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()

    def commit(self, path: Optional[str] = None) -> str:
        """Gives the complete file its final name (`path` instead of the one it was opened
        for, when given)."""
        self.close()
        target = path or self.path
        os.replace(self.temporary_path, target)
        return target

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


def free_bytes(folder: str) -> int:
    """Free space for this user where `folder` is, or would be created."""
    probe = os.path.abspath(folder)
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    return shutil.disk_usage(probe).free


def human_bytes(count: float) -> str:
    """1536 -> '1.5 KB': sizes in messages people read."""
    if count < 1024:
        return "{:d} B".format(int(count))
    for unit in ("KB", "MB", "GB", "TB"):
        count /= 1024
        if count < 1024 or unit == "TB":
            break
    return "{:.1f} {}".format(count, unit)


def remove_abandoned_temporary_files(folder: str) -> int:
    """Removes the temporary files that runs which no longer exist left in `folder` (a
    SIGKILL, a lost machine); those of a run still going, here or in another process, stay.
    Returns how many were removed."""
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    removed = 0
    for name in names:
        path = os.path.join(folder, name)
        match = _TEMPORARY_NAME.search(name)
        if match:
            gone = abandoned(match.group(1), int(match.group(2)), int(match.group(3)), path)
        else:
            legacy = _PID_TEMPORARY_NAME.search(name)
            gone = legacy is not None and not process_exists(int(legacy.group(1)))
        if gone:
            remove_if_present(path)
            removed += 1
    return removed
