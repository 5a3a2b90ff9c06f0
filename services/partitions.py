"""Day partitions of the partitioned layout (OUTPUT_LAYOUT=partitioned).

`{S3_PREFIX}/dt=YYYY-MM-DD/part-00000.csv` (or `.parquet`) holds every session whose
`date` (the day of `session_start`) is that day, once, in its latest state, ordered by
(`session_start`, `session_id`). A run splits the rows of its window by day into a work
folder (`DaySpool`), then rebuilds each day it touched: the day's current rows without the
sessions this run re-extracted, plus this run's rows of that day, one row per session.

Rebuilding is a function of the set of rows alone: the rows keep the exact text (CSV) or
values (Parquet) they were written with, and the order is total, so a day rebuilt from
its earlier object plus new rows is byte for byte the day built from scratch, whichever
engine read the window.
"""

import csv
import io
import os
import sys
from typing import Any, Dict, List, Optional, Set, Tuple

import numpy as np

from calculators.columns import COLUMN_NAMES
from interfaces.errors import OutputError
from services.csv_writer import quote_text
from utils.counts import Counts

PARTITION_FOLDER = "dt={}"
PART_NAME = "part-00000.{}"
DAY_PROFILE_NAME = "_profile.json"  # beside the day's object, which readers skip
DUPLICATE_SESSION_ID = "duplicate_session_id"

_DATE = COLUMN_NAMES.index("date")
_START = COLUMN_NAMES.index("session_start")
_ID = COLUMN_NAMES.index("session_id")
_UPDATED = COLUMN_NAMES.index("source_updated_at")
# Text cells are never cut (contract 1.2): csv's default limit of 128 KiB a cell is not ours.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def partition_key(dataset_prefix: str, day: str, output_format: str) -> str:
    """The key of a day's object, relative to the bucket root and OUTPUT_DIR."""
    return day_key(dataset_prefix, day, PART_NAME.format(output_format))


def day_key(dataset_prefix: str, day: str, name: str) -> str:
    return "/".join(part for part in (dataset_prefix, PARTITION_FOLDER.format(day), name)
                    if part)


class DaySpool:
    """The window's rows by day, in files under `folder`, and every session id among them
    (the sessions each rebuilt day drops from its current rows)."""

    def __init__(self, folder: str, output_format: str, undefined_as_zero: bool = False):
        self.folder = folder
        self.format = output_format
        self.undefined_as_zero = undefined_as_zero
        self.session_ids: Set[str] = set()
        self.rows = 0
        self._files: Dict[str, List[str]] = {}

    @property
    def days(self) -> List[str]:
        return sorted(self._files)

    def files_of(self, day: str) -> List[str]:
        return self._files.get(day, [])

    def add_rows_of(self, path: str) -> None:
        """Splits a file of rows (the window's, or one Spark part) by day."""
        if self.format == "parquet":
            self._add_parquet(path)
        else:
            self._add_csv(path)

    def _new_file(self, day: str, extension: str) -> str:
        files = self._files.setdefault(day, [])
        path = os.path.join(self.folder, "{}.{:05d}.{}".format(day, len(files), extension))
        files.append(path)
        return path

    def _add_csv(self, path: str) -> None:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            _check_header(next(reader, None), path)
            by_day: Dict[str, List[str]] = {}
            for row in reader:
                self.session_ids.add(row[_ID])
                by_day.setdefault(row[_DATE], []).append(csv_line(row))
                self.rows += 1
        for day, lines in by_day.items():
            with open(self._new_file(day, "csv"), "w", encoding="utf-8", newline="") as out:
                out.write("".join(lines))

    def _add_parquet(self, path: str) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        source = pq.ParquetFile(path)
        for group in range(source.num_row_groups):
            table = source.read_row_group(group)
            self.session_ids.update(table.column("session_id").to_pylist())
            self.rows += table.num_rows
            days = table.column("date")
            for day in pc.unique(days).to_pylist():
                rows = table.filter(pc.equal(days, pa.scalar(day, type=days.type)))
                target = self._new_file(day.isoformat(), "arrow")
                with pa.OSFile(target, "wb") as sink:
                    with pa.ipc.new_file(sink, rows.schema) as writer:
                        writer.write_table(rows)


def csv_line(row: List[str]) -> str:
    """A row as the CSV writer writes it: text quoted only where RFC 4180 needs it (numbers
    never need it), so a row read back is written again with the same bytes."""
    return ",".join(quote_text(cell) for cell in row) + "\n"


def _check_header(header: Optional[List[str]], where: str) -> None:
    if header != list(COLUMN_NAMES):
        raise OutputError("{} does not have this contract's columns (its header starts {}); "
                          "a dataset holds one contract: write to another S3_PREFIX".format(
                              where, ",".join((header or [])[:3]) or "empty"))


def rebuild_day(spool: DaySpool, day: str, current: Optional[bytes], out_path: str,
                warnings: Counts) -> int:
    """Writes the day's new object to `out_path`: `current` (its object now, if any)
    without the spooled sessions, plus the spooled rows of the day. Returns its rows."""
    if spool.format == "parquet":
        return _rebuild_parquet(spool, day, current, out_path, warnings)
    return _rebuild_csv(spool, day, current, out_path, warnings)


def _order(keys: List[Tuple], warnings: Counts) -> List[int]:
    """Row positions in (session_start, session_id) order, one per session: of rows that
    share a session_id (two source documents with one id), the one changed last is kept and
    `duplicate_session_id` counted. `keys` are (start, id, updated, tie-breaker)."""
    latest: Dict[str, int] = {}
    for position, key in enumerate(keys):
        kept = latest.get(key[1])
        if kept is None:
            latest[key[1]] = position
            continue
        warnings.add(DUPLICATE_SESSION_ID)
        if (keys[position][2], keys[position][3]) > (keys[kept][2], keys[kept][3]):
            latest[key[1]] = position
    return sorted(latest.values(), key=lambda position: keys[position][:2])


def _rebuild_csv(spool: DaySpool, day: str, current: Optional[bytes], out_path: str,
                 warnings: Counts) -> int:
    rows: List[List[str]] = []
    if current is not None:
        reader = csv.reader(io.StringIO(current.decode("utf-8"), newline=""))
        _check_header(next(reader, None), PARTITION_FOLDER.format(day))
        rows.extend(row for row in reader if row[_ID] not in spool.session_ids)
    for path in spool.files_of(day):
        with open(path, newline="", encoding="utf-8") as handle:
            rows.extend(csv.reader(handle))
    lines = [csv_line(row) for row in rows]
    keys = [(row[_START], row[_ID], row[_UPDATED], line) for row, line in zip(rows, lines)]
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMN_NAMES) + "\n")
        order = _order(keys, warnings)
        out.write("".join(lines[position] for position in order))
    return len(order)


def _rebuild_parquet(spool: DaySpool, day: str, current: Optional[bytes], out_path: str,
                     warnings: Counts) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from services.parquet_writer import ParquetWriter

    writer = ParquetWriter(out_path, undefined_as_zero=spool.undefined_as_zero)
    tables = []
    try:
        if current is not None:
            table = pq.read_table(pa.BufferReader(current))
            if table.schema.remove_metadata() != writer.schema:
                raise OutputError("{} does not have this run's schema (another contract, or "
                                  "UNDEFINED_VALUES changed); a dataset holds one: write to "
                                  "another S3_PREFIX".format(PARTITION_FOLDER.format(day)))
            dropped = pc.is_in(table.column("session_id"),
                               value_set=pa.array(sorted(spool.session_ids), pa.string()))
            tables.append(table.filter(pc.invert(dropped)))
        for path in spool.files_of(day):
            with pa.OSFile(path, "rb") as source:
                tables.append(pa.ipc.open_file(source).read_all())
        table = pa.concat_tables(tables).cast(writer.schema)
        starts = table.column("session_start").cast(pa.int64()).to_pylist()
        ids = table.column("session_id").to_pylist()
        updated = table.column("source_updated_at").cast(pa.int64()).to_pylist()
        keys = [(start, session_id, changed if changed is not None else -1, position)
                for position, (start, session_id, changed)
                in enumerate(zip(starts, ids, updated))]
        order = _order(keys, warnings)
        writer.append_table(table.take(pa.array(order, pa.int64())))
        writer.commit()
    except BaseException:
        writer.discard()
        raise
    return len(order)


def statistics_of_day(path: str, output_format: str, rows_a_batch: int = 20_000):
    """The column statistics of a day's object (for the day's own profile), read back in
    batches: numbers as floats with NaN for null, texts with "" for null."""
    from calculators.columns import NUMERIC_COLUMNS, TEXT_COLUMNS
    from services.column_statistics import ColumnStatistics

    statistics = ColumnStatistics()
    if output_format == "parquet":
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        def floats(column) -> np.ndarray:
            """A number column as floats, null as NaN (pyarrow 7's ChunkedArray has no
            to_numpy options: its chunks do)."""
            filled = pc.fill_null(column.cast(pa.float64()), float("nan"))
            return np.concatenate([chunk.to_numpy(zero_copy_only=False)
                                   for chunk in filled.chunks] or [np.empty(0)])

        source = pq.ParquetFile(path)
        for group in range(source.num_row_groups):
            table = source.read_row_group(group)
            for start in range(0, table.num_rows, rows_a_batch):
                piece = table.slice(start, rows_a_batch)
                columns: Dict[str, Any] = {name: floats(piece.column(name))
                                           for name in NUMERIC_COLUMNS}
                for name in TEXT_COLUMNS:
                    columns[name] = ["" if value is None else str(value)
                                     for value in piece.column(name).to_pylist()]
                statistics.update(columns)
        return statistics
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        _check_header(next(reader, None), path)
        while True:
            rows = [row for _, row in zip(range(rows_a_batch), reader)]
            if not rows:
                return statistics
            cells = list(zip(*rows))
            columns = {}
            for position, name in enumerate(COLUMN_NAMES):
                if name in TEXT_COLUMNS:
                    columns[name] = list(cells[position])
                else:
                    columns[name] = np.array([float(cell) if cell else np.nan
                                              for cell in cells[position]])
            statistics.update(columns)
