"""Reading stored times (epoch seconds, epoch milliseconds, BSON dates) as UTC epoch seconds."""

import datetime as dt
import math
import re
from typing import Optional

from config.constants import EPOCH_MILLISECONDS_ABOVE
from utils.driver_values import driver_epoch_milliseconds

_EPOCH = dt.datetime(1970, 1, 1)
# Times outside years 1-9999 cannot be written as ISO dates; they count as no time.
_MIN_SECONDS = -62135596800.0
_MAX_SECONDS = 253402300799.0
# A number as text, with the white space float() itself strips around it (ASCII only: the
# str.isspace() characters \x1c-\x1f match \s but make float() fail). Unambiguous, so a
# long run of digits followed by another character fails in linear time.
NUMERIC_TEXT = re.compile(r"[ \t\n\r\f\v]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
                          r"(?:[eE][+-]?[0-9]+)?[ \t\n\r\f\v]*\Z")


def epoch_seconds(value) -> Optional[float]:
    """UTC epoch seconds of a stored time, or None when the value is not a time.

    An epoch number (or numeric text) above 10^11 is milliseconds, otherwise seconds; a
    datetime without a zone is UTC (pymongo's default decoding); the driver's DatetimeMS (dates
    beyond Python's range) is milliseconds. Booleans, other text and objects are no time.
    """
    kind = type(value)
    if kind is float:
        number = value
    elif kind is int or (isinstance(value, int) and kind is not bool):  # the driver's Int64 too
        if abs(value) > 10**20:
            return None
        number = float(value)
    elif value is None or kind is bool:
        return None
    elif isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return (value - _EPOCH).total_seconds()
        return value.timestamp()
    elif isinstance(value, str):
        if not NUMERIC_TEXT.match(value):
            return None
        number = float(value)
    else:
        milliseconds = driver_epoch_milliseconds(value)
        if milliseconds is None:
            return None
        number = float(milliseconds)
        return number / 1000.0 if _MIN_SECONDS * 1000 <= number <= _MAX_SECONDS * 1000 else None
    if not math.isfinite(number):
        return None
    if number > EPOCH_MILLISECONDS_ABOVE:
        number /= 1000.0
    if not _MIN_SECONDS <= number <= _MAX_SECONDS:
        return None
    return number


def utc_text(seconds: float) -> str:
    """Epoch seconds as ISO 8601 UTC to the second, `2024-12-11T03:00:00Z`."""
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
