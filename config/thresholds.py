"""Feature thresholds (their names appear in the definitions of docs/features.md) and their
override from the THRESHOLDS parameter, a JSON object."""

import json
import math
from dataclasses import dataclass, fields, replace
from typing import Optional

from config.errors import ConfigError


@dataclass(frozen=True)
class Thresholds:
    TOKEN_SPIKE_MULTIPLIER: float = 2.0
    EXPLOSIVE_GROWTH_THRESHOLD: float = 5.0
    EXTREME_TOKEN_LIMIT: float = 50000
    MEGA_EXPLOSION_LIMIT: float = 100000
    EXTREME_TIME_LIMIT: float = 30.0
    TIMEOUT_LIMIT: float = 60.0
    EXCESSIVE_TOOLS_LIMIT: float = 10
    TOOL_OVERUSE_LIMIT: float = 20
    SPEED_INCONSISTENCY_LIMIT: float = 10.0
    FAILURE_RATE_THRESHOLD: float = 0.5
    BREAKDOWN_THRESHOLD: float = 0.1
    SLOW_TOKENS_PER_SECOND: float = 50
    FAST_TOKENS_PER_SECOND: float = 1000

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_thresholds(text: Optional[str]) -> Thresholds:
    """Defaults, overridden by a JSON object of {NAME: number}; anything else is a ConfigError."""
    if text is None or not text.strip():
        return Thresholds()
    if len(text) > _MAX_TEXT:
        raise ConfigError("THRESHOLDS", "a JSON object such as {\"TIMEOUT_LIMIT\": 90}",
                          "{:,} characters long".format(len(text)))
    try:
        overrides = json.loads(text, object_pairs_hook=_without_duplicates)
    except _DuplicateName as duplicate:
        raise ConfigError("THRESHOLDS", "each name once", "{!r} given twice".format(
            str(duplicate))) from None
    except RecursionError:
        raise ConfigError("THRESHOLDS", "a JSON object such as {\"TIMEOUT_LIMIT\": 90}",
                          "nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer past Python's digit limit
        raise ConfigError("THRESHOLDS", "a JSON object such as {\"TIMEOUT_LIMIT\": 90}",
                          "not valid JSON ({})".format(getattr(exc, "msg", None) or exc)
                          ) from None
    if not isinstance(overrides, dict):
        raise ConfigError("THRESHOLDS", "a JSON object such as {\"TIMEOUT_LIMIT\": 90}",
                          "not an object")
    known = {f.name for f in fields(Thresholds)}
    values = {}
    for name, value in overrides.items():
        if name not in known:
            raise ConfigError("THRESHOLDS", "names among " + ", ".join(sorted(known)),
                              "unknown name {!r}".format(name))
        number = _finite_number(value)
        if number is None:
            shown = repr(value)
            raise ConfigError("THRESHOLDS", "a finite number for each name", "{} is {}".format(
                name, shown if len(shown) <= 40 else shown[:37] + "..."))
        if number < 0 or (name in _SHARES and number > 1):
            raise ConfigError("THRESHOLDS", "a number from 0 to 1 for {}, and >= 0 for every "
                              "other name".format(", ".join(sorted(_SHARES))),
                              "{} is {}".format(name, value))
        values[name] = number
    return replace(Thresholds(), **values)


# The thresholds that are shares of runs: a rate above 1 or below 0 would flag everything
# or nothing.
_SHARES = frozenset(("FAILURE_RATE_THRESHOLD", "BREAKDOWN_THRESHOLD"))


class _DuplicateName(Exception):
    pass


def _without_duplicates(pairs):
    seen = {}
    for name, value in pairs:
        if name in seen:
            raise _DuplicateName(name)
        seen[name] = value
    return seen


_MAX_TEXT = 10_000  # thirteen names and numbers fit in a few hundred characters


def _finite_number(value) -> Optional[float]:
    """`value` as a finite float, or None (text, booleans, NaN, infinity, or an integer
    too large for a float)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
