"""Contracts between the layers: where sessions come from and where outputs go."""

import abc
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days, both ends inclusive."""

    start: dt.date
    end: dt.date

    # Cached: a file source asks for both bounds for every line it reads.
    @functools.cached_property
    def start_seconds(self) -> float:
        return _midnight_seconds(self.start)

    @functools.cached_property
    def end_exclusive_seconds(self) -> float:
        """Midnight after the last day: a time is in range when start <= t < this."""
        return _midnight_seconds(self.end + dt.timedelta(days=1))


    @property
    def index(self) -> int:
        """A whole range is its own first and only slice."""
        return 0

    @property
    def whole(self) -> "DateRange":
        """The run's whole range (a TimeSlice's `whole` is the range it was cut from)."""
        return self

    def slices(self, count: int) -> List["TimeSlice"]:
        """The range cut into `count` contiguous, half-open slices of (nearly) equal
        duration, on whole seconds; together they select exactly what the range selects."""
        start, end = int(self.start_seconds), int(self.end_exclusive_seconds)
        count = max(1, min(count, end - start))
        bounds = [start + (end - start) * position // count for position in range(count + 1)]
        return [TimeSlice(index, bounds[index], bounds[index + 1], self)
                for index in range(count)]


@dataclass(frozen=True)
class TimeSlice:
    """A half-open UTC time window [start_seconds, end_exclusive_seconds) of a run's range:
    the unit of work of a parallel run (services/sliced_reading.py)."""

    index: int
    start_seconds: int
    end_exclusive_seconds: int
    whole: DateRange


# What a repository selects by: a whole range, or one slice of it.
TimeWindow = Union[DateRange, TimeSlice]


def _midnight_seconds(day: dt.date) -> float:
    return float((day - dt.date(1970, 1, 1)).days * 86400)


@dataclass(frozen=True)
class UnreadableDocument:
    """A stored record that could not even be decoded (a broken JSON line): a reject."""

    reason: str
    position: Optional[int] = None  # line number in a file source


@dataclass(frozen=True)
class JoinedSession:
    """An Agno 3 session document with the run documents found for it (by `session_id`) in
    the runs collection or runs file, in the order the source returned them."""

    document: Mapping
    run_documents: Sequence[Mapping]


SourceItem = Union[Mapping, JoinedSession, UnreadableDocument]


class SessionRepository(abc.ABC):
    """Session documents whose DATE_FIELD lies in a date range, in ascending
    (DATE_FIELD, _id) order, exactly as MongoDB would return them."""

    @abc.abstractmethod
    def documents(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        """Streams the documents of the range, or of one slice of it; raises SourceError
        when the source fails, and ReadAgain when what it streamed so far must be thrown
        away and the range asked for again (services/reading.read_window does that)."""

    @abc.abstractmethod
    def describe(self) -> Dict[str, object]:
        """What the source is, for the manifest (never a password)."""

    def close(self) -> None:  # noqa: B027 - optional hook, most sources hold nothing
        """Releases connections; the default has none."""

    def expected_documents(self) -> Optional[int]:
        """How many documents the current read yields, once the source knows (for progress
        lines); None when it does not."""
        return None


class RunsSource(abc.ABC):
    """Agno 3 run documents, found by `session_id` (a runs collection, or a dump of one)."""

    @abc.abstractmethod
    def runs_of(self, session_ids: Sequence[str]) -> Iterable[Mapping]:
        """Every run document whose `session_id` is one of these; raises SourceError."""

    @abc.abstractmethod
    def describe(self) -> Dict[str, object]:
        """Which collection or file this is, for the manifest."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Releases what the source holds (temporary files); the default holds nothing."""


class ObjectStore(abc.ABC):
    """Where finished outputs are published (S3)."""

    @abc.abstractmethod
    def uri(self, key: str) -> str:
        """The address of `key` in the store."""

    @abc.abstractmethod
    def check(self) -> None:
        """Fails fast, before any work, when the store cannot be reached at all (no
        credentials, no such bucket). Raises PublishError. A later write can still be
        refused: this says nothing about permissions on each key."""

    @abc.abstractmethod
    def fetch(self, key: str) -> Optional[bytes]:
        """The object's content, or None when there is no such object."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Removes `key` if it exists (used to withdraw a stale manifest)."""

    @abc.abstractmethod
    def upload(self, path: str, key: str, content_type: str,
               metadata: Mapping[str, str], sha256: str) -> str:
        """Uploads a local file, verifies it arrived intact, returns its URI.
        Raises PublishError naming the bucket and key."""

    @abc.abstractmethod
    def keys(self, prefix: str) -> List[str]:
        """Every key that starts with `prefix`, in order."""

    @abc.abstractmethod
    def copy(self, source_key: str, key: str, content_type: str,
             metadata: Mapping[str, str], size: int, sha256: str) -> str:
        """Copies an object within the store (server side), verifies the copy's size and
        SHA-256, returns its URI. Raises PublishError."""


class SourceError(Exception):
    """The session source failed (unreachable, failing mid-read). Exit status 1."""


class ReadAgain(Exception):
    """A source found, while streaming, that what it has handed over must be discarded and
    the window read again from its start, which it will then read another way (a file
    found out of (DATE_FIELD, _id) order is sorted through a spool the second time). The
    reader discards its outputs and counts and asks again, once."""


class OutputError(Exception):
    """The local outputs could not be written (disk full, folder removed). Exit status 1."""


class PublishError(Exception):
    """Publishing the outputs failed. Exit status 1; the local files are kept."""


class JobStopped(BaseException):
    """SIGTERM arrived (Glue's stop or timeout). A BaseException, like KeyboardInterrupt, so
    that no `except Exception` on the way (in a driver, say) can swallow it: the run stops
    reading, removes its temporary files and reports. Exit status 1."""
