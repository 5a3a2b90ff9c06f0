"""REPOSITORY_TYPE=mongo: sessions (and Agno 3 runs) read from MongoDB with pymongo."""

import dataclasses

from config.errors import ConfigError
from config.settings import JobConfig
from factories.mongo_connection import connect, host_label, mongo_uri_of
from factories.sources.entry import Prepared, SourceEntry, Values
from interfaces.ports import SessionRepository
from utils.logging_setup import redaction
from utils.secrets import passwords_in


def build(config: JobConfig) -> SessionRepository:
    return build_mongo_repository(config, mongo_uri_of(config))


def build_mongo_repository(config: JobConfig, uri: str) -> SessionRepository:
    from repositories.mongo_repository import MongoSessionRepository

    return MongoSessionRepository(connect(config, uri), config.database_name,
                                  config.collection_name, config.selection_field, config.batch_size,
                                  host_label(uri), secrets=tuple(passwords_in(uri)),
                                  runs_collection=config.runs_collection,
                                  count_total=config.progress_total,
                                  runs_change_field=config.runs_change_field)


def prepare_slices(config: JobConfig, pool, work_folder: str) -> Prepared:
    """The URI resolved once (a Secrets Manager read) for every worker."""
    return Prepared(data=mongo_uri_of(config))


def slice_repository(config: JobConfig, uri) -> SessionRepository:
    # A Spark task resolves MONGO_SECRET_ID itself: the secret never travels with it.
    uri = uri or mongo_uri_of(config)
    redaction.add(*passwords_in(uri))
    # One count per slice would add a query each for little: progress is per slice.
    return build_mongo_repository(dataclasses.replace(config, progress_total=False), uri)


def given(values: Values) -> bool:
    return bool(values["mongo_uri"] or values["mongo_secret_id"])


def check(values: Values) -> None:
    if not given(values):
        raise ConfigError("MONGO_URI", "MONGO_URI or MONGO_SECRET_ID when REPOSITORY_TYPE=mongo",
                          "neither is set")


MONGO = SourceEntry(name="mongo", build=build, slice_repository=slice_repository,
                    prepare_slices=prepare_slices, check=check, chosen_by_auto=given)
