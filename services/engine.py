"""What differs between the ways a run reads its range: an engine. The run's sequence
(services/dataset_job.run_job) is written once; an engine reads the selection into the
run's outputs and publishes them.

- services/engine_one_pass.py: one pass in this process;
- services/engine_workers.py: time slices in worker processes (WORKERS > 1);
- services/engine_spark.py: time slices as Spark tasks (AWS Glue for Spark).

A new engine is one module with a class of this interface, and one builder in the
composition root (factories/bootstrap.py).
"""

import abc
from typing import TYPE_CHECKING, Dict, List, Optional

from config.settings import JobConfig
from interfaces.ports import ObjectStore
from services.reading import Written
from services.run_outputs import PublishedFile, RunOutputs

if TYPE_CHECKING:
    from services.dataset_job import JobResult


class Engine(abc.ABC):
    name = "engine"

    def prepare(self, config: JobConfig, store: Optional[ObjectStore]) -> None:  # noqa: B027
        """What would make every read fail, found before reading (the default: nothing)."""

    @abc.abstractmethod
    def read(self, config: JobConfig, outputs: RunOutputs) -> Written:
        """Reads the range: rows and rejects complete on disk or in staging, still under
        temporary names, held by `outputs` until the run commits."""

    @abc.abstractmethod
    def publish(self, config: JobConfig, written: Written, outputs: RunOutputs,
                store: Optional[ObjectStore], result: "JobResult") -> List[PublishedFile]:
        """The point of no return: gives the outputs their final names, locally and in
        the store; returns the parts published, if the engine writes the rows in parts.
        The earlier manifest is withdrawn first; the new one comes after this."""

    def manifest_fields(self) -> Dict[str, object]:
        """What the manifest says about this engine, beside the common fields."""
        return {}

    def close(self) -> None:  # noqa: B027 - most engines hold nothing
        """Releases the source."""
