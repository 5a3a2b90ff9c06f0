"""A MongoDB database as Agno writes it, for the parallel and Spark tests."""

import datetime as dt

from interfaces.values import DateRange, JoinedSession
from repositories.simulated import SimulatedSessionRepository
from tests.support.fuzz import fuzz_documents, storable_in_ferretdb

DECEMBER = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))


def write_agno_database(database, count: int, damaged: int = 150) -> int:
    """Simulated sessions of every shape in `agno_sessions`, Agno 3 runs in `agno_runs`, and
    damaged documents that become rejects; returns how many session documents were written."""
    sessions, runs = [], []
    for item in SimulatedSessionRepository(count, 11).documents(DECEMBER):
        if isinstance(item, JoinedSession):
            sessions.append(item.document)
            runs.extend(item.run_documents)
        else:
            sessions.append(item)
    hostile = [storable_in_ferretdb(d) for d in fuzz_documents(damaged, seed=3, max_nesting=20)]
    sessions += [d for d in hostile if isinstance(d, dict)]
    database.agno_sessions.insert_many(sessions)
    database.agno_runs.insert_many(runs)
    return len(sessions)
