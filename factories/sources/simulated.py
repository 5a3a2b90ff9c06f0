"""REPOSITORY_TYPE=simulated: realistic Agno sessions made on the fly (repositories/simulated)."""

import datetime as dt
import os

from config import constants
from config.settings import JobConfig
from factories.sources.entry import SourceEntry, Values
from interfaces.ports import SessionRepository
from interfaces.values import TimeWindow
from repositories.simulated import SimulatedSessionRepository
from utils.files import AtomicFile


def build(config: JobConfig) -> SessionRepository:
    """The partitioned layout reads the evolving world (stable sessions that change over
    days, at SIMULATED_NOW); a range reads sessions spread over its days."""
    if config.partitioned:
        from repositories.simulated.world import EvolvingWorld
        return EvolvingWorld(
            config.simulated_sessions, config.simulation_seed,
            config.simulated_now or dt.datetime.now(dt.timezone.utc), config.selection_field,
            join_runs=config.runs_collection != constants.RUNS_COLLECTION_NONE,
            batch_size=constants.LOCAL_RUNS_JOIN_BATCH,
            runs_change_field=config.runs_change_field)
    return SimulatedSessionRepository(
        config.simulated_sessions, config.simulation_seed, config.selection_field,
        join_runs=config.runs_collection != constants.RUNS_COLLECTION_NONE,
        batch_size=constants.LOCAL_RUNS_JOIN_BATCH)


def local_run(values: Values) -> bool:
    """Made-up sessions are chosen by `auto` only for a run that publishes nothing."""
    return values["s3_bucket"] is None


SIMULATED = SourceEntry(name="simulated", build=build,
                        slice_repository=lambda config, prepared: build(config),
                        chosen_by_auto=local_run)


LABELS_NAME = "_labels.csv"


def write_labels(config: JobConfig, window: TimeWindow, folder: str) -> str:
    """SIMULATED_LABELS: the ground-truth profile of each session the window read,
    `_labels.csv` in `folder` (session_id, profile, shape), in the order the source gave
    them."""
    repository = build(config)
    labels = repository.labels(window)  # type: ignore[attr-defined]
    path = os.path.join(folder, LABELS_NAME)
    labels_file = AtomicFile(path)
    try:
        labels_file.write("session_id,profile,shape\n")
        labels_file.write("".join("{},{},{}\n".format(*label) for label in labels))
        labels_file.commit()
    except BaseException:
        labels_file.discard()
        raise
    return path
