"""The date-range selection and sort order, identical for MongoDB and the local sources.

MongoDB compares a range only with values of the same type family, so a range over
DATE_FIELD is one `$or` of typed ranges: epoch seconds (Agno's default), epoch
milliseconds, and BSON dates. The file and simulated sources apply the same predicate in
Python, and sort by the same (DATE_FIELD, _id) order MongoDB uses across types.
"""

import datetime as dt
from typing import Any, Dict, Mapping, Optional, Tuple

from config.constants import EPOCH_MILLISECONDS_ABOVE
from interfaces.values import TimeWindow
from utils.timestamps import epoch_seconds

_EPOCH = dt.datetime(1970, 1, 1)
_MILLISECONDS_ABOVE = int(EPOCH_MILLISECONDS_ABOVE)

# BSON's cross-type sort order (the types a date field or _id may hold here).
_TYPE_RANK_NUMBER = 1
_TYPE_RANK_STRING = 2
_TYPE_RANK_OBJECT = 3
_TYPE_RANK_OBJECT_ID = 7
_TYPE_RANK_BOOLEAN = 8
_TYPE_RANK_DATE = 9


def mongo_date_filter(date_field: str, date_range: TimeWindow) -> Dict[str, Any]:
    """The range as MongoDB selects it. A number is read as the features read it: above
    10^11 it is epoch milliseconds, otherwise seconds, so a seconds value is never taken
    for milliseconds of another date (or the reverse) whatever the range."""
    start, end = date_range.start_seconds, date_range.end_exclusive_seconds
    return {"$or": [
        {date_field: {"$gte": int(start), "$lt": int(end), "$lte": _MILLISECONDS_ABOVE}},
        {date_field: {"$gte": int(start) * 1000, "$lt": int(end) * 1000,
                      "$gt": _MILLISECONDS_ABOVE}},
        {date_field: {"$gte": _EPOCH + dt.timedelta(seconds=start),
                      "$lt": _EPOCH + dt.timedelta(seconds=end)}},
    ]}


def in_date_range(value, date_range: TimeWindow) -> bool:
    """The Python twin of `mongo_date_filter` for one stored value."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        start, end = date_range.start_seconds, date_range.end_exclusive_seconds
        if value > _MILLISECONDS_ABOVE:
            return start * 1000 <= value < end * 1000
        return start <= value < end
    if isinstance(value, dt.datetime):
        seconds = epoch_seconds(value)
        return (seconds is not None
                and date_range.start_seconds <= seconds < date_range.end_exclusive_seconds)
    return False


def field_value(document: Mapping, path: str):
    """The value at a field path as MongoDB's filter reads it (`meta.created` is the
    `created` of the object `meta`); None when any step is missing or not an object."""
    if "." not in path:
        return document.get(path)
    value: object = document
    for name in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def sort_key(date_value, document_id) -> Tuple:
    """(DATE_FIELD, _id) in MongoDB's ascending order, for values `in_date_range` accepts."""
    return (_value_key(date_value), _value_key(document_id))


def _value_key(value) -> Tuple:
    if isinstance(value, bool):
        return (_TYPE_RANK_BOOLEAN, value)
    if isinstance(value, (int, float)):
        return (_TYPE_RANK_NUMBER, value)
    if isinstance(value, str):
        return (_TYPE_RANK_STRING, value)
    if isinstance(value, dt.datetime):
        return (_TYPE_RANK_DATE, epoch_seconds(value))
    if type(value).__name__ == "ObjectId":
        return (_TYPE_RANK_OBJECT_ID, value.binary)
    return (_TYPE_RANK_OBJECT, str(value))


class OutsideRange:
    """The documents a local source read and did not select: how many, and the span of
    their DATE_FIELD, so a user who chose the wrong range is told which range would do."""

    def __init__(self):
        self.documents = 0
        self.without_date = 0
        self.earliest: Optional[float] = None
        self.latest: Optional[float] = None

    def count(self, value) -> None:
        self.documents += 1
        seconds = epoch_seconds(value) if not isinstance(value, str) else None
        if seconds is None:
            self.without_date += 1
            return
        if self.earliest is None or seconds < self.earliest:
            self.earliest = seconds
        if self.latest is None or seconds > self.latest:
            self.latest = seconds

    def add(self, other: "OutsideRange") -> None:
        """Takes in what another part of the same file skipped."""
        self.documents += other.documents
        self.without_date += other.without_date
        for seconds in (other.earliest, other.latest):
            if seconds is not None:
                self.earliest = seconds if self.earliest is None else min(self.earliest, seconds)
                self.latest = seconds if self.latest is None else max(self.latest, seconds)

    def describe(self) -> Dict[str, object]:
        return {"documents": self.documents, "without_date": self.without_date,
                "earliest": _day(self.earliest), "latest": _day(self.latest)}

    def log_text(self) -> str:
        described = self.describe()
        return " ".join("outside_range_{}={}".format(key, value if value is not None else "")
                        for key, value in described.items())


def _day(seconds: Optional[float]) -> Optional[str]:
    if seconds is None:
        return None
    return (_EPOCH + dt.timedelta(seconds=seconds)).date().isoformat()
