"""Who holds a temporary file or folder: a claim `<host>-<pid>-<start>` in its name, so
that a later run can tell an abandoned one (its process is gone) from one still in use.

A PID alone is not enough: two containers sharing a volume each have their own PIDs, and a
PID is reused after its process ends. So a claim names the host (a digest of its name and
boot id), the PID and the process's start time (in clock ticks since boot, Linux's
/proc/<pid>/stat). A claim of this host is abandoned when its PID is gone or now belongs to
a process that started at another time; a claim of another host cannot be checked, and is
left alone until it is older than any run can last (Glue's longest timeout, 48 hours).
"""

import hashlib
import os
import re
import shutil
import socket
import time
from typing import Optional

OTHER_HOST_ABANDONED_AFTER_S = 48 * 3600
# A lock file without a claim (its run was killed between creating and writing it) is
# taken over once it is this old; a live run writes its claim at once.
UNCLAIMED_LOCK_ABANDONED_AFTER_S = 60
CLAIM_PATTERN = r"([0-9a-f]{8})-(\d+)-(\d+)"
_WORK_FOLDER = re.compile(r"^(?:slices|sessions-order|runs-index|partitions)-"
                          + CLAIM_PATTERN + "-")


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


def host_tag() -> str:
    identity = socket.gethostname() + "/" + _read("/proc/sys/kernel/random/boot_id")
    return hashlib.sha256(identity.encode("utf-8", "replace")).hexdigest()[:8]


def start_ticks(pid: int) -> Optional[int]:
    """When process `pid` started (clock ticks since boot), where /proc tells."""
    stat = _read("/proc/{}/stat".format(pid))
    if not stat:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


_HOST = host_tag()


def claim() -> str:
    """This process's claim."""
    return "{}-{}-{}".format(_HOST, os.getpid(), start_ticks(os.getpid()) or 0)


def abandoned(host: str, pid: int, start: int, path: str) -> bool:
    """Whether the file or folder at `path`, claimed by (host, pid, start), is abandoned."""
    if host != _HOST:
        return _age(path) > OTHER_HOST_ABANDONED_AFTER_S
    if pid == os.getpid():
        return False
    if not process_exists(pid):
        return True
    started = start_ticks(pid)
    return bool(start) and started is not None and started != start


def process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def work_folder_prefix(kind: str) -> str:
    """The name a temporary folder of this run starts with, for tempfile.mkdtemp."""
    return "{}-{}-".format(kind, claim())


def remove_abandoned_work_folders(directory: str) -> int:
    """Removes the work folders (WORKERS slices, a shuffled file's spool, a runs index) that
    runs which no longer exist left in `directory` (a SIGKILL, an out-of-memory kill)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    removed = 0
    for name in names:
        match = _WORK_FOLDER.match(name)
        path = os.path.join(directory, name)
        if match and os.path.isdir(path) and not os.path.islink(path) and abandoned(
                match.group(1), int(match.group(2)), int(match.group(3)), path):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


class Busy(Exception):
    """Another live run holds the lock (its description is the message)."""


class FolderLock:
    """A lock file (`_run.lock`, skipped by readers like every `_` name) that one run of a
    folder holds from its start to its end, holding the run's claim. A lock whose run no
    longer exists is taken over."""

    def __init__(self, folder: str, name: str = "_run.lock"):
        self.folder = folder
        self.path = os.path.join(folder, name)
        self.claim = claim()
        self.held = False

    def acquire(self) -> None:
        os.makedirs(self.folder, exist_ok=True)
        for _ in range(3):
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _read(self.path)
                match = re.match("^" + CLAIM_PATTERN + "$", holder.split()[0] if holder else "")
                if match:
                    gone = abandoned(match.group(1), int(match.group(2)), int(match.group(3)),
                                     self.path)
                else:  # a run killed between creating the lock and writing its claim
                    gone = _age(self.path) > UNCLAIMED_LOCK_ABANDONED_AFTER_S
                if gone:
                    _remove(self.path)
                    continue
                raise Busy(_described(holder, self.path)) from None
            with os.fdopen(descriptor, "w") as handle:
                handle.write("{} {}\n".format(self.claim, time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
            self.held = True
            return
        raise Busy(_described(_read(self.path), self.path))

    def release(self) -> None:
        if self.held and _read(self.path).split()[:1] == [self.claim]:
            _remove(self.path)
        self.held = False


def _described(holder: str, path: str) -> str:
    parts = holder.split()
    if len(parts) >= 2 and re.match("^" + CLAIM_PATTERN + "$", parts[0]):
        host, pid, _ = parts[0].split("-")
        where = "this host" if host == _HOST else "another host ({})".format(host)
        return "process {} on {}, since {}".format(pid, where, parts[1])
    return "unknown ({!r})".format(holder[:80])


def _age(path: str) -> float:
    try:
        return time.time() - os.path.getmtime(path)
    except OSError:
        return 0.0


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
