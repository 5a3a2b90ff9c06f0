"""Every source the job reads, registered once: one module per REPOSITORY_TYPE, with an
entry that says its own parameters and their checks, how it is built for a run, how it
prepares the slices of a parallel run, and whether Spark can run it. Adding a source (a
PostgreSQL table, say) is a new module here and one line in SOURCES."""

from typing import Dict

from factories.sources.entry import SourceEntry
from factories.sources.file import FILE
from factories.sources.mongo import MONGO
from factories.sources.simulated import SIMULATED

# In the order REPOSITORY_TYPE=auto asks them: the first whose rule holds is chosen.
SOURCES: Dict[str, SourceEntry] = {entry.name: entry for entry in (MONGO, FILE, SIMULATED)}

__all__ = ["SOURCES", "SourceEntry"]
