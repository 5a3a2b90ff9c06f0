"""The columns of the dataset, in order: the one registry the CSV header, the manifest,
docs/features.md and the tests read (their number is len(COLUMNS), written nowhere else).

Each column is declared once, as a `Column` (name, data type, unit, definition) in the
calculator module that computes it, right above the function; this module only puts the
groups in the contract's order. docs/features.md is generated from it (tooling/docs.py,
`make docs`).
"""

from typing import Callable, Dict, NamedTuple, Tuple

from calculators import (
    execution_time,
    failures,
    identity,
    session_time_volume,
    speed,
    tokens,
    tool_calls,
)
from calculators.batch import FeatureColumns, FrozenBatch
from calculators.column import FLAG, TEXT, Column
from config.thresholds import Thresholds

Calculator = Callable[[FrozenBatch, Thresholds], FeatureColumns]


class ColumnGroup(NamedTuple):
    """Columns computed together by one function, in their CSV order."""

    title: str
    columns: Tuple[Column, ...]
    calculator: Calculator


GROUPS: Tuple[ColumnGroup, ...] = (
    ColumnGroup("Identity", identity.IDENTITY_COLUMNS, identity.identity_features),
    ColumnGroup("Tokens", tokens.TOKEN_COLUMNS, tokens.token_features),
    ColumnGroup("Execution time", execution_time.EXECUTION_TIME_COLUMNS,
                execution_time.execution_time_features),
    ColumnGroup("Tool calls", tool_calls.TOOL_CALL_COLUMNS, tool_calls.tool_call_features),
    ColumnGroup("Speed (over the M runs with time_r > 0 and tot_r > 0, tps_r = tot_r / "
                "time_r; 34-39 null and 40 0 when M = 0)", speed.SPEED_COLUMNS, speed.speed_features),
    ColumnGroup("Failures", failures.FAILURE_COLUMNS, failures.failure_features),
    ColumnGroup("Session context", identity.CONTEXT_COLUMNS, identity.context_features),
    ColumnGroup("Session time, volume and tools", session_time_volume.SESSION_TIME_COLUMNS,
                session_time_volume.session_time_features),
    ColumnGroup("Session time, volume and tools", session_time_volume.VOLUME_COLUMNS,
                session_time_volume.volume_features),
    ColumnGroup("Version of the source", session_time_volume.VERSION_COLUMNS,
                session_time_volume.version_features),
)

COLUMNS: Tuple[Column, ...] = tuple(column for group in GROUPS for column in group.columns)
COLUMN_NAMES: Tuple[str, ...] = tuple(column.name for column in COLUMNS)
TEXT_COLUMNS = frozenset(column.name for column in COLUMNS if column.dtype == TEXT)
NUMERIC_COLUMNS: Tuple[str, ...] = tuple(c.name for c in COLUMNS if c.dtype != TEXT)
FLAG_COLUMNS = frozenset(column.name for column in COLUMNS if column.dtype == FLAG)
# The first 48 columns are the ones the existing training code reads, in this order.
LEGACY_COLUMN_COUNT = 48


def column_definitions() -> Dict[str, Dict[str, object]]:
    """For the manifest: each column's position (1-based), data type, unit, definition."""
    return {column.name: {"position": position, "type": column.dtype, "unit": column.unit,
                          "definition": column.definition}
            for position, column in enumerate(COLUMNS, start=1)}
