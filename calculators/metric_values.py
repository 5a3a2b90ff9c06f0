"""The value rules of features.md, section 1, for every metric of either shape."""

import json
import math

from utils.timestamps import NUMERIC_TEXT

NON_NUMERIC_METRIC = "non_numeric_metric"


def _scalar(value, warnings: dict) -> float:
    kind = type(value)
    if kind is int:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    elif kind is float:
        number = value
    elif kind is str and NUMERIC_TEXT.match(value):
        number = float(value)
    elif isinstance(value, int) and kind is not bool:  # bson Int64
        number = float(value)
    elif kind.__name__ == "Decimal128":
        number = float(value.to_decimal())
    else:
        number = math.nan
    if number - number != 0.0:  # NaN or infinity
        warnings[NON_NUMERIC_METRIC] = warnings.get(NON_NUMERIC_METRIC, 0) + 1
        return 0.0
    return number


def metric_value(value, warnings: dict) -> float:
    """A metric as one number.

    missing or null -> 0; a number -> itself; numeric text -> its number; a list -> the sum
    of its entries, nulls skipped; anything else (text, object, boolean, NaN, infinity)
    -> 0, counting one `non_numeric_metric` warning.
    """
    kind = type(value)
    if kind is float:
        return value if value - value == 0.0 else _scalar(value, warnings)
    if kind is int:
        return _scalar(value, warnings)
    if value is None:
        return 0.0
    if kind is list:
        total = 0.0
        for entry in value:
            if entry is not None:
                total += _scalar(entry, warnings)
        return total
    return _scalar(value, warnings)


def first_metric_value(value, warnings: dict) -> float:
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


def as_text(value) -> str:
    """A value as CSV text: None -> empty; text unchanged; anything else str()."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    return str(value)
