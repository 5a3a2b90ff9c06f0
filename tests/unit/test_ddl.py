import re

import pytest

from calculators.columns import COLUMN_NAMES
from services.column_types import STORAGE
from tooling import ddl

LOCATION = "s3://my-bucket/training_data/2024-12-01_to_2024-12-31/"


def test_the_parquet_table_lists_every_column_in_order_with_the_files_types():
    statement = ddl.statements("parquet", "analytics.features", LOCATION)
    columns = re.findall(r"^  `(\w+)` (\w+),?$", statement, re.MULTILINE)
    assert columns == [(name, STORAGE[name].athena_parquet) for name in COLUMN_NAMES]
    assert "STORED AS PARQUET" in statement and "LOCATION '{}'".format(LOCATION) in statement
    assert "'contract_version' = '1.2'" in statement


def test_the_csv_table_is_text_and_its_view_types_every_column_and_nulls_empty_cells():
    statement = ddl.statements("csv", "analytics.features", LOCATION)
    table, view = statement.split("CREATE OR REPLACE VIEW")
    assert re.findall(r"^  `(\w+)` string,?$", table, re.MULTILINE) == list(COLUMN_NAMES)
    assert "OpenCSVSerde" in table and "'skip.header.line.count' = '1'" in table
    assert "escapeChar" not in table  # RFC 4180 doubles quotes; a backslash is text
    typed = re.findall(r'^  (.+) AS "(\w+)",?$', view, re.MULTILINE)
    assert [name for _, name in typed] == list(COLUMN_NAMES)
    expressions = dict((name, expression) for expression, name in typed)
    assert expressions["total_runs"] == "CAST(NULLIF(\"total_runs\", '') AS bigint)"
    assert expressions["session_start"] == (
        "CAST(from_iso8601_timestamp(NULLIF(\"session_start\", '')) AS timestamp)")
    assert expressions["session_id"] == "NULLIF(\"session_id\", '')"
    assert view.strip().endswith('FROM "analytics"."features_csv_text";')


@pytest.mark.parametrize("table, location", [
    ("Analytics.Features", LOCATION), ("a.b.c", LOCATION), ("x; DROP", LOCATION),
    ("analytics.features", "s3://my-bucket/no-trailing-slash"),
    ("analytics.features", "s3://my-bucket/it's/"), ("analytics.features", "/local/path/"),
])
def test_a_name_or_location_athena_would_refuse_or_misread_exits_2(table, location, capsys):
    assert ddl.main(["--format", "csv", "--table", table, "--location", location]) == 2
    assert capsys.readouterr().err.startswith("error: --")
