"""REPOSITORY_TYPE=simulated: realistic Agno sessions made on the fly (repositories/simulated)."""

import datetime as dt

from config import constants
from config.settings import JobConfig
from factories.sources.entry import SourceEntry, Values
from interfaces.ports import SessionRepository
from repositories.simulated import SimulatedSessionRepository


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
