"""WORKERS > 1: the range's time slices read by worker processes on this machine; the
parent appends each slice's files to the run's rows and rejects, in slice order, as soon as
that slice and all before it are done, then publishes them as one pass would."""

import logging
import os
import shutil
import tempfile
import time
from concurrent.futures.process import BrokenProcessPool
from typing import List

from config.settings import JobConfig
from interfaces.errors import SourceError
from services.engine_one_pass import LocalRows
from services.reading import (
    SliceTotals,
    Written,
    discarded_on_failure,
    opened_file,
    run_slice,
    slices_of,
    span_of,
)
from services.reject_log import RejectLog
from services.rows_writer import RowsWriter, open_rows_writer
from services.run_outputs import RunOutputs
from utils.claims import work_folder_prefix
from utils.worker_pool import StoppedWorker, result_of, worker_pool

logger = logging.getLogger(__name__)


class Workers(LocalRows):
    """Reads in worker processes; publishes the local rows as one pass does.
    `prepare_slices(pool, work_folder)` gives the picklable source the workers read from
    (factories/slice_sources.py)."""

    name = "workers"

    def __init__(self, prepare_slices):
        self.prepare_slices = prepare_slices

    def read(self, config: JobConfig, outputs: RunOutputs) -> Written:
        return read_in_slices(config, self.prepare_slices, outputs.data.path,
                              outputs.rejects.path, outputs.folder)


def read_in_slices(config: JobConfig, prepare_slices, data_path: str, rejects_path: str,
                   folder: str) -> Written:
    """WORKERS processes read the range's slices; the parent appends each slice's files to
    the run's, in slice order, as soon as that slice and all before it are done.
    `prepare_slices(pool, work_folder)` gives the picklable source the workers read from
    (factories/slice_sources.py)."""
    started = time.monotonic()
    work_folder = tempfile.mkdtemp(prefix=work_folder_prefix("slices"))
    opened: List = []
    try:
        with discarded_on_failure(opened, folder):
            writer = opened_file(opened, open_rows_writer(config, data_path))
            rejects = opened_file(opened, RejectLog(rejects_path))
            written = _run_slices(config, prepare_slices, writer, rejects, work_folder,
                                  started)
            writer.close()
            rejects.close()
    finally:
        shutil.rmtree(work_folder, ignore_errors=True)
    written.stats.seconds = time.monotonic() - started
    return written


def _run_slices(config: JobConfig, prepare_slices, writer: RowsWriter, rejects: RejectLog,
                work_folder: str, started: float) -> Written:
    with worker_pool(config.workers, config.log_level) as pool:
        slice_source = prepare_slices(pool, work_folder)
        slices = slices_of(config, config.workers)
        logger.info("slices count=%d workers=%d first=%s", len(slices), config.workers,
                    span_of(slices[0]))
        # At most this many slices are submitted and not yet appended: a slice that
        # finished ahead of an earlier one waits on disk, so the run needs the CSV's size
        # plus these slices, not twice the CSV's size.
        in_flight = config.workers + 1
        submitted = [pool.submit(run_slice, slice_source, window, work_folder)
                     for window in slices[:in_flight]]
        totals = SliceTotals()
        for position in range(len(slices)):
            future = submitted[position]
            try:
                output = result_of(future)
            except StoppedWorker as stopped:
                raise SourceError("{} while slice {} of {} ({}) was read; nothing was "
                                  "published".format(stopped, position + 1, len(slices),
                                                     span_of(slices[position]))) from None
            except BrokenProcessPool:
                raise SourceError(
                    "a worker process ended abruptly (killed, or out of memory) before slice "
                    "{} of {} ({}) was complete; nothing was published".format(
                        position + 1, len(slices), span_of(slices[position]))) from None
            writer.append_rows_of(output.data_path, output.stats.rows_written)
            if output.rejects_path is not None:
                rejects.append_rejects_of(output.rejects_path, output.stats.rejected)
            for path in (output.data_path, output.rejects_path):
                if path is not None:
                    os.remove(path)
            totals.add(output)
            if len(submitted) < len(slices):
                submitted.append(pool.submit(run_slice, slice_source, slices[len(submitted)],
                                             work_folder))
            logger.info("slice_done slice=%d/%d span=%s documents=%d rows=%d rejects=%d "
                        "documents_read=%d elapsed_s=%.1f", position + 1, len(slices),
                        span_of(slices[position]), output.stats.documents_read,
                        output.stats.rows_written, output.stats.rejected,
                        totals.stats.documents_read, time.monotonic() - started)
    return totals.written(writer, rejects, slice_source.described())


