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
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator, Sequence

from utils.logging_setup import configure_logging, redaction

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


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
        for child in multiprocessing.active_children():
            child.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
