"""The file of rows a run writes, in the format OUTPUT_FORMAT names: what every writer
offers (CsvWriter, ParquetWriter), and the one place that picks one."""

from typing import Optional, Protocol

from calculators.batch import FeatureColumns
from config.settings import JobConfig
from utils.counts import Counts


class RowsWriter(Protocol):
    path: str
    rows: int

    def write_batch(self, columns: FeatureColumns, warnings: Optional[Counts] = None) -> None:
        """Appends a batch of feature rows."""

    def append_rows_of(self, path: str, rows: int) -> None:
        """Appends the rows of another file of this format and columns (a slice's)."""

    @property
    def temporary_path(self) -> str:
        """Where the file is until commit."""

    def close(self) -> None:
        """Complete on disk, still under its temporary name."""

    def commit(self) -> str:
        """Under its final name; returns it."""

    def discard(self) -> None:
        """Removes the temporary file."""


def open_rows_writer(config: JobConfig, path: str) -> RowsWriter:
    undefined_as_zero = config.undefined_values == "zero"
    if config.output_format == "parquet":
        from services.parquet_writer import ParquetWriter  # pyarrow only when asked for
        return ParquetWriter(path, undefined_as_zero=undefined_as_zero)
    from services.csv_writer import CsvWriter
    return CsvWriter(path, formula_guard=config.csv_formula_guard == "quote",
                     undefined_as_zero=undefined_as_zero)
