import os
import subprocess
import sys
import time

import pytest

from utils import claims
from utils.claims import host_tag, remove_abandoned_work_folders, start_ticks
from utils.files import AtomicFile, remove_abandoned_temporary_files

DEAD_PID = 2 ** 22 + 12345  # above Linux's pid_max: no such process


def claimed(host, pid, start):
    return "{}-{}-{}".format(host, pid, start)


def test_a_temporary_name_holds_this_processs_host_pid_and_start():
    handle = AtomicFile("/tmp/{}-claims-check.csv".format(os.getpid()))
    try:
        assert ".{}-{}-{}-".format(host_tag(), os.getpid(), start_ticks(os.getpid())) in (
            handle.temporary_path)
    finally:
        handle.discard()


def test_a_file_is_abandoned_when_its_process_is_gone_or_its_pid_was_reused(tmp_path):
    parent = os.getppid()
    files = {
        "gone": claimed(host_tag(), DEAD_PID, 1),
        "reused": claimed(host_tag(), parent, (start_ticks(parent) or 0) + 1),
        "alive": claimed(host_tag(), parent, start_ticks(parent) or 0),
        "other_host_recent": claimed("0" * 8, DEAD_PID, 1),
        "other_host_old": claimed("1" * 8, DEAD_PID, 1),
        "mine": claimed(host_tag(), os.getpid(), 5),
    }
    for name, claim_text in files.items():
        (tmp_path / "{}.csv.{}-0123abcd.part".format(name, claim_text)).write_text("x")
    old = time.time() - claims.OTHER_HOST_ABANDONED_AFTER_S - 60
    os.utime(tmp_path / "other_host_old.csv.{}-0123abcd.part".format(files["other_host_old"]),
             (old, old))
    assert remove_abandoned_temporary_files(str(tmp_path)) == 3
    left = sorted(path.name.split(".")[0] for path in tmp_path.iterdir())
    assert left == ["alive", "mine", "other_host_recent"]


def test_work_folders_of_killed_runs_are_removed_and_live_ones_kept(tmp_path):
    """A SIGKILLed WORKERS parent leaves slices-*, a shuffled file's run sessions-order-*."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / "slices-{}-x1".format(
            claimed(host_tag(), child.pid, start_ticks(child.pid) or 0))
        dead = tmp_path / "sessions-order-{}-x2".format(claimed(host_tag(), DEAD_PID, 7))
        unrelated = tmp_path / "slices-of-bread"
        for folder in (live, dead, unrelated):
            folder.mkdir()
            (folder / "spool.sqlite").write_text("x")
        assert remove_abandoned_work_folders(str(tmp_path)) == 1
        assert live.exists() and unrelated.exists() and not dead.exists()
        child.kill()
        child.wait()
        assert remove_abandoned_work_folders(str(tmp_path)) == 1
        assert not live.exists()
    finally:
        if child.poll() is None:
            child.kill()


def test_a_folder_lock_is_held_by_one_live_run_and_taken_over_from_a_dead_one(tmp_path):
    first = claims.FolderLock(str(tmp_path / "range"))
    first.acquire()
    second = claims.FolderLock(str(tmp_path / "range"))
    with pytest.raises(claims.Busy) as busy:
        second.acquire()
    assert str(busy.value).startswith("process {} on this host, since ".format(os.getpid()))
    second.release()  # not its lock: left alone
    assert (tmp_path / "range" / "_run.lock").exists()
    first.release()
    assert not (tmp_path / "range" / "_run.lock").exists()
    (tmp_path / "range" / "_run.lock").write_text(
        claimed(host_tag(), DEAD_PID, 3) + " 2026-01-01T00:00:00Z\n")
    second.acquire()  # its holder is gone
    assert (tmp_path / "range" / "_run.lock").read_text().split()[0] == claims.claim()
    second.release()


def test_a_lock_without_a_claim_is_taken_over_only_once_it_is_old(tmp_path):
    """A run killed between creating the lock file and writing its claim."""
    folder = tmp_path / "range"
    folder.mkdir()
    lock_file = folder / "_run.lock"
    lock_file.write_text("")
    lock = claims.FolderLock(str(folder))
    with pytest.raises(claims.Busy, match="unknown"):
        lock.acquire()  # it may be a run about to write its claim
    old = time.time() - claims.UNCLAIMED_LOCK_ABANDONED_AFTER_S - 5
    os.utime(lock_file, (old, old))
    lock.acquire()
    assert lock_file.read_text().split()[0] == claims.claim()
    lock.release()
    assert not lock_file.exists()
