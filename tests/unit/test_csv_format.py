import csv
import io

import numpy as np
import pytest

from calculators.columns import COLUMN_NAMES, TEXT_COLUMNS
from services.csv_writer import CsvWriter, quote_text, safe_column
from utils.counts import Counts


@pytest.mark.parametrize("value, text", [
    (0.0, "0.0"), (-0.0, "0.0"), (3.0, "3.0"), (-12.0, "-12.0"), (1e14, "100000000000000.0"),
    (1e16, "1e+16"), (2.5, "2.5"), (1 / 3, "0.3333333333333333"),
    (123456.789012345, "123456.789012345"), (1e-7, "1e-07"), (-1e20, "-1e+20"),
])
def test_a_real_is_always_written_as_a_real_that_reads_back_exactly(value, text, tmp_path):
    """Contract 1.2: a real column has one type in every file, whatever its values."""
    for column in ([value], [value, 0.5], [value, 3.0, 1e12]):
        path = str(tmp_path / "numbers.csv")
        writer = CsvWriter(path, ["n"])  # not in the registry: a real
        writer.write_batch({"n": np.array(column)})
        writer.commit()
        with open(path) as handle:
            cells = handle.read().splitlines()[1:]
        assert cells[0] == text and float(cells[0]) == value
        assert all(("." in cell or "e" in cell) and float(cell) == number
                   for cell, number in zip(cells, column))


def test_integer_and_flag_columns_are_written_as_integers(tmp_path):
    path = str(tmp_path / "numbers.csv")
    writer = CsvWriter(path, ["total_runs", "timeout_flag", "success_rate"])
    writer.write_batch({"total_runs": np.array([3.0, 0.0]), "timeout_flag": np.array([1.0, 0.0]),
                        "success_rate": np.array([1.0, 0.0])})
    writer.commit()
    with open(path) as handle:
        assert handle.read().splitlines()[1:] == ["3,1,1.0", "0,0,0.0"]


@pytest.mark.parametrize("value, text", [
    ("plain", "plain"), ("a,b", '"a,b"'), ('say "hi"', '"say ""hi"""'), ("l1\nl2", '"l1\nl2"'),
    ("cr\r", '"cr\r"'), ("", ""), ("nul\x00", "nul\x00"),
])
def test_text_quoting_is_rfc4180_minimal(value, text):
    assert quote_text(value) == text


def test_the_file_parses_back_with_the_header_and_quoted_text(tmp_path):
    path = tmp_path / "out.csv"
    writer = CsvWriter(str(path))
    columns = {name: np.array([1.0, 2.5]) for name in COLUMN_NAMES}
    for name in TEXT_COLUMNS:
        columns[name] = ["a,\"b\"\r\nc", "é"]
    writer.write_batch(columns)
    assert not path.exists()  # nothing under the final name until committed
    writer.commit()
    data = path.read_bytes()
    assert b"\r\n" in data and data.endswith(b"\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == list(COLUMN_NAMES)
    assert rows[1][0] == "a,\"b\"\r\nc" and rows[2][0] == "é"
    assert rows[1][4] == "1" and rows[1][5] == "1.0" and rows[2][5] == "2.5"
    assert len(rows) == 3 and all(len(row) == len(COLUMN_NAMES) for row in rows)


def test_an_empty_result_is_a_header_only_file(tmp_path):
    writer = CsvWriter(str(tmp_path / "e.csv"))
    writer.commit()
    assert (tmp_path / "e.csv").read_text() == ",".join(COLUMN_NAMES) + "\n"


@pytest.mark.parametrize("value, warning", [
    ("=HYPERLINK(\"http://x\",\"y\")", "formula_like_text"), ("+14155550100", "formula_like_text"),
    ("-5f3a", "formula_like_text"), ("@mention-bot", "formula_like_text"),
    ("=1+1", "formula_like_text"), ("\tcmd", "formula_like_text"), ("\rcmd", "formula_like_text"),
    ("'quoted", None), ("safe=value", None), ("é", None), ("x" * 5000, None),
])
def test_text_is_written_exactly_as_the_source_holds_it_and_formulas_are_counted(value,
                                                                                 warning):
    warnings = Counts()
    assert safe_column(["plain", value], warnings) == ["plain", value]
    assert warnings == ({warning: 1} if warning else {})
    guarded = Counts()
    expected = "'" + value if warning else value
    assert safe_column(["plain", value], guarded, formula_guard=True) == ["plain", expected]
    assert guarded == warnings


@pytest.mark.parametrize("value, written", [
    ("a\x00b", "a\ufffdb"), ("lone \udc80 surrogate", "lone \ufffd surrogate")])
def test_only_what_utf8_cannot_hold_is_replaced_and_counted(value, written):
    warnings = Counts()
    assert safe_column([value], warnings) == [written]
    assert warnings == {"replaced_character": 1}


def test_ids_come_back_exactly_and_a_long_cell_whole(tmp_path):
    path = tmp_path / "out.csv"
    writer = CsvWriter(str(path))
    columns = {name: np.array([1.0, 2.0, 3.0, 4.0]) for name in COLUMN_NAMES}
    for name in TEXT_COLUMNS:
        columns[name] = ["ok"] * 4
    columns["session_id"] = ["-5f3a", "'quoted", "=1+1", "plain"]
    columns["user_id"] = ["+14155550100", "u" * 1_000_000, "@x", ""]
    warnings = Counts()
    writer.write_batch(columns, warnings)
    writer.commit()
    limit = csv.field_size_limit()
    csv.field_size_limit(2_000_000)  # the csv module's default stops at 131,072
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    finally:
        csv.field_size_limit(limit)
    assert [row["session_id"] for row in rows] == ["-5f3a", "'quoted", "=1+1", "plain"]
    assert [row["user_id"] for row in rows] == ["+14155550100", "u" * 1_000_000, "@x", ""]
    assert warnings == {"formula_like_text": 4}


@pytest.mark.parametrize("undefined_as_zero, cells", [
    (False, ["2,1.5", ",", "0,0.0"]), (True, ["2,1.5", "0,0.0", "0,0.0"])])
def test_an_undefined_value_is_an_empty_cell_or_with_undefined_values_zero_a_zero(
        tmp_path, undefined_as_zero, cells):
    path = str(tmp_path / "nulls.csv")
    writer = CsvWriter(path, ["hour_of_day", "success_rate"],
                       undefined_as_zero=undefined_as_zero)
    nan = float("nan")
    writer.write_batch({"hour_of_day": np.array([2.0, nan, 0.0]),
                        "success_rate": np.array([1.5, nan, 0.0])})
    writer.commit()
    with open(path) as handle:
        assert handle.read().splitlines()[1:] == cells
