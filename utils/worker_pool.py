"""Worker processes for a parallel run: the standard library's process pool, stopped for
good when the run fails or is stopped.

Workers are forked where the platform can (Linux, Glue): a spawned worker imports the main
module again, and a launcher that runs the job script from unguarded top-level code would
run the whole job once more in every worker. Forking is safe here because the parent holds
no MongoDB client and no thread when the pool starts (the workers build their own clients,
and a forking pool starts all its processes before its own threads)."""

import contextlib
import ctypes
import multiprocessing
import os
import signal
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Dict, Iterator, Sequence

from utils.logging_setup import configure_logging, redaction

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# A worker found stopped (SIGSTOP, a debugger) this long fails the run instead of holding it
# forever; at the end of a failed run, workers get this long to end after SIGTERM, then
# SIGKILL, which even a stopped process cannot ignore.
STOPPED_WORKER_LIMIT_S = 30.0
TERMINATE_GRACE_S = 5.0
_POLL_S = 1.0


class StoppedWorker(Exception):
    """A worker process has been stopped (state T) for STOPPED_WORKER_LIMIT_S."""


def _end_with_parent(parent: int) -> None:
    """A worker gets SIGTERM when its parent dies, even by SIGKILL (Linux), instead of
    computing the rest of its slice for nobody."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the worker ends at its next task
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _start_worker(log_level: str, secrets: Sequence[str], parent: int) -> None:
    # The parent alone answers Ctrl-C; SIGTERM (the parent's terminate) ends a worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _end_with_parent(parent)
    configure_logging(log_level)
    redaction.add(*secrets)


@contextlib.contextmanager
def worker_pool(workers: int, log_level: str) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` processes that log like the parent and redact the same secrets.
    On any failure (SIGTERM included) the workers are terminated, not waited for."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context(method),
                               initializer=_start_worker,
                               initargs=(log_level, tuple(redaction.secrets), os.getpid()))
    try:
        yield pool
    except BaseException:
        end_workers()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def end_workers(grace: float = TERMINATE_GRACE_S) -> None:
    """SIGTERM to every worker, then SIGKILL to those still there after `grace` seconds
    (a stopped worker cannot act on SIGTERM, and would keep the job's stdout open)."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join(1.0)


def result_of(future: Future, stopped_limit: float = STOPPED_WORKER_LIMIT_S):
    """The future's result, waiting as long as it takes, unless a worker process stays
    stopped for `stopped_limit` seconds: then StoppedWorker."""
    stopped_since: Dict[int, float] = {}
    while True:
        try:
            return future.result(timeout=_POLL_S)
        except FutureTimeout:
            pass
        now = time.monotonic()
        for child in multiprocessing.active_children():
            if child.pid is None:
                continue
            if _state_of(child.pid) in ("T", "t"):
                since = stopped_since.setdefault(child.pid, now)
                if now - since >= stopped_limit:
                    raise StoppedWorker(
                        "worker process {} has been stopped (SIGSTOP or a debugger) for {:.0f} "
                        "s".format(child.pid, now - since))
            else:
                stopped_since.pop(child.pid, None)


def _state_of(pid) -> str:
    """A process's state letter from /proc (R, S, D, T, t, Z), or "" where unknown."""
    try:
        with open("/proc/{}/stat".format(pid)) as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return ""
