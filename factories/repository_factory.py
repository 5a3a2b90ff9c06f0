"""Builds the session repository REPOSITORY_TYPE names, through its source's entry."""

from config.settings import JobConfig
from factories.configuration import source_of
from interfaces.ports import SessionRepository


def build_repository(config: JobConfig) -> SessionRepository:
    return source_of(config).build(config)
