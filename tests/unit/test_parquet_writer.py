import csv
import sys

import numpy as np
import pytest

from calculators.column import TEXT
from calculators.columns import COLUMN_NAMES, COLUMNS
from config.errors import ConfigError
from services.column_types import NEVER_NULL, STORAGE, TIMESTAMP_COLUMNS
from services.csv_writer import CsvWriter
from utils.counts import Counts

pa = pytest.importorskip("pyarrow")  # the Python 3.9 run installs Glue's pyarrow 7
pq = pytest.importorskip("pyarrow.parquet")

from services.parquet_writer import ParquetWriter, arrow_schema, require_pyarrow  # noqa: E402


def batch(rows, start=0):
    """`rows` rows of every column: numbers from `start`, a null in each nullable numeric
    column of every third row, text that is an id, an empty text, a time."""
    columns = {}
    index = np.arange(start, start + rows, dtype=np.float64)
    for column in COLUMNS:
        if column.name in TIMESTAMP_COLUMNS:
            columns[column.name] = ["" if i % 4 == 3 else
                                    "2024-12-{:02d}T10:{:02d}:07Z".format(1 + i % 28, i % 60)
                                    for i in range(start, start + rows)]
        elif column.name == "date":
            columns[column.name] = ["" if i % 4 == 3 else "2024-12-{:02d}".format(1 + i % 28)
                                    for i in range(start, start + rows)]
        elif column.dtype == TEXT:
            columns[column.name] = ["" if i % 5 == 4 else "-5f3a" if i % 5 == 1 else
                                    "id-{}".format(i) for i in range(start, start + rows)]
        else:
            values = index % 2 if column.dtype == "flag" else index * 1.5 - 0.0
            if STORAGE[column.name].nullable:
                values = np.where(index % 3 == 2, np.nan, values)
            columns[column.name] = values
    columns["session_id"] = ["s{}".format(i) for i in range(start, start + rows)]
    return columns


def write(path, batches, **options):
    writer = ParquetWriter(str(path), **options)
    for columns in batches:
        writer.write_batch(columns)
    return writer.commit()


def test_every_column_has_the_type_of_the_contract_in_the_file(tmp_path):
    written = pq.read_table(write(tmp_path / "rows.parquet", [batch(10)]))
    assert written.schema.names == list(COLUMN_NAMES)
    for field in written.schema:
        assert str(field.type) == STORAGE[field.name].arrow_type, field.name
        assert field.nullable == (field.name not in NEVER_NULL and
                                  STORAGE[field.name].dtype != "flag"), field.name
    assert written.schema == arrow_schema()


def test_undefined_is_null_or_with_undefined_values_zero_zero_and_texts_as_the_source_has_them(
        tmp_path):
    rows = pq.read_table(write(tmp_path / "a.parquet", [batch(6)])).to_pylist()
    assert rows[2]["success_rate"] is None and rows[1]["success_rate"] == 1.5
    assert rows[2]["total_runs"] == 3  # a count is never null
    assert rows[1]["agent_name"] == "-5f3a"  # no formula guard in Parquet
    assert rows[4]["agent_name"] is None  # an empty text is read from a CSV as null too
    assert str(rows[0]["session_start"]) == "2024-12-01 10:00:07+00:00"
    assert rows[3]["session_start"] is None and str(rows[2]["date"]) == "2024-12-03"
    zeros = pq.read_table(write(tmp_path / "z.parquet", [batch(6)], undefined_as_zero=True))
    assert zeros.to_pylist()[2]["success_rate"] == 0.0
    assert not zeros.schema.field("success_rate").nullable
    assert zeros.schema.field("session_start").nullable  # a missing time stays missing


def test_formula_like_text_is_counted_and_text_utf8_cannot_hold_replaced(tmp_path):
    writer = ParquetWriter(str(tmp_path / "t.parquet"), column_names=["session_id", "user_id"])
    warnings = Counts()
    writer.write_batch({"session_id": ["=1+1", "ok"], "user_id": ["\ud800x", "+14155550100"]},
                       warnings)
    rows = pq.read_table(writer.commit()).to_pylist()
    assert rows == [{"session_id": "=1+1", "user_id": "\ufffdx"},
                    {"session_id": "ok", "user_id": "+14155550100"}]
    assert warnings == {"formula_like_text": 2, "replaced_character": 1}


def test_row_groups_have_a_fixed_size_whatever_the_batches_and_slices(tmp_path):
    """One pass, WORKERS' slices appended in order: the same bytes."""
    in_batches = write(tmp_path / "batches.parquet", [batch(3), batch(3, 3), batch(3, 6)],
                       row_group_rows=4)
    at_once = write(tmp_path / "once.parquet", [batch(9)], row_group_rows=4)
    first = write(tmp_path / "slice-0.parquet", [batch(5)])
    second = write(tmp_path / "slice-1.parquet", [batch(4, 5)])
    appended = ParquetWriter(str(tmp_path / "appended.parquet"), row_group_rows=4)
    appended.append_rows_of(first, 5)
    appended.append_rows_of(second, 4)
    assert appended.rows == 9
    appended = appended.commit()
    metadata = pq.ParquetFile(in_batches).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [4, 4, 1]
    contents = {open(path, "rb").read() for path in (in_batches, at_once, appended)}
    assert len(contents) == 1


def test_a_slice_that_holds_other_than_its_count_is_an_error(tmp_path):
    slice_file = write(tmp_path / "slice.parquet", [batch(3)])
    writer = ParquetWriter(str(tmp_path / "all.parquet"))
    with pytest.raises(Exception, match="holds 3 rows, 4 were expected"):
        writer.append_rows_of(slice_file, 4)
    writer.discard()
    assert not list(tmp_path.glob("all.parquet*"))


def test_an_empty_result_is_a_file_with_the_schema_and_no_rows(tmp_path):
    empty = pq.read_table(write(tmp_path / "empty.parquet", []))
    assert empty.num_rows == 0 and empty.schema == arrow_schema()


def test_nothing_has_the_final_name_until_commit_and_discard_leaves_nothing(tmp_path):
    writer = ParquetWriter(str(tmp_path / "rows.parquet"))
    writer.write_batch(batch(2))
    writer.close()
    assert not (tmp_path / "rows.parquet").exists()
    writer.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_row_read_from_parquet_equals_the_same_row_read_from_the_csv(tmp_path):
    columns = batch(12)
    parquet_rows = pq.read_table(write(tmp_path / "rows.parquet", [columns])).to_pylist()
    csv_writer = CsvWriter(str(tmp_path / "rows.csv"))
    csv_writer.write_batch(columns)
    with open(csv_writer.commit(), newline="", encoding="utf-8") as handle:
        csv_rows = list(csv.DictReader(handle))
    assert len(csv_rows) == len(parquet_rows) == 12
    for from_csv, from_parquet in zip(csv_rows, parquet_rows):
        for name in COLUMN_NAMES:
            cell, value = from_csv[name], from_parquet[name]
            if cell == "":
                assert value is None, name
            elif name in TIMESTAMP_COLUMNS:
                assert value.strftime("%Y-%m-%dT%H:%M:%SZ") == cell
            elif name == "date":
                assert value.isoformat() == cell
            elif STORAGE[name].dtype == TEXT:
                assert value == cell
            else:
                assert float(cell) == value and type(value) is (
                    float if STORAGE[name].arrow_type == "double" else int), name


def test_without_pyarrow_parquet_is_a_configuration_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ConfigError) as raised:
        require_pyarrow()
    assert raised.value.parameter == "OUTPUT_FORMAT" and "pip install pyarrow" in str(raised.value)
