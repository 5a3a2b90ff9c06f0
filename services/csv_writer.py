"""Writes feature rows to the CSV as they come, in the file format of the contract (README,
"What it produces"): header always, RFC 4180 quoting only where needed, exact numbers."""

from itertools import chain
from typing import List, Optional, Sequence, Tuple

import numpy as np

from calculators.batch import FeatureColumns
from calculators.column import FLAG, INTEGER, REAL
from calculators.columns import COLUMN_NAMES, COLUMNS, TEXT_COLUMNS
from utils.counts import Counts
from utils.files import AtomicFile

# How a number column is written: integer and flag columns as integers; every other number
# column as a real, always with a decimal point or an exponent, as the shortest text that
# reads back to the same double (Python's repr), so that every reader infers one type for
# the column whatever the data (contract 1.2).
_WHOLE_FORMAT = "%d"
_REAL_FORMAT = "%r"
_WHOLE_TYPES = frozenset((INTEGER, FLAG))
COLUMN_TYPES = {column.name: column.dtype for column in COLUMNS}


def number_column(values: np.ndarray, dtype: str = REAL,
                  undefined_as_zero: bool = False) -> Tuple[str, list]:
    """A number column as (its %-format, its values for it). A value that is not defined
    (NaN) is an empty cell, or 0 with UNDEFINED_VALUES=zero."""
    values = values + 0.0  # -0.0 becomes 0.0
    value_format = _WHOLE_FORMAT if dtype in _WHOLE_TYPES else _REAL_FORMAT
    undefined = np.isnan(values)
    if not undefined.any():
        return value_format, values.tolist()
    values = np.where(undefined, 0.0, values)
    if undefined_as_zero:
        return value_format, values.tolist()
    # "%s" writes a float as repr does, and an undefined value's "" as nothing; whole
    # numbers go as ints. The batch's one %-operation stays (docs/benchmarks.md).
    cells = (values.tolist() if value_format == _REAL_FORMAT
             else values.astype(np.int64).tolist())
    for index in np.flatnonzero(undefined).tolist():
        cells[index] = ""
    return "%s", cells


FORMULA_LIKE_TEXT = "formula_like_text"
REPLACED_CHARACTER = "replaced_character"
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
_FORMULA_START = frozenset("=+-@\t\r")
_REPLACEMENT = "\ufffd"


def safe_text(value: str, warnings: Counts, formula_guard: bool = False) -> str:
    """A text cell as the source holds it, so that an id joins back to MongoDB. Only what
    no UTF-8 file can hold changes: lone surrogates (possible in JSON input) and NUL bytes
    become U+FFFD, counted as `replaced_character`. A cell a spreadsheet would run as a
    formula (it starts with = + - @, a tab or CR) is counted as `formula_like_text`; with
    the formula guard (CSV_FORMULA_GUARD=quote, for files meant for spreadsheets) it gets
    a single quote before it."""
    if "\x00" in value or not _encodable(value):
        value = "".join(_REPLACEMENT if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch
                        for ch in value)
        warnings.add(REPLACED_CHARACTER)
    if value[:1] in _FORMULA_START:
        warnings.add(FORMULA_LIKE_TEXT)
        if formula_guard:
            value = "'" + value
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def safe_column(values: List[str], warnings: Counts, formula_guard: bool = False
                ) -> List[str]:
    """safe_text over a column, with one pass over the joined text when nothing needs it."""
    joined = "".join(values)
    if ("\x00" not in joined and (joined.isascii() or _encodable(joined))
            and not any(value[:1] in _FORMULA_START for value in values)):
        return values
    return [safe_text(value, warnings, formula_guard) for value in values]


def quote_text(value: str) -> str:
    """RFC 4180: quote a field holding a comma, a quote, CR or LF; double inner quotes."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def quote_column(values: List[str]) -> List[str]:
    """quote_text over a column, skipping the per-value checks when nothing needs quoting."""
    joined = "".join(values)
    if "," in joined or '"' in joined or "\n" in joined or "\r" in joined:
        return [quote_text(value) for value in values]
    return values


class CsvWriter:
    """The dataset file: header first, then rows batch by batch, committed when complete."""

    def __init__(self, path: str, column_names: Sequence[str] = COLUMN_NAMES,
                 formula_guard: bool = False, undefined_as_zero: bool = False):
        self.path = path
        self.column_names = tuple(column_names)
        self.formula_guard = formula_guard
        self.undefined_as_zero = undefined_as_zero
        self.rows = 0
        self._file = AtomicFile(path)
        self._file.write(",".join(self.column_names) + "\n")

    def write_batch(self, columns: FeatureColumns, warnings: Optional[Counts] = None) -> None:
        """Formats the whole batch with one %-operation: a row's format (one format per
        column) repeated for every row, over the cells in row order. That costs a quarter
        less than formatting each cell and joining each row (docs/benchmarks.md)."""
        warnings = Counts() if warnings is None else warnings
        formats, cells = [], []
        for name in self.column_names:
            values = columns[name]
            if name in TEXT_COLUMNS:
                formats.append("%s")
                cells.append(quote_column(safe_column(values, warnings, self.formula_guard)))
            else:
                column_format, column_cells = number_column(
                    values, COLUMN_TYPES.get(name, REAL), self.undefined_as_zero)
                formats.append(column_format)
                cells.append(column_cells)
        rows = len(cells[0]) if cells else 0
        if rows:
            row_format = ",".join(formats) + "\n"
            self._file.write(row_format * rows % tuple(chain.from_iterable(zip(*cells))))
            self.rows += rows

    def append_rows_of(self, path: str, rows: int) -> None:
        """Appends the rows of another CSV of the same columns (a slice's), streamed."""
        self._file.append_file(path, skip_lines=1)
        self.rows += rows

    @property
    def temporary_path(self) -> str:
        return self._file.temporary_path

    def close(self) -> None:
        """Complete on disk, still under its temporary name."""
        self._file.close()

    def commit(self) -> str:
        return self._file.commit()

    def discard(self) -> None:
        self._file.discard()

