"""Builds the session repository REPOSITORY_TYPE names, with its client."""

from typing import Callable, Optional

from config import constants
from config.settings import JobConfig
from factories.mongo_connection import connect, host_label, mongo_uri_of
from interfaces.abstractions import SessionRepository
from repositories.file_repository import FileSessionRepository
from repositories.runs_file import RunsFile
from repositories.simulated import SimulatedSessionRepository
from utils.secrets import passwords_in


def build_repository(config: JobConfig,
                     secrets_client_factory: Optional[Callable[[], object]] = None
                     ) -> SessionRepository:
    if config.repository_type == "simulated":
        return SimulatedSessionRepository(
            config.simulated_sessions, config.simulation_seed, config.date_field,
            join_runs=config.runs_collection != constants.RUNS_COLLECTION_NONE,
            batch_size=constants.LOCAL_RUNS_JOIN_BATCH)
    if config.repository_type == "file":
        runs = RunsFile(config.runs_input_path) if config.runs_input_path else None
        return FileSessionRepository(config.input_path, config.date_field, runs,
                                     constants.LOCAL_RUNS_JOIN_BATCH)
    return build_mongo_repository(config, mongo_uri_of(config, secrets_client_factory))


def build_mongo_repository(config: JobConfig, uri: str) -> SessionRepository:
    from repositories.mongo_repository import MongoSessionRepository

    return MongoSessionRepository(connect(config, uri), config.database_name,
                                  config.collection_name, config.date_field, config.batch_size,
                                  host_label(uri), secrets=tuple(passwords_in(uri)),
                                  runs_collection=config.runs_collection,
                                  count_total=config.progress_total)


