"""How each column is stored, in one place: its Arrow type in Parquet, its type in an
Athena / Glue Data Catalog table over each file format, and whether it can be null
(docs/features.md sections 3 and 4). The Parquet writer, the manifest and the table
statement (tooling/ddl.py) all read it from here.

The contract's types (calculators/column.py) say what a value means; these say how it is
written. Three text columns are times and one a date: text in the CSV, typed in Parquet.
"""

from typing import Dict, NamedTuple

from calculators.column import FLAG, INTEGER, REAL, TEXT
from calculators.columns import COLUMNS

TIMESTAMP_COLUMNS = frozenset(("session_start", "session_end", "source_updated_at"))
DATE_COLUMNS = frozenset(("date",))

# Contract 1.2 (features.md section 3): with no runs every numeric column is null except
# the counts and sums, which are 0, and the flags; session_id is always present.
NEVER_NULL = frozenset((
    "session_id", "total_runs", "explosive_growth_events", "time_explosion_events",
    "total_tool_calls", "max_consecutive_failures", "total_errors", "sum_input_tokens",
    "sum_output_tokens", "sum_total_tokens", "cache_read_tokens", "reasoning_tokens",
    "tool_error_count", "distinct_tools", "failed_runs", "duplicate_tool_calls",
))

ARROW_INT64 = "int64"
ARROW_INT8 = "int8"
ARROW_FLOAT64 = "double"
ARROW_STRING = "string"
# Parquet has no unit of seconds: whole seconds are stored as milliseconds.
ARROW_TIMESTAMP = "timestamp[ms, tz=UTC]"
ARROW_DATE = "date32[day]"


class ColumnStorage(NamedTuple):
    name: str
    dtype: str  # the contract's type: text, integer, real, flag
    arrow_type: str  # in the Parquet file
    athena_parquet: str  # in a table over the Parquet files
    athena_csv: str  # in the typed view over the CSV files (tooling/ddl.py)
    nullable: bool  # with UNDEFINED_VALUES=null; with `zero` only text can be null


def _storage(name: str, dtype: str) -> ColumnStorage:
    nullable = name not in NEVER_NULL and dtype != FLAG
    if name in TIMESTAMP_COLUMNS:
        return ColumnStorage(name, dtype, ARROW_TIMESTAMP, "timestamp", "timestamp", nullable)
    if name in DATE_COLUMNS:
        return ColumnStorage(name, dtype, ARROW_DATE, "date", "date", nullable)
    by_type = {
        TEXT: (ARROW_STRING, "string"),
        INTEGER: (ARROW_INT64, "bigint"),
        FLAG: (ARROW_INT8, "tinyint"),
        REAL: (ARROW_FLOAT64, "double"),
    }
    arrow_type, athena_type = by_type[dtype]
    return ColumnStorage(name, dtype, arrow_type, athena_type, athena_type, nullable)


STORAGE: Dict[str, ColumnStorage] = {
    column.name: _storage(column.name, column.dtype) for column in COLUMNS}


def can_be_null(name: str, undefined_as_zero: bool) -> bool:
    """Whether the column can hold a null in a file written with this convention: with
    UNDEFINED_VALUES=zero a number is never null, a text or a time still can be."""
    storage = STORAGE[name]
    if undefined_as_zero and storage.dtype != TEXT:
        return False
    return storage.nullable
