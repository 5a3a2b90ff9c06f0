"""The value rules for every metric of every shape (docs/features.md, "How the shapes map
to runs")."""

import json
import math

from utils.counts import Counts
from utils.driver_values import WHOLE_NUMBER_TYPES, driver_number
from utils.timestamps import NUMERIC_TEXT

NON_NUMERIC_METRIC = "non_numeric_metric"
_INT_LIMIT = 2**63  # BSON's range; larger whole numbers (JSON only) take the careful path


def _scalar(value, warnings: Counts) -> float:
    kind = type(value)
    if kind is float:
        number = value
    elif isinstance(value, int) and kind is not bool:  # int and the driver's Int64
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    elif kind is str and NUMERIC_TEXT.match(value):
        number = float(value)
    else:
        number = driver_number(value)
        if number is None:
            number = math.nan
    if number - number != 0.0:  # NaN or infinity
        warnings.add(NON_NUMERIC_METRIC)
        return 0.0
    return number


def metric_value(value, warnings: Counts) -> float:
    """A metric as one number.

    missing or null -> 0; a number -> itself; numeric text -> its number; a list -> the sum
    of its entries, nulls skipped; anything else (text, object, boolean, NaN, infinity)
    -> 0, counting one `non_numeric_metric` warning.
    """
    kind = type(value)
    if kind is float:
        return value if value - value == 0.0 else _scalar(value, warnings)
    if kind is int and -_INT_LIMIT < value < _INT_LIMIT:
        return float(value)
    if value is None:
        return 0.0
    if kind is list:
        total = 0.0
        for entry in value:
            entry_kind = type(entry)
            # the common entries inline; everything else through the full rules
            if entry_kind is int and -_INT_LIMIT < entry < _INT_LIMIT:
                total += entry
            elif entry_kind is float and entry - entry == 0.0:
                total += entry
            elif entry is not None:
                total += _scalar(entry, warnings)
        return total
    return _scalar(value, warnings)


def first_metric_value(value, warnings: Counts) -> float:
    """A metric read from its first non-null entry when it is a list (time_to_first_token)."""
    if type(value) is list:
        for entry in value:
            if entry is not None:
                return _scalar(entry, warnings)
        return 0.0
    return metric_value(value, warnings)


def canonical_json(value) -> str:
    """JSON with sorted keys, so {"a":1,"b":2} and {"b":2,"a":1} compare equal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


# Values whose Python equality is exactly JSON equality: text, whole numbers (int and the
# driver's Int64 both write as digits) and null. Not bool (True == 1 in Python, not in JSON), not
# float (1.0 == 1, -0.0 == 0.0), not containers (key order).
_PLAIN_TYPES = frozenset((str, int, type(None)) + WHOLE_NUMBER_TYPES)


def tool_call_key(name, arguments):
    """What makes two tool calls repeats: (tool_name, tool_args) compared as JSON with
    sorted keys, missing or null arguments counting as {}. None when not comparable.

    Arguments of plain values (the usual case) get a key without serialising (a set of
    their (name, value) pairs: two objects are equal exactly when those sets are);
    anything else goes through canonical JSON. Two calls whose JSON is equal hold values of
    the same kinds, so they always take the same path.
    """
    if arguments is None:
        arguments = {}
    if (type(arguments) is dict and type(name) in _PLAIN_TYPES
            and _PLAIN_TYPES.issuperset(map(type, arguments.values()))):
        return ("flat", name, frozenset(arguments.items()))
    try:
        return ("json", canonical_json([name, arguments]))
    except (TypeError, ValueError, RecursionError):
        return None


def as_text(value) -> str:
    """A value as CSV text: None -> empty; text unchanged; anything else str()."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    return str(value)
