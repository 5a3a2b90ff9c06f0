"""Worker processes for a parallel run: the standard library's process pool, started with
`spawn` so that no worker inherits a parent's MongoDB client or its threads, and stopped
for good when the run fails or is stopped."""

import contextlib
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator, Sequence

from utils.logging_setup import configure_logging, redaction


def _start_worker(log_level: str, secrets: Sequence[str]) -> None:
    # The parent alone answers Ctrl-C and SIGTERM; it ends the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(log_level)
    redaction.add(*secrets)


@contextlib.contextmanager
def worker_pool(workers: int, log_level: str) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` processes that log like the parent and redact the same secrets.
    On any failure (SIGTERM included) the workers are terminated, not waited for."""
    pool = ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker,
                               initargs=(log_level, tuple(redaction.secrets)))
    try:
        yield pool
    except BaseException:
        for child in multiprocessing.active_children():
            child.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
