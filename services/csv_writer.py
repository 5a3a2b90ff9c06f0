"""Writes feature rows to the CSV as they come, in the file format of the contract (README,
"What it produces"): header always, RFC 4180 quoting only where needed, exact numbers."""

from itertools import chain
from typing import List, Optional, Sequence, Tuple

import numpy as np

from calculators.batch import FeatureColumns
from calculators.columns import COLUMN_NAMES, TEXT_COLUMNS
from utils.counts import Counts
from utils.files import AtomicFile

_WHOLE_NUMBER_LIMIT = 1e15
# "%.10g" writes a whole number below this as an integer, and from it in exponent form.
_WHOLE_AS_G_LIMIT = 1e10
_FLOAT_FORMAT = "%.10g".__mod__


def format_numbers(values: np.ndarray) -> List[str]:
    """A whole number below 10^15 in magnitude as an integer; any other with `%.10g`
    (one by one: the writer takes this path only for the rare column that needs it)."""
    whole = (np.floor(values) == values) & (np.abs(values) < _WHOLE_NUMBER_LIMIT)
    return [str(int(value)) if is_whole else _FLOAT_FORMAT(value)
            for value, is_whole in zip(values.tolist(), whole.tolist())]


def number_column(values: np.ndarray) -> Tuple[str, list]:
    """A number column as (its %-format, its values for it), with the text format_numbers
    gives: "%d" when every value is a whole number below 10^15; "%.10g" when no value is
    a whole number from 10^10 (which "%.10g" would write in exponent form); else "%s" over
    format_numbers' texts."""
    values = values + 0.0  # -0.0 becomes 0.0, which both formats write as "0"
    whole = np.floor(values) == values
    magnitude = np.abs(values)
    if (whole & (magnitude < _WHOLE_NUMBER_LIMIT)).all():
        return "%d", values.tolist()
    if not (whole & (magnitude >= _WHOLE_AS_G_LIMIT) & (magnitude < _WHOLE_NUMBER_LIMIT)).any():
        return "%.10g", values.tolist()
    return "%s", format_numbers(values)


MAX_TEXT_CELL = 4096
NEUTRALISED_TEXT_CELL = "neutralised_text_cell"
TRUNCATED_TEXT_CELL = "truncated_text_cell"
REPLACED_CHARACTER = "replaced_character"
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
_FORMULA_START = frozenset("=+-@\t\r")
_REPLACEMENT = "\ufffd"


def safe_text(value: str, warnings: Counts) -> str:
    """A text cell a reader can take as it is: lone surrogates (possible in JSON input, not
    encodable as UTF-8) and NUL bytes become U+FFFD; more than MAX_TEXT_CELL characters are
    cut there; a leading = + - @ tab or CR gets a single quote before it, so no spreadsheet
    runs it as a formula. Each change is counted as a warning by kind."""
    if "\x00" in value or not _encodable(value):
        value = "".join(_REPLACEMENT if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch
                        for ch in value)
        warnings.add(REPLACED_CHARACTER)
    if len(value) > MAX_TEXT_CELL:
        value = value[:MAX_TEXT_CELL]
        warnings.add(TRUNCATED_TEXT_CELL)
    if value[:1] in _FORMULA_START:
        value = "'" + value
        warnings.add(NEUTRALISED_TEXT_CELL)
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def safe_column(values: List[str], warnings: Counts) -> List[str]:
    """safe_text over a column, with one pass over the joined text when nothing needs it."""
    joined = "".join(values)
    if ("\x00" not in joined and (joined.isascii() or _encodable(joined))
            and max(map(len, values), default=0) <= MAX_TEXT_CELL
            and not any(value[:1] in _FORMULA_START for value in values)):
        return values
    return [safe_text(value, warnings) for value in values]


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

    def __init__(self, path: str, column_names: Sequence[str] = COLUMN_NAMES):
        self.path = path
        self.column_names = tuple(column_names)
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
                cells.append(quote_column(safe_column(values, warnings)))
            else:
                column_format, column_cells = number_column(values)
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

