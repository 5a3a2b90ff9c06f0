"""What differs between the ways a run reads its range: an engine. The run's sequence
(services/dataset_job.run_job) is written once; an engine reads the selection into the
run's outputs, stages them, and switches the published result to them, in the store first,
then locally.

- services/engine_one_pass.py: one pass in this process;
- services/engine_workers.py: time slices in worker processes (WORKERS > 1);
- services/engine_spark.py: time slices as Spark tasks (AWS Glue for Spark).

A new engine is one module with a class of this interface, and one builder in the
composition root (factories/bootstrap.py).
"""

import abc
from typing import TYPE_CHECKING, Dict, Iterator, Optional

from config.settings import JobConfig
from interfaces.ports import ObjectStore
from services.reading import Written
from services.run_outputs import RunOutputs

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
    def stage(self, config: JobConfig, written: Written, outputs: RunOutputs,
              store: Optional[ObjectStore], result: "JobResult") -> None:
        """Before the switch: every new file complete where the switch takes it from (under
        a temporary name locally; in the store, under this run's staging prefix), and
        `result.outputs` (and `result.parts`, when the rows are in parts) describing the
        files as they will be published. Nothing a reader sees has changed yet."""

    @abc.abstractmethod
    def switch_remote(self, config: JobConfig, outputs: RunOutputs, store: ObjectStore,
                      result: "JobResult") -> None:
        """In the store: the earlier manifest withdrawn first, the staged files under their
        final names, what they replace removed. The new manifest comes after."""

    @abc.abstractmethod
    def switch_local(self, config: JobConfig, written: Written, outputs: RunOutputs,
                     result: "JobResult") -> None:
        """Locally, once the store holds the new result: the same switch, without the
        manifest, which comes after."""

    def rows_files(self, config: JobConfig, written: Written) -> Iterator[str]:
        """The read's rows as local files in slice order, for the partitioned layout to
        split by day: the one file of a local read (the default)."""
        if written.data is not None:
            yield written.data.temporary_path

    def manifest_fields(self) -> Dict[str, object]:
        """What the manifest says about this engine, beside the common fields."""
        return {}

    def close(self) -> None:  # noqa: B027 - most engines hold nothing
        """Releases the source."""
