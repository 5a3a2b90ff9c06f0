"""What a source declares about itself (factories/sources/__init__.py registers them)."""

from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from config.settings import JobConfig
from interfaces.ports import SessionRepository

# The parameters of a run as parsed, by JobConfig field name, before they are frozen.
Values = Mapping[str, Any]


def _nothing_to_check(values: Values) -> None:
    return None


def _not_chosen(values: Values) -> bool:
    return False


def _nothing_prepared(config: JobConfig, pool, work_folder: str) -> "Prepared":
    return Prepared()


@dataclass
class Prepared:
    """What the parent of a parallel run prepared once for every slice (a resolved URI,
    scanned file parts): picklable, holding no connection. `known` is what the parent
    learnt that no slice does, for the manifest."""

    data: Any = None
    known: Optional[Dict[str, object]] = None


@dataclass(frozen=True)
class SourceEntry:
    name: str  # the REPOSITORY_TYPE value
    build: Callable[[JobConfig], SessionRepository]  # the repository of a one-pass run
    # The repository of one slice, in a worker process or a Spark task, from what the
    # parent prepared (prepare_slices).
    slice_repository: Callable[[JobConfig, Any], SessionRepository]
    prepare_slices: Callable[[JobConfig, Any, str], Prepared] = _nothing_prepared
    check: Callable[[Values], None] = _nothing_to_check  # ConfigError naming a parameter
    chosen_by_auto: Callable[[Values], bool] = _not_chosen
    # Parameters only this source takes: given with another source, a configuration error.
    exclusive_parameters: Tuple[str, ...] = ()
    runs_on_spark: bool = True
    # Why Spark cannot run it, when it cannot.
    not_on_spark_because: str = ""
