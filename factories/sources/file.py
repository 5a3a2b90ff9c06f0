"""REPOSITORY_TYPE=file: a mongoexport of the sessions (and of the Agno 3 runs)."""

import logging
import os
from typing import Dict, Tuple

from config import constants
from config.errors import ConfigError
from config.settings import JobConfig
from factories.sources.entry import Prepared, SourceEntry, Values
from interfaces.ports import SessionRepository
from interfaces.values import DateRange
from repositories.file_repository import FileSessionRepository, ScannedFileSlices, scan_in_parts
from repositories.runs_file import RunsFile, RunsIndex

logger = logging.getLogger(__name__)


def build(config: JobConfig) -> SessionRepository:
    runs = RunsFile(config.runs_input_path) if config.runs_input_path else None
    return FileSessionRepository(input_path(config), config.selection_field, runs,
                                 constants.LOCAL_RUNS_JOIN_BATCH)


def prepare_slices(config: JobConfig, pool, work_folder: str) -> Prepared:
    """The file scanned in parallel parts into spools, and the runs file indexed by one
    worker while the others scan, so that no worker repeats either."""
    whole = DateRange(config.start_date, config.end_date)
    runs_index = (pool.submit(index_runs_file, config.runs_input_path, work_folder)
                  if config.runs_input_path else None)
    parts = scan_in_parts(input_path(config), whole, config.selection_field, config.workers,
                          work_folder, pool.map)
    outside = parts[0].outside
    for part in parts[1:]:
        outside.add(part.outside)
    logger.info("file_scan path=%s parts=%d selected=%d unreadable=%d %s",
                config.input_path, len(parts), sum(part.selected for part in parts),
                sum(part.unreadable for part in parts), outside.log_text())
    runs = runs_index.result() if runs_index is not None else (None, {})
    return Prepared(data=(parts, runs), known={"outside_range": outside.describe()})


def slice_repository(config: JobConfig, prepared) -> SessionRepository:
    parts, (runs_index, runs_description) = prepared
    runs = RunsIndex(runs_index, runs_description) if runs_index else None
    return ScannedFileSlices(input_path(config), config.selection_field, parts, runs,
                             constants.LOCAL_RUNS_JOIN_BATCH)


def index_runs_file(path: str, work_folder: str) -> Tuple[str, Dict[str, object]]:
    """In a worker: the runs file indexed under `work_folder` (removed with it), and its
    description."""
    runs = RunsFile(path, temporary_dir=work_folder)
    return runs.hand_over_index(), runs.describe()


def input_path(config: JobConfig) -> str:
    if not config.input_path:  # `check` refuses such a configuration first
        raise ConfigError("INPUT_PATH", "a readable JSON Lines file when REPOSITORY_TYPE=file",
                          "not set")
    return config.input_path


def check(values: Values) -> None:
    if values["input_path"] is None:
        raise ConfigError("INPUT_PATH", "a readable JSON Lines file when REPOSITORY_TYPE=file",
                          "not set")
    _check_readable_file("INPUT_PATH", values["input_path"])
    if values["runs_input_path"] is not None:
        _check_readable_file("RUNS_INPUT_PATH", values["runs_input_path"])


def _check_readable_file(name: str, path: str) -> None:
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise ConfigError(name, "a readable JSON Lines file",
                          "{!r} is not a readable file".format(path))


def given(values: Values) -> bool:
    """`auto` reads the file INPUT_PATH names: a file named and then ignored would give
    made-up sessions where the user expects theirs."""
    return values["input_path"] is not None


FILE = SourceEntry(name="file", build=build, slice_repository=slice_repository,
                   prepare_slices=prepare_slices, check=check, chosen_by_auto=given,
                   exclusive_parameters=("INPUT_PATH", "RUNS_INPUT_PATH"), runs_on_spark=False,
                   not_on_spark_because="INPUT_PATH is a file of the driver, which the "
                                        "executors cannot read")
