"""The Spark engine (spark_job.py) in local mode against FerretDB and moto's S3 server: its
parts, concatenated in order, are the one-process CSV; a retried task and a failed run are
harmless. One Spark session serves the module (its JVM starts once, in about 3 s)."""

import functools
import io
import json
import os
import sys
import time
from contextlib import redirect_stdout

import boto3
import pytest

from entrypoints import command_line
from services.engine_spark import STAGING_FOLDER, stage_slice
from tests.support.agno_database import write_agno_database
from tests.support.cli import ROOT

pytestmark = pytest.mark.integration

DEC = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"]
PREFIX = "training_data/2024-12-01_to_2024-12-31"
CSV_NAME = "conversations_2024-12-01_to_2024-12-31.csv"


@pytest.fixture
def agno_database(mongo_database, aws):
    written = write_agno_database(mongo_database, 300, damaged=60)
    return mongo_database, written


def run(engine, arguments, environ):
    with redirect_stdout(io.StringIO()) as captured:
        status = command_line.main(["spark_job.py"] + arguments, environ, engine=engine)
    return status, json.loads(captured.getvalue().strip().splitlines()[-1])


def source_environment(mongo_server, database, bucket):
    return {"MONGO_URI": mongo_server, "DATABASE_NAME": database.name,
            "COLLECTION_NAME": "agno_sessions", "S3_BUCKET": bucket, "LOG_LEVEL": "WARNING",
            "MAX_REJECT_RATIO": "1"}


def objects(bucket):
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listed}


def one_process_result(mongo_server, database, tmp_path):
    boto3.client("s3").create_bucket(Bucket="single")
    status, summary = run(command_line.python_shell, DEC + ["--OUTPUT_DIR", str(tmp_path / "one")],
                          source_environment(mongo_server, database, "single"))
    assert status == 0, summary
    return objects("single")


def rows_of_parts(stored, header):
    parts = sorted(key for key in stored if ".part-" in key)
    body = b""
    for key in parts:
        content = stored[key]
        assert content.startswith(header)  # every part has the header
        body += content[len(header):]
    return parts, body


def test_parts_concatenated_in_order_are_the_one_process_csv(spark, mongo_server,
                                                            agno_database, tmp_path):
    database, written = agno_database
    single = one_process_result(mongo_server, database, tmp_path)
    csv = single["{}/{}".format(PREFIX, CSV_NAME)]
    header = csv.split(b"\n", 1)[0] + b"\n"
    boto3.client("s3").create_bucket(Bucket="spark")
    status, summary = run(functools.partial(command_line.spark, session=spark),
                          DEC + ["--OUTPUT_DIR", str(tmp_path / "spark")],
                          source_environment(mongo_server, database, "spark"))
    assert status == 0, summary
    assert summary["documents_read"] == written and summary["rejects"] > 0
    stored = objects("spark")
    parts, body = rows_of_parts(stored, header)
    assert len(parts) == 8  # 2 task slots x 4 slices each
    assert parts == ["{}/conversations_2024-12-01_to_2024-12-31.part-{:05d}.csv".format(
        PREFIX, index) for index in range(8)]
    assert summary["outputs"]["parts"] == ["s3://spark/" + key for key in parts]
    assert body == csv[len(header):]
    assert stored[PREFIX + "/_rejects.jsonl"] == single[PREFIX + "/_rejects.jsonl"]
    assert not [key for key in stored if STAGING_FOLDER in key]
    manifest = json.loads(stored[PREFIX + "/_manifest.json"])
    single_manifest = json.loads(single[PREFIX + "/_manifest.json"])
    import hashlib
    assert [(p["key"], p["size"], p["sha256"]) for p in manifest["parts"]] == [
        (key, len(stored[key]), hashlib.sha256(stored[key]).hexdigest()) for key in parts]
    assert sum(p["rows"] for p in manifest["parts"]) == single_manifest["rows_written"]
    for name in ("documents_read", "rows_written", "rejects", "reject_reasons", "warnings",
                 "shapes", "source"):
        assert manifest[name] == single_manifest[name], name
    assert manifest["engine"] == {"name": "spark", "slices": 8, "parallelism": 2}

    # A one-process run of the range afterwards removes the parts, and the reverse.
    run(command_line.python_shell, DEC + ["--OUTPUT_DIR", str(tmp_path / "again")],
        source_environment(mongo_server, database, "spark"))
    assert not [key for key in objects("spark") if ".part-" in key]
    run(functools.partial(command_line.spark, session=spark),
        DEC + ["--OUTPUT_DIR", str(tmp_path / "spark")],
        source_environment(mongo_server, database, "spark"))
    assert "{}/{}".format(PREFIX, CSV_NAME) not in objects("spark")


def flaky_stage(slice_source, store_factory, staging_prefix, window):
    """Slice 1's first attempt writes a wrong part to staging, then fails."""
    from pyspark import TaskContext

    if window.index == 1 and TaskContext.get().attemptNumber() == 0:
        store = store_factory()
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "wrong-part.csv")
        with open(path, "w") as handle:
            handle.write("not,the,right,rows\n")
        store.upload(path, "{}/part-{:05d}.csv".format(staging_prefix, 1), "text/csv", {},
                     "0" * 64)
        raise RuntimeError("executor lost while writing slice 1")
    return stage_slice(slice_source, store_factory, staging_prefix, window)


def broken_stage(slice_source, store_factory, staging_prefix, window):
    """Slice 5 fails on every attempt; slice 7 is slow, so it is still running then."""
    if window.index == 5:
        raise RuntimeError("slice 5 fails on every attempt")
    if window.index == 7:
        time.sleep(1.5)
    return stage_slice(slice_source, store_factory, staging_prefix, window)


def test_a_retried_task_leaves_a_correct_result_and_a_failed_run_changes_nothing(
        spark, mongo_server, agno_database, tmp_path):
    database, _ = agno_database
    single = one_process_result(mongo_server, database, tmp_path)
    csv = single["{}/{}".format(PREFIX, CSV_NAME)]
    header = csv.split(b"\n", 1)[0] + b"\n"
    boto3.client("s3").create_bucket(Bucket="spark")
    environment = source_environment(mongo_server, database, "spark")
    arguments = DEC + ["--OUTPUT_DIR", str(tmp_path / "spark")]
    status, summary = run(functools.partial(command_line.spark, session=spark, task=flaky_stage),
                          arguments, environment)
    assert status == 0, summary
    published = objects("spark")
    assert rows_of_parts(published, header)[1] == csv[len(header):]

    status, summary = run(functools.partial(command_line.spark, session=spark, task=broken_stage),
                          arguments, environment)
    assert status == 1
    assert summary["error"] == ("a Spark task failed on every attempt: RuntimeError: slice 5 "
                                "fails on every attempt")
    assert objects("spark") == published  # no staging left, the earlier result intact
    time.sleep(6)  # what a task still running after the failure would write, it has by now
    assert objects("spark") == published


def test_a_missing_runs_collection_is_found_by_the_driver_before_any_task(
        spark, mongo_server, mongo_database, aws, tmp_path):
    mongo_database.agno_sessions.insert_one({"session_id": "s", "created_at": 1733011200})
    boto3.client("s3").create_bucket(Bucket="spark")
    environment = dict(source_environment(mongo_server, mongo_database, "spark"),
                       RUNS_COLLECTION="no_such")
    jobs_before = len(spark.sparkContext.statusTracker().getJobIdsForGroup())
    status, summary = run(functools.partial(command_line.spark, session=spark),
                          DEC + ["--OUTPUT_DIR", str(tmp_path)], environment)
    assert status == 2
    assert summary["error"].startswith("configuration: RUNS_COLLECTION: no collection 'no_such'")
    assert len(spark.sparkContext.statusTracker().getJobIdsForGroup()) == jobs_before
    assert objects("spark") == {}


def test_the_script_runs_as_glue_runs_it(aws, tmp_path):
    """`python spark_job.py --NAME value ...` in a process of its own, which starts its own
    Spark (the master comes from the environment, as on Glue)."""
    from tests.support.cli import run_job

    boto3.client("s3").create_bucket(Bucket="spark-script")
    result = run_job(DEC + ["--REPOSITORY_TYPE", "simulated", "--SIMULATED_SESSIONS", "300",
                            "--S3_BUCKET", "spark-script", "--JOB_RUN_ID", "jr_spark",
                            "--OUTPUT_DIR", str(tmp_path)],
                     env=dict(aws, PYTHONPATH=ROOT, PYSPARK_PYTHON=sys.executable,
                              PYSPARK_SUBMIT_ARGS="--master local[2] pyspark-shell"),
                     script=os.path.join(ROOT, "spark_job.py"), timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.summary["rows_written"] == 300 and len(result.summary["outputs"]["parts"]) == 8
    manifest = json.loads(objects("spark-script")[PREFIX + "/_manifest.json"])
    assert manifest["job_run_id"] == "jr_spark" and sum(
        part["rows"] for part in manifest["parts"]) == 300


def test_spark_refuses_a_file_source_and_a_run_without_a_bucket(tmp_path):
    path = tmp_path / "sessions.jsonl"
    path.write_text("{}\n")
    status, summary = run(command_line.spark, DEC + ["--REPOSITORY_TYPE", "file", "--INPUT_PATH",
                                                  str(path), "--S3_BUCKET", "bucket-x"], {})
    assert status == 2 and summary["error"].startswith("configuration: REPOSITORY_TYPE: file;")
    status, summary = run(command_line.spark, DEC + ["--REPOSITORY_TYPE", "simulated"], {})
    assert status == 2 and summary["error"].startswith("configuration: S3_BUCKET: none set;")


def test_parquet_parts_hold_the_one_process_rows_with_one_schema(spark, mongo_server,
                                                                 agno_database, tmp_path):
    """OUTPUT_FORMAT=parquet on Spark: one Parquet file per part; read together (pyarrow,
    DuckDB, Spark) they are the one-process file's rows, in order, with its schema."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    database, written = agno_database
    parquet = ["--OUTPUT_FORMAT", "parquet"]
    boto3.client("s3").create_bucket(Bucket="single-parquet")
    status, summary = run(command_line.python_shell,
                          DEC + parquet + ["--OUTPUT_DIR", str(tmp_path / "one")],
                          source_environment(mongo_server, database, "single-parquet"))
    assert status == 0, summary
    single = pq.read_table(io.BytesIO(objects("single-parquet")[
        PREFIX + "/conversations_2024-12-01_to_2024-12-31.parquet"]))
    boto3.client("s3").create_bucket(Bucket="spark-parquet")
    status, summary = run(functools.partial(command_line.spark, session=spark),
                          DEC + parquet + ["--OUTPUT_DIR", str(tmp_path / "spark")],
                          source_environment(mongo_server, database, "spark-parquet"))
    assert status == 0, summary
    stored = objects("spark-parquet")
    parts = sorted(key for key in stored if ".part-" in key)
    assert parts == ["{}/conversations_2024-12-01_to_2024-12-31.part-{:05d}.parquet".format(
        PREFIX, index) for index in range(8)]
    tables = [pq.read_table(io.BytesIO(stored[key])) for key in parts]
    assert all(table.schema == single.schema for table in tables)
    assert pa.concat_tables(tables).equals(single)
    folder = tmp_path / "downloaded"
    folder.mkdir()
    for key in parts + [PREFIX + "/_manifest.json"]:
        (folder / key.rsplit("/", 1)[-1]).write_bytes(stored[key])
    assert duckdb.sql("SELECT count(*) FROM read_parquet('{}/*.parquet')".format(folder)
                      ).fetchone()[0] == single.num_rows
    assert spark.read.parquet(str(folder)).count() == single.num_rows  # _manifest skipped
    manifest = json.loads(stored[PREFIX + "/_manifest.json"])
    assert manifest["format"]["name"] == "parquet"
    assert sum(part["rows"] for part in manifest["parts"]) == single.num_rows


def with_bson_values(value, rng):
    """`value` with some leaves replaced by BSON types JSON has not (those FerretDB 1.x
    stores: Int64, ObjectId, Binary, Regex, Timestamp, dates)."""
    import datetime as dt

    from bson import Binary, Int64, ObjectId, Regex, Timestamp

    if isinstance(value, dict):  # an _id cannot be a regex or an array (MongoDB's rule)
        return {key: item if key == "_id" else with_bson_values(item, rng)
                for key, item in value.items()}
    if isinstance(value, list):
        return [with_bson_values(item, rng) for item in value]
    if rng.random() < 0.15:
        return rng.choice([Int64(2 ** 62), Int64(-(2 ** 63)), ObjectId(), Binary(b"\x00\xff"),
                           Regex("^a.*", "i"), Timestamp(1733011200, 7),
                           dt.datetime(1970, 1, 1), dt.datetime(2024, 12, 31, 23, 59, 59)])
    return value


def test_damaged_bson_documents_give_the_same_rows_in_one_process_workers_and_spark(
        spark, mongo_server, mongo_database, aws, tmp_path):
    """Damaged sessions with BSON-only values, and damaged run documents in an Agno 3 runs
    collection, through every engine that reads MongoDB: each document a row or a reject,
    and the same rows and rejects from one process, WORKERS=2 and Spark."""
    import random

    from tests.support.fuzz import fuzz_documents, random_value
    from tests.support.fuzz import storable_in_ferretdb as storable

    rng = random.Random(21)
    sessions = [storable(with_bson_values(document, rng))
                for document in fuzz_documents(400, seed=21, max_nesting=20)]
    mongo_database.agno_sessions.insert_many(sessions)
    ids = [document.get("session_id") for document in sessions if isinstance(document, dict)]
    runs = [storable(with_bson_values({"session_id": rng.choice(ids + [None, 7, ["s"]]),
                                       "run_id": "r%d" % index, "created_at": random_value(rng),
                                       "metrics": random_value(rng),
                                       "status": random_value(rng)}, rng))
            for index in range(300)]
    mongo_database.agno_runs.insert_many(runs)
    results = {}
    for name, engine, extra in (
            ("one", command_line.python_shell, []),
            ("workers", command_line.python_shell, ["--WORKERS", "2"]),
            ("spark", functools.partial(command_line.spark, session=spark), [])):
        bucket = "fuzz-" + name
        boto3.client("s3").create_bucket(Bucket=bucket)
        status, summary = run(engine, DEC + ["--OUTPUT_DIR", str(tmp_path / name)] + extra,
                              source_environment(mongo_server, mongo_database, bucket))
        assert status == 0, (name, summary)
        assert summary["rows_written"] + summary["rejects"] == summary["documents_read"], name
        stored = objects(bucket)
        rows = b"".join(content.split(b"\n", 1)[1] for key, content in sorted(stored.items())
                        if key.endswith(".csv"))
        results[name] = (summary["documents_read"], sorted(rows.splitlines()),
                         stored.get(PREFIX + "/_rejects.jsonl"))
    assert results["one"] == results["workers"] == results["spark"]
    assert results["one"][0] > 300  # most of the damaged sessions are in the range


def test_partitioned_days_are_byte_identical_from_one_process_workers_and_spark(
        spark, mongo_server, agno_database, tmp_path):
    """OUTPUT_LAYOUT=partitioned over the Agno 3 database (sessions and a runs collection):
    whichever engine reads the window, every day partition is the same object."""
    database, written = agno_database
    partitioned = DEC + ["--OUTPUT_LAYOUT", "partitioned", "--OUTPUT_FORMAT", "parquet"]
    results = {}
    for name, engine, extra in (
            ("one", command_line.python_shell, []),
            ("workers", command_line.python_shell, ["--WORKERS", "2"]),
            ("spark", functools.partial(command_line.spark, session=spark), [])):
        bucket = "days-" + name
        boto3.client("s3").create_bucket(Bucket=bucket)
        status, summary = run(engine, partitioned + ["--OUTPUT_DIR", str(tmp_path / name)]
                              + extra, source_environment(mongo_server, database, bucket))
        assert status == 0, (name, summary)
        results[name] = {key: content for key, content in objects(bucket).items()
                         if "/dt=" in key}  # each day's object and its profile
    assert len(results["one"]) > 20
    assert results["one"] == results["workers"] == results["spark"]


def test_the_profile_of_workers_and_spark_is_the_one_process_profile(
        spark, mongo_server, agno_database, tmp_path):
    """Counts, nulls, zeros, min, max, per-slot counts, histograms and quantiles exactly;
    mean and std to the last digits a different order of additions changes."""
    database, written = agno_database
    profiles = {}
    for name, engine, extra in (
            ("one", command_line.python_shell, []),
            ("workers", command_line.python_shell, ["--WORKERS", "2"]),
            ("spark", functools.partial(command_line.spark, session=spark), [])):
        bucket = "profile-" + name
        boto3.client("s3").create_bucket(Bucket=bucket)
        status, summary = run(engine, DEC + ["--OUTPUT_DIR", str(tmp_path / name)] + extra,
                              source_environment(mongo_server, database, bucket))
        assert status == 0, (name, summary)
        profiles[name] = json.loads(objects(bucket)[PREFIX + "/_profile.json"])
    one = profiles["one"]
    assert one["rows"] > 250
    for name in ("workers", "spark"):
        other = profiles[name]
        assert other["rows"] == one["rows"] and other["text"] == one["text"]
        for column, expected in one["numeric"].items():
            found = other["numeric"][column]
            for key, value in expected.items():
                if key in ("mean", "std") and value is not None:
                    assert found[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (name, column)
                else:
                    assert found[key] == value, (name, column, key)
