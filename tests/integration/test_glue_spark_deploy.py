"""The Glue for Spark job exactly as `deploy_glue.py --engine spark` ships it: deployed to
moto's Glue and S3, then run by `spark-submit` from what the job definition names, on the
Python and Spark of its Glue version (6.0: Spark 4.1.1 on Python 3.13; 5.1: Spark 3.5.6 on
Python 3.11), in a folder outside the repository with PYTHONPATH cleared."""

import json
import os
import sys

import boto3
import pytest

from tests.support.cli import ROOT, run_job
from tests.support.glue_spark import glue_runtime, spark_submit

pytestmark = pytest.mark.integration

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import deploy_glue  # noqa: E402

RANGE = {"--START_DATE": "2024-12-01", "--END_DATE": "2024-12-07"}
PREFIX = "training_data/2024-12-01_to_2024-12-07"
SESSIONS = "400"


def deployed_spark_job(dist, glue_version):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="glue-assets")
    s3.create_bucket(Bucket="features")
    arguments = deploy_glue.parse_arguments([
        "--role-arn", "arn:aws:iam::123456789012:role/GlueJobRole", "--bucket", "glue-assets",
        "--dist", str(dist), "--engine", "spark", "--glue-version", glue_version,
        "--arg", "REPOSITORY_TYPE=simulated", "--arg", "S3_BUCKET=features",
        "--arg", "SIMULATED_SESSIONS=" + SESSIONS])
    deploy_glue.deploy(arguments)
    return boto3.client("glue").get_job(JobName=arguments.job_name)["Job"]


def objects(bucket):
    s3 = boto3.client("s3")
    return {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


@pytest.mark.parametrize("glue_version, output_format",
                         [("6.0", "csv"), ("5.1", "csv"), ("6.0", "parquet")])
def test_the_deployed_spark_job_runs_from_what_deploy_ships(aws, dist, tmp_path, glue_version,
                                                            output_format):
    job = deployed_spark_job(dist, glue_version)
    assert job["GlueVersion"] == glue_version
    # (the old deploy put the wheel in --extra-py-files: its executors could not import it)
    runtime = glue_runtime(glue_version)
    elsewhere = tmp_path / "glue-node"
    elsewhere.mkdir()
    result = spark_submit(job, boto3.client("s3"), runtime, str(elsewhere),
                          dict(RANGE, **{"--JOB_RUN_ID": "jr_" + glue_version.replace(".", ""),
                                         "--OUTPUT_DIR": str(tmp_path / "out"),
                                         "--OUTPUT_FORMAT": output_format}), aws)
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.summary["success"] and result.summary["rows_written"] == int(SESSIONS)
    assert "unknown_argument" not in result.stderr  # Glue's arguments pass quietly
    stored = objects("features")
    parts = sorted(key for key in stored if ".part-" in key)
    assert len(parts) == 8 and result.summary["outputs"]["parts"] == [
        "s3://features/" + key for key in parts]
    assert all(key.endswith("." + output_format) for key in parts)
    manifest = json.loads(stored[PREFIX + "/_manifest.json"])
    assert [part["key"] for part in manifest["parts"]] == parts
    assert manifest["job_run_id"] == "jr_" + glue_version.replace(".", "")

    # The same rows as the one-process job of the repository, byte for byte.
    single = run_job(["--REPOSITORY_TYPE", "simulated", "--SIMULATED_SESSIONS", SESSIONS,
                      "--OUTPUT_DIR", str(tmp_path / "single"), "--OUTPUT_FORMAT",
                      output_format, *sum(RANGE.items(), ())], env=aws)
    assert single.returncode == 0, single.stderr
    data = open(single.summary["outputs"][output_format]["path"], "rb").read()
    if output_format == "parquet":  # written by Glue's own pyarrow, read by this one
        import io

        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = [pq.read_table(io.BytesIO(stored[key])) for key in parts]
        assert pa.concat_tables(tables).equals(pq.read_table(io.BytesIO(data)))
        return
    header, rows = data.split(b"\n", 1)
    body = b""
    for key in parts:
        part_header, part_rows = stored[key].split(b"\n", 1)
        assert part_header == header
        body += part_rows
    assert body == rows
