"""What a worker process or a Spark task needs to read one slice of the range.

A SliceSource is picklable and holds no connection: each worker builds its own repository
from it, through its source's entry (factories/sources). The parent prepares it once (the
source's `prepare_slices`: a MongoDB URI resolved from Secrets Manager, a file scanned in
parallel parts into spools, a runs file indexed), so that no worker repeats that.
"""

from dataclasses import dataclass, field
from typing import Callable, Dict

from config.settings import JobConfig
from factories.configuration import source_of
from factories.sources.entry import Prepared
from interfaces.ports import SessionRepository


@dataclass
class SliceSource:
    config: JobConfig
    prepared: Prepared = field(default_factory=Prepared, repr=False)

    def repository(self) -> SessionRepository:
        """The repository a worker reads its slices from."""
        return source_of(self.config).slice_repository(self.config, self.prepared.data)

    def described(self) -> Dict[str, object]:
        """What the parent knows about the source that no slice does."""
        return dict(self.prepared.known or {})


def prepare_slice_source(config: JobConfig) -> Callable[..., SliceSource]:
    """`prepare(pool, work_folder) -> SliceSource` for services/engine_workers.py."""
    def prepare(pool, work_folder: str) -> SliceSource:
        return SliceSource(config, source_of(config).prepare_slices(config, pool,
                                                                    work_folder))
    return prepare
