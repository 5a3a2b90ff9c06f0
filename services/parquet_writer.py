"""Writes feature rows to a Parquet file (OUTPUT_FORMAT=parquet): the CSV's columns and
rows, typed as docs/features.md section 4 says (services/column_types.py), through
pyarrow, which Glue's analytics library set and Glue for Spark bring.

Rows are gathered into row groups of ROW_GROUP_ROWS whatever batches or slices they came
in, so one pass, WORKERS and the slices appended in order give the same file, byte for
byte (tests/unit/test_parquet_writer.py).
"""

from typing import List, Optional, Sequence

import numpy as np

from calculators.batch import FeatureColumns
from calculators.columns import COLUMN_NAMES
from config.constants import PARQUET_COMPRESSION, PARQUET_ROW_GROUP_ROWS
from config.errors import ConfigError
from interfaces.errors import OutputError
from services.column_types import (
    ARROW_DATE,
    ARROW_FLOAT64,
    ARROW_INT8,
    ARROW_INT64,
    ARROW_STRING,
    ARROW_TIMESTAMP,
    STORAGE,
    can_be_null,
)
from services.csv_writer import safe_column
from utils.counts import Counts
from utils.files import AtomicFile


def require_pyarrow():
    """pyarrow's parquet module, or a ConfigError (exit 2) that says where it comes from."""
    try:
        import pyarrow.parquet as parquet  # noqa: F401 - the import is the check
    except ImportError as error:
        raise ConfigError(
            "OUTPUT_FORMAT", "csv, or parquet where pyarrow is installed",
            "parquet needs pyarrow, which cannot be imported here ({}); Glue's analytics "
            "library set (Python shell 3.9) and Glue for Spark 5.1/6.0 include it, elsewhere "
            "pip install pyarrow".format(error)) from None
    import pyarrow
    return pyarrow


def arrow_schema(column_names: Sequence[str] = COLUMN_NAMES, undefined_as_zero: bool = False):
    pa = require_pyarrow()
    types = {
        ARROW_STRING: pa.string(), ARROW_INT64: pa.int64(), ARROW_INT8: pa.int8(),
        ARROW_FLOAT64: pa.float64(), ARROW_DATE: pa.date32(),
        ARROW_TIMESTAMP: pa.timestamp("ms", tz="UTC"),
    }
    return pa.schema([pa.field(name, types[STORAGE[name].arrow_type],
                               nullable=can_be_null(name, undefined_as_zero))
                      for name in column_names])


class ParquetWriter:
    """The dataset file in Parquet: rows batch by batch, row groups of a fixed number of
    rows, committed when complete. The same interface as services/csv_writer.CsvWriter."""

    def __init__(self, path: str, column_names: Sequence[str] = COLUMN_NAMES,
                 undefined_as_zero: bool = False, row_group_rows: int = PARQUET_ROW_GROUP_ROWS,
                 compression: str = PARQUET_COMPRESSION):
        self._pa = require_pyarrow()
        import pyarrow.parquet as parquet
        self.path = path
        self.column_names = tuple(column_names)
        self.undefined_as_zero = undefined_as_zero
        self.row_group_rows = row_group_rows
        self.rows = 0
        self.schema = arrow_schema(self.column_names, undefined_as_zero)
        self._pending: List = []  # tables not yet written, fewer rows than a row group
        self._pending_rows = 0
        self._file = AtomicFile(path, binary=True)
        self._writer = parquet.ParquetWriter(self._file.handle, self.schema,
                                             compression=compression)

    def write_batch(self, columns: FeatureColumns, warnings: Optional[Counts] = None) -> None:
        warnings = Counts() if warnings is None else warnings
        rows = len(columns[self.column_names[0]]) if self.column_names else 0
        if not rows:
            return
        arrays = [self._array(name, columns[name], warnings) for name in self.column_names]
        self._add(self._pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += rows

    def _array(self, name: str, values, warnings: Counts):
        pa = self._pa
        field = self.schema.field(name)
        arrow_type = STORAGE[name].arrow_type
        if arrow_type == ARROW_STRING:
            texts = safe_column(list(values), warnings)
            return pa.array([text if text else None for text in texts], type=pa.string())
        if arrow_type in (ARROW_TIMESTAMP, ARROW_DATE):
            unit = "datetime64[s]" if arrow_type == ARROW_TIMESTAMP else "datetime64[D]"
            moments = np.array([text[:-1] if text.endswith("Z") else (text or "NaT")
                                for text in values], dtype=unit)
            missing = np.isnat(moments)
            whole = np.where(missing, 0, moments.astype(np.int64))
            if arrow_type == ARROW_TIMESTAMP:
                return pa.array(whole * 1000, type=field.type, mask=missing)
            return pa.array(whole.astype(np.int32), type=field.type, mask=missing)
        numbers = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 becomes 0.0
        undefined = np.isnan(numbers)
        numbers = np.where(undefined, 0.0, numbers)
        mask = None if self.undefined_as_zero or not undefined.any() else undefined
        if mask is not None and not field.nullable:
            raise OutputError("column {} has {} undefined values but cannot be null "
                              "(contract 1.2)".format(name, int(undefined.sum())))
        if arrow_type == ARROW_FLOAT64:
            return pa.array(numbers, type=field.type, mask=mask)
        whole_type = np.int8 if arrow_type == ARROW_INT8 else np.int64
        return pa.array(numbers.astype(whole_type), type=field.type, mask=mask)

    def _add(self, table) -> None:
        """Gathers rows; a table that crosses a row group's end is split there, so that no
        row group's buffer outlives its write."""
        while table.num_rows:
            room = self.row_group_rows - self._pending_rows
            head, table = table.slice(0, room), table.slice(room)
            self._pending.append(head)
            self._pending_rows += head.num_rows
            if self._pending_rows == self.row_group_rows:
                self._write_row_group()

    def _write_row_group(self) -> None:
        """The gathered rows as one row group, from one contiguous copy of them: the bytes
        of a column chunk depend on how its rows were chunked in memory."""
        pending, self._pending, self._pending_rows = self._pending, [], 0
        gathered = self._pa.concat_tables(pending).combine_chunks()
        del pending
        self._writer.write_table(gathered, row_group_size=gathered.num_rows)

    def append_table(self, table) -> None:
        """Appends the rows of an Arrow table of this file's columns."""
        self._add(table.cast(self.schema))
        self.rows += table.num_rows

    def append_rows_of(self, path: str, rows: int) -> None:
        """Appends the rows of another Parquet file of the same columns (a slice's)."""
        import pyarrow.parquet as parquet
        source = parquet.ParquetFile(path)
        appended = 0
        for group in range(source.num_row_groups):
            table = source.read_row_group(group).cast(self.schema)
            appended += table.num_rows
            self._add(table)
        self.rows += appended
        if appended != rows:
            raise OutputError("{} holds {} rows, {} were expected".format(path, appended,
                                                                           rows))

    @property
    def temporary_path(self) -> str:
        return self._file.temporary_path

    def close(self) -> None:
        """Complete on disk, still under its temporary name."""
        if self._writer is not None:
            if self._pending_rows:
                self._write_row_group()
            self._writer.close()
            self._writer = None
        self._file.close()

    def commit(self) -> str:
        self.close()
        return self._file.commit()

    def discard(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - the failure that brought us here may recur
                pass
            self._writer = None
        self._file.discard()

