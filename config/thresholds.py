"""Feature thresholds (features.md, section 2) and their override from JSON."""

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
    try:
        overrides = json.loads(text)
    except ValueError as exc:
        raise ConfigError("THRESHOLDS", "a JSON object such as {\"TIMEOUT_LIMIT\": 90}",
                          "not valid JSON ({})".format(exc.msg)) from None
    if not isinstance(overrides, dict):
        raise ConfigError("THRESHOLDS", "a JSON object such as {\"TIMEOUT_LIMIT\": 90}",
                          "not an object")
    known = {f.name for f in fields(Thresholds)}
    values = {}
    for name, value in overrides.items():
        if name not in known:
            raise ConfigError("THRESHOLDS", "names among " + ", ".join(sorted(known)),
                              "unknown name {!r}".format(name))
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or not math.isfinite(value):
            raise ConfigError("THRESHOLDS", "a finite number for each name",
                              "{} is {!r}".format(name, value))
        values[name] = float(value)
    return replace(Thresholds(), **values)
