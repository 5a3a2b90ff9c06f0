import csv
import io

import numpy as np
import pytest

from calculators.columns import COLUMN_NAMES
from services.csv_writer import CsvWriter, format_numbers, quote_text, safe_column
from utils.counts import Counts


@pytest.mark.parametrize("value, text", [
    (0.0, "0"), (-0.0, "0"), (3.0, "3"), (-12.0, "-12"), (1e14, "100000000000000"),
    (999999999999999.0, "999999999999999"), (1e15, "1e+15"), (2.5, "2.5"),
    (1 / 3, "0.3333333333"), (123456.789012345, "123456.789"), (1e-7, "1e-07"),
    (-1e20, "-1e+20"),
])
def test_number_format(value, text, tmp_path):
    assert format_numbers(np.array([value])) == [text]
    # Through the writer: alone ("%d" or "%.10g"), beside a fraction ("%.10g" unless a
    # whole number from 10^10 needs "%s"), and beside such a number (always "%s").
    for column in ([value], [value, 0.5], [value, 0.5, 1e12]):
        path = str(tmp_path / "numbers.csv")
        writer = CsvWriter(path, ["n"])
        writer.write_batch({"n": np.array(column)})
        writer.commit()
        with open(path) as handle:
            assert handle.read().splitlines()[1] == text


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
    for name in ("session_id", "agent_name", "model_provider", "model_id", "user_id", "schema",
                 "session_start", "session_end", "date"):
        columns[name] = ["a,\"b\"\r\nc", "é"]
    writer.write_batch(columns)
    assert not path.exists()  # nothing under the final name until committed
    writer.commit()
    data = path.read_bytes()
    assert b"\r\n" in data and data.endswith(b"\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == list(COLUMN_NAMES)
    assert rows[1][0] == "a,\"b\"\r\nc" and rows[2][0] == "é"
    assert rows[1][4] == "1" and rows[2][4] == "2.5"
    assert len(rows) == 3 and all(len(row) == len(COLUMN_NAMES) for row in rows)


def test_an_empty_result_is_a_header_only_file(tmp_path):
    writer = CsvWriter(str(tmp_path / "e.csv"))
    writer.commit()
    assert (tmp_path / "e.csv").read_text() == ",".join(COLUMN_NAMES) + "\n"


@pytest.mark.parametrize("value, written, warning", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")", "neutralised_text_cell"),
    ("+1", "'+1", "neutralised_text_cell"), ("-2+3", "'-2+3", "neutralised_text_cell"),
    ("@SUM(A1)", "'@SUM(A1)", "neutralised_text_cell"),
    ("\tcmd", "'\tcmd", "neutralised_text_cell"), ("\rcmd", "'\rcmd", "neutralised_text_cell"),
    ("a\x00b", "a\ufffdb", "replaced_character"),
    ("lone \udc80 surrogate", "lone \ufffd surrogate", "replaced_character"),
    ("x" * 5000, "x" * 4096, "truncated_text_cell"),
    ("safe=value", "safe=value", None), ("é", "é", None),
])
def test_text_cells_are_made_safe_and_every_change_is_counted(value, written, warning):
    warnings = Counts()
    assert safe_column(["plain", value], warnings) == ["plain", written]
    assert warnings == ({warning: 1} if warning else {})


def test_a_hostile_cell_reaches_the_file_neutralised_and_parses_back(tmp_path):
    path = tmp_path / "out.csv"
    writer = CsvWriter(str(path))
    columns = {name: np.array([1.0]) for name in COLUMN_NAMES}
    for name in ("session_id", "agent_name", "model_provider", "model_id", "user_id", "schema",
                 "session_start", "session_end", "date"):
        columns[name] = ["ok"]
    columns["agent_name"] = ["=cmd|' /C calc'!A0"]
    columns["user_id"] = ["u" * 1_000_000]  # past the csv module's 131,072 field limit
    warnings = Counts()
    writer.write_batch(columns, warnings)
    writer.commit()
    [row] = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert row["agent_name"] == "'=cmd|' /C calc'!A0"
    assert len(row["user_id"]) == 4096
    assert warnings == {"neutralised_text_cell": 1, "truncated_text_cell": 1}
