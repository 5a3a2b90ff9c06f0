"""The outputs as data and ML engineers read them: pandas, pyarrow.dataset, DuckDB (the
stand-in for Athena) and Spark, over tiny, empty and large outputs, several seeds and
ranges, a WORKERS run and awkward ids, in both formats. (Spark's own parts are read in
test_spark_job.py.)

One schema everywhere: every Parquet file has the registry's schema; every CSV read with
the manifest's types gives the Parquet file's rows (EXCEPT both ways is empty); where a
reader infers the types of a CSV, a column that holds a value is inferred as the manifest
says, and a real cell is never read as an integer. A CSV column with no value at all (a
header-only file) cannot be typed by inference: that is what the manifest's types, the
generated table statement (tooling/ddl.py) and Parquet are for.
"""

import json
import os

import pytest

from calculators.columns import COLUMN_NAMES
from services.column_types import STORAGE
from tests.support.cli import run_job
from tooling.ddl import typed_view

pytestmark = pytest.mark.integration

pa = pytest.importorskip("pyarrow")
ds = pytest.importorskip("pyarrow.dataset")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")
duckdb = pytest.importorskip("duckdb")

DEC = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"]
OUTPUTS = {
    "one": DEC + ["--SIMULATED_SESSIONS", "1"],
    "three": DEC + ["--SIMULATED_SESSIONS", "3"],
    "empty": DEC + ["--SIMULATED_SESSIONS", "0"],
    "large": DEC + ["--SIMULATED_SESSIONS", "20000"],
    "seed7": DEC + ["--SIMULATED_SESSIONS", "400", "--SIMULATION_SEED", "7"],
    "november": ["--START_DATE", "2024-11-01", "--END_DATE", "2024-11-30",
                 "--SIMULATED_SESSIONS", "400"],
    "workers": DEC + ["--SIMULATED_SESSIONS", "3000", "--WORKERS", "2"],
}
AWKWARD_IDS = ["-5f3a", "+14155550100", "=1+1", "'quoted", "@mention-bot", "a,b \"c\"",
               "back\\slash"]
DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "tinyint": "TINYINT",
                "double": "DOUBLE", "timestamp": "TIMESTAMP WITH TIME ZONE", "date": "DATE"}
# What a reader that infers a CSV's types may call each type (flags are written as 0/1).
INFERRED = {"string": {"VARCHAR"}, "bigint": {"BIGINT"}, "tinyint": {"BIGINT"},
            "double": {"DOUBLE"}, "timestamp": {"TIMESTAMP WITH TIME ZONE"}, "date": {"DATE"}}


def awkward_sessions(path):
    lines = []
    for index, text in enumerate(AWKWARD_IDS):
        lines.append(json.dumps({
            "session_id": text, "user_id": text, "created_at": 1733011200 + index,
            "agent_data": {"name": text, "model": {"id": "m", "provider": "p"}},
            "runs": [{"status": "COMPLETED", "created_at": 1733011200 + index,
                      "metrics": {"input_tokens": 10, "output_tokens": 2 + index,
                                  "total_tokens": 12 + index, "duration": 1.0}}]}))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """{name: {format: (folder, manifest)}} for every output, written by the job."""
    root = tmp_path_factory.mktemp("readers")
    runs = dict(OUTPUTS, awkward=DEC + ["--REPOSITORY_TYPE", "file",
                                        "--INPUT_PATH", awkward_sessions(root / "ids.jsonl")])
    found = {}
    for name, arguments in runs.items():
        for output_format in ("csv", "parquet"):
            out = root / name / output_format
            result = run_job(arguments + ["--OUTPUT_FORMAT", output_format,
                                          "--OUTPUT_DIR", str(out)], env={"LOG_LEVEL": "WARNING"})
            assert result.returncode == 0, result.stderr[-2000:]
            manifest_path = result.summary["outputs"]["manifest"]["path"]
            with open(manifest_path) as handle:
                manifest = json.load(handle)
            found.setdefault(name, {})[output_format] = (os.path.dirname(manifest_path),
                                                        manifest)
    return found


def data_file(folder, output_format):
    [name] = [n for n in os.listdir(folder) if n.endswith("." + output_format)]
    return os.path.join(folder, name)


def duckdb_columns(manifest):
    return {column["name"]: DUCKDB_TYPES[column["athena_type"]] for column in manifest["schema"]}


def test_every_parquet_file_has_one_schema_for_every_reader(outputs):
    files = [data_file(*per_format["parquet"][:1], "parquet") for per_format in outputs.values()]
    schemas = {str(pq.read_schema(path).remove_metadata()) for path in files}
    assert len(schemas) == 1
    together = ds.dataset(files, format="parquet").to_table()  # refuses differing schemas
    assert together.num_rows == sum(per_format["parquet"][1]["rows_written"]
                                    for per_format in outputs.values())
    connection = duckdb.connect()
    described = {tuple(connection.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                          [path]).fetchall()) for path in files}
    assert len(described) == 1
    [columns] = described
    manifest = outputs["large"]["parquet"][1]
    assert [(name, kind) for name, kind, *_ in columns] == list(duckdb_columns(manifest).items())
    pandas_types = {tuple(pd.read_parquet(path, dtype_backend="pyarrow").dtypes.astype(str))
                    for path in files}
    assert len(pandas_types) == 1


def test_each_csv_read_with_the_manifests_types_has_the_rows_of_its_parquet_twin(outputs):
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for name, per_format in outputs.items():
        csv_folder, manifest = per_format["csv"]
        parquet_path = data_file(per_format["parquet"][0], "parquet")
        csv_path = data_file(csv_folder, "csv")
        assert manifest["schema"] == per_format["parquet"][1]["schema"] or name
        as_typed = "read_csv(?, header = true, columns = {})".format(
            _struct(duckdb_columns(manifest)))
        for first, second in ((as_typed, "read_parquet(?)"), ("read_parquet(?)", as_typed)):
            paths = [csv_path, parquet_path] if first == as_typed else [parquet_path, csv_path]
            different = connection.execute(
                "SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {})".format(
                    first, second), paths).fetchone()[0]
            assert different == 0, name
        rows = connection.execute("SELECT count(*) FROM " + as_typed, [csv_path]).fetchone()[0]
        assert rows == manifest["rows_written"]


def test_a_csv_inferred_by_a_reader_never_changes_a_columns_type(outputs):
    """Where a CSV column holds a value, DuckDB's and pyarrow's inference give it the type
    the manifest says (a flag, written 0/1, as an integer), whatever the file's size; and
    every real cell carries a decimal point or an exponent."""
    connection = duckdb.connect()
    real_columns = [n for n in COLUMN_NAMES if STORAGE[n].athena_csv == "double"]
    for name, per_format in outputs.items():
        if name == "awkward":
            continue  # its ids are numbers to a reader that guesses (+14155550100)
        folder, manifest = per_format["csv"]
        path = data_file(folder, "csv")
        if not manifest["rows_written"]:
            continue
        nulls = {column["name"]: column["nulls"] for column in manifest["schema"]}
        kinds = {column["name"]: column["athena_type"] for column in manifest["schema"]}
        inferred = dict(connection.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_csv(?))",
            [path]).fetchall())
        arrow_inferred = {field.name: str(field.type) for field in
                          ds.dataset(path, format="csv").schema}
        for column in COLUMN_NAMES:
            if nulls[column] == manifest["rows_written"]:
                continue  # no value to infer from
            assert inferred[column] in INFERRED[kinds[column]], (name, column, inferred[column])
            if kinds[column] == "double":
                assert arrow_inferred[column] == "double", (name, column)
        cells = connection.execute("SELECT {} FROM read_csv(?, all_varchar = true)".format(
            ", ".join('"{}"'.format(c) for c in real_columns)), [path]).fetchall()
        assert all("." in cell or "e" in cell for row in cells for cell in row if cell), name


def test_a_folder_read_as_a_table_holds_only_data_rows(outputs):
    """The manifest and rejects beside the rows start with `_`: pyarrow.dataset skips them,
    as Athena, Hive and Spark do; a data-file glob (DuckDB) never matches them."""
    connection = duckdb.connect()
    for name, per_format in outputs.items():
        for output_format, (folder, manifest) in per_format.items():
            assert sorted(os.listdir(folder))[0].startswith("_")  # the metadata is there
            table = ds.dataset(folder, format=output_format).to_table()
            assert table.num_rows == manifest["rows_written"], (name, output_format)
            reader = "read_csv" if output_format == "csv" else "read_parquet"
            glob = os.path.join(folder, "*." + output_format)
            rows = connection.execute("SELECT count(*) FROM {}(?)".format(reader),
                                      [glob]).fetchone()[0] if manifest["rows_written"] else 0
            assert rows == manifest["rows_written"], (name, output_format)


def test_awkward_ids_come_back_exactly_from_every_reader(outputs):
    csv_folder, manifest = outputs["awkward"]["csv"]
    parquet_folder, _ = outputs["awkward"]["parquet"]
    csv_path, parquet_path = data_file(csv_folder, "csv"), data_file(parquet_folder, "parquet")
    assert manifest["warnings"]["formula_like_text"] > 0  # counted, not altered
    expected = sorted(AWKWARD_IDS)
    assert sorted(pq.read_table(parquet_path)["session_id"].to_pylist()) == expected
    assert sorted(pd.read_parquet(parquet_path)["user_id"]) == expected
    text_columns = {c["name"]: str for c in manifest["schema"] if c["type"] == "text"}
    assert sorted(pd.read_csv(csv_path, dtype=text_columns, keep_default_na=False
                              )["session_id"]) == expected
    connection = duckdb.connect()
    typed = "read_csv(?, header = true, columns = {})".format(_struct(duckdb_columns(manifest)))
    for reader, path in ((typed, csv_path), ("read_parquet(?)", parquet_path)):
        found = connection.execute("SELECT session_id, agent_name, user_id FROM " + reader,
                                   [path]).fetchall()
        assert sorted(found) == [(text, text, text) for text in expected]


def test_the_generated_view_types_the_csv_as_the_parquet_table(outputs):
    """tooling/ddl.py's view, run by DuckDB over the CSV read as text (as Athena's CSV
    SerDe reads it), gives the Parquet file's rows and types."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    # Athena's (Trino's) ISO 8601 parser, in DuckDB's words
    connection.execute("CREATE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)")
    connection.execute("CREATE SCHEMA analytics")
    for name in ("large", "awkward", "one"):
        csv_folder, manifest = outputs[name]["csv"]
        parquet_path = data_file(outputs[name]["parquet"][0], "parquet")
        connection.execute("CREATE OR REPLACE TABLE analytics.features_csv_text AS SELECT * "
                           "FROM read_csv(?, all_varchar = true)", [data_file(csv_folder, "csv")])
        connection.execute(typed_view("analytics.features", "analytics.features_csv_text"))
        timestamps = {c["name"] for c in manifest["schema"] if c["athena_type"] == "timestamp"}
        from_parquet = ", ".join(
            "CAST(\"{0}\" AS TIMESTAMP) AS \"{0}\"".format(n) if n in timestamps
            else '"{}"'.format(n) for n in COLUMN_NAMES)
        for first, second in (("analytics.features", "parquet_rows"),
                              ("parquet_rows", "analytics.features")):
            different = connection.execute(
                "WITH parquet_rows AS (SELECT {} FROM read_parquet(?)) SELECT count(*) FROM "
                "(SELECT * FROM {} EXCEPT ALL SELECT * FROM {})".format(
                    from_parquet, first, second), [parquet_path]).fetchone()[0]
            assert different == 0, name
        view_types = [kind for _, kind, *_ in connection.execute(
            "DESCRIBE SELECT * FROM analytics.features").fetchall()]
        expected = [DUCKDB_TYPES[STORAGE[n].athena_csv].replace(" WITH TIME ZONE", "")
                    for n in COLUMN_NAMES]
        assert view_types == expected


def test_spark_reads_every_output_with_one_schema(outputs, spark):
    from pyspark.sql.types import StructType

    spark_session = spark
    spark_session.conf.set("spark.sql.session.timeZone", "UTC")

    parquet_files = [data_file(per_format["parquet"][0], "parquet")
                     for per_format in outputs.values()]
    schemas = {spark_session.read.parquet(path).schema.simpleString() for path in parquet_files}
    assert len(schemas) == 1
    together = spark_session.read.parquet(*parquet_files)
    assert together.count() == sum(p["parquet"][1]["rows_written"] for p in outputs.values())
    schema = StructType.fromJson(json.loads(together.schema.json()))
    csv_files = [data_file(per_format["csv"][0], "csv") for per_format in outputs.values()]
    from_csv = (spark_session.read.option("header", True).option("mode", "FAILFAST")
                .option("multiLine", True).option("escape", '"')
                .schema(schema).csv(csv_files))
    assert from_csv.count() == together.count()
    assert from_csv.exceptAll(together).count() == 0
    assert together.exceptAll(from_csv).count() == 0
    folder = outputs["seed7"]["parquet"][0]  # a folder: its _manifest.json is skipped
    assert spark_session.read.parquet(folder).count() == outputs["seed7"]["parquet"][1][
        "rows_written"]


def _struct(columns):
    return "{" + ", ".join("'{}': '{}'".format(name, kind) for name, kind in columns.items()) + "}"
