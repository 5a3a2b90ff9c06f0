"""The values the layers hand each other: the date range a run selects (and its time
slices), and what a source yields for each stored record."""

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from utils.timestamps import utc_text


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
        return _slices(self, count)


@dataclass(frozen=True)
class ChangeWindow:
    """The changes a run of the partitioned layout selects: whole seconds from
    `start_seconds` to `end_exclusive_seconds` - 1, both stored values inclusive (Agno
    stores seconds, so many documents share the bound's second)."""

    start_seconds: int
    end_exclusive_seconds: int

    @property
    def index(self) -> int:
        return 0

    @property
    def whole(self) -> "ChangeWindow":
        return self

    @property
    def last_second(self) -> int:
        """The window's upper bound, inclusive: the watermark it leaves."""
        return self.end_exclusive_seconds - 1

    def slices(self, count: int) -> List["TimeSlice"]:
        return _slices(self, count)

    def describe(self) -> Dict[str, str]:
        return {"from": utc_text(self.start_seconds), "to": utc_text(self.last_second)}


def _slices(window: Union[DateRange, ChangeWindow], count: int) -> List["TimeSlice"]:
    """The window cut into `count` contiguous, half-open slices of (nearly) equal
    duration, on whole seconds; together they select exactly what the window selects."""
    start, end = int(window.start_seconds), int(window.end_exclusive_seconds)
    count = max(1, min(count, end - start))
    bounds = [start + (end - start) * position // count for position in range(count + 1)]
    return [TimeSlice(index, bounds[index], bounds[index + 1], window)
            for index in range(count)]


@dataclass(frozen=True)
class TimeSlice:
    """A half-open UTC time window [start_seconds, end_exclusive_seconds) of a run's range:
    the unit of work of a parallel run (services/engine_workers.py, services/engine_spark.py)."""

    index: int
    start_seconds: int
    end_exclusive_seconds: int
    whole: Union[DateRange, ChangeWindow]


# What a repository selects by: a whole range of days or window of changes, or one slice.
TimeWindow = Union[DateRange, ChangeWindow, TimeSlice]


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


@dataclass
class SourceReport:
    """What a source says about a read: its description as the manifest shows it (never a
    password), and the facts the run decides by, read from it in one place."""

    description: Dict[str, Any]

    @property
    def runs_joined(self) -> bool:
        """Whether an Agno 3 runs collection or runs file was joined to the sessions."""
        runs = self.description.get("runs")
        return isinstance(runs, dict) and bool(runs.get("joined"))

    @property
    def outside_range(self) -> Optional[Dict[str, Any]]:
        """What a file source held outside the range (count, earliest, latest), if known."""
        outside = self.description.get("outside_range")
        return outside if isinstance(outside, dict) else None

    @property
    def collections_instead(self) -> Optional[List[str]]:
        """When the collection read does not exist: the collections its database holds."""
        missing = self.description.get("collection_missing")
        return list(missing.get("collections", [])) if isinstance(missing, dict) else None

    @staticmethod
    def merged(reports: Sequence["SourceReport"], known: Mapping[str, object]
               ) -> "SourceReport":
        """The range's report from its slices': the first slice's description, with the
        run documents each slice joined added up, and what the parent knows on top."""
        merged = dict(reports[0].description) if reports else {}
        if reports and reports[0].runs_joined:
            runs = dict(merged["runs"])
            for counter in ("documents_read", "sessions_with_runs"):
                runs[counter] = sum(report.description["runs"].get(counter, 0)
                                    for report in reports)
            merged["runs"] = runs
        merged.update(known)
        return SourceReport(merged)
