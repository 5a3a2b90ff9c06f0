"""Publishing to a real S3 endpoint over HTTP (moto's server)."""

import json
import os

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

from repositories.s3_object_store import S3ObjectStore
from tests.support.cli import run_job
from tests.support.servers import AuthenticatingMotoServer, free_port
from utils.files import sha256_of

pytestmark = pytest.mark.integration

BUCKET = "training-data-test"
PREFIX = "training_data/2024-12-01_to_2024-12-31"
CSV_KEY = PREFIX + "/conversations_2024-12-01_to_2024-12-31.csv"
# What a run publishes beside its rows, and the state it keeps for the next run.
RUN_METADATA = ("_drift.json", "_manifest.json", "_profile.json", "_report.html")
STATE = ["training_data/_state/last_profile.json", "training_data/_state/reference_profile.json"]
# Simulated sessions reach a bucket only when asked for by name (never by `auto`).
RANGE_ARGS = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
              "--REPOSITORY_TYPE", "simulated", "--SIMULATED_SESSIONS", "60"]


def objects(client, bucket=BUCKET):
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listed}


def test_outputs_land_at_the_legacy_keys_encrypted_and_verified(aws, tmp_path):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    result = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path),
                                   "--JOB_RUN_ID", "jr_42"], env=aws)
    assert result.returncode == 0, result.stderr
    stored = objects(s3)
    assert sorted(stored) == [PREFIX + "/" + name for name in RUN_METADATA] + [CSV_KEY] + STATE
    for key, body in stored.items():
        if key.startswith(PREFIX):  # the state is kept in S3 only
            assert body == (tmp_path / key).read_bytes()
    head = s3.head_object(Bucket=BUCKET, Key=CSV_KEY)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "text/csv; charset=utf-8"
    assert head["Metadata"] == {"rows": "60", "start-date": "2024-12-01",
                                "end-date": "2024-12-31", "job-run-id": "jr_42",
                                "sha256": sha256_of(str(tmp_path / CSV_KEY))}
    manifest_head = s3.head_object(Bucket=BUCKET, Key=PREFIX + "/_manifest.json")
    assert manifest_head["ContentType"] == "application/json"
    manifest = json.loads(stored[PREFIX + "/_manifest.json"])
    assert manifest["outputs"]["csv"]["s3_uri"] == "s3://{}/{}".format(BUCKET, CSV_KEY)
    assert manifest["outputs"]["csv"]["sha256"] == head["Metadata"]["sha256"]
    assert result.summary["outputs"]["manifest"]["s3_uri"] == "s3://{}/{}/_manifest.json".format(
        BUCKET, PREFIX)



def test_parquet_is_published_as_the_csv_is_and_replaces_the_csv_of_the_range(aws, tmp_path):
    """The same managed upload, checksum and manifest; a folder never holds two results."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    first = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path)], env=aws)
    assert first.returncode == 0, first.stderr
    result = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path),
                                   "--OUTPUT_FORMAT", "parquet", "--S3_CHECKSUM", "sha256"],
                     env=aws)
    assert result.returncode == 0, result.stderr
    parquet_key = CSV_KEY[:-len("csv")] + "parquet"
    stored = objects(s3)
    assert sorted(stored) == [PREFIX + "/" + name for name in RUN_METADATA] + [
        parquet_key] + STATE
    assert not (tmp_path / CSV_KEY).exists()
    assert stored[parquet_key] == (tmp_path / parquet_key).read_bytes()
    assert stored[parquet_key][:4] == b"PAR1"
    head = s3.head_object(Bucket=BUCKET, Key=parquet_key)
    assert head["ContentType"] == "application/vnd.apache.parquet"
    assert head["Metadata"]["sha256"] == sha256_of(str(tmp_path / parquet_key))
    manifest = json.loads(stored[PREFIX + "/_manifest.json"])
    assert manifest["outputs"]["parquet"]["sha256"] == head["Metadata"]["sha256"]
    assert manifest["format"]["name"] == "parquet" and manifest["rows_written"] == 60
    assert str(tmp_path) not in stored[PREFIX + "/_manifest.json"].decode()

def test_kms_encryption_with_a_named_key(aws, tmp_path):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    key_id = boto3.client("kms").create_key()["KeyMetadata"]["KeyId"]
    result = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path),
                                   "--S3_SSE", "aws:kms", "--S3_KMS_KEY_ID", key_id], env=aws)
    assert result.returncode == 0, result.stderr
    head = s3.head_object(Bucket=BUCKET, Key=CSV_KEY)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert key_id in head["SSEKMSKeyId"]


def test_large_files_go_multipart_and_are_verified(aws, tmp_path):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    path = tmp_path / "big.csv"
    path.write_bytes(os.urandom(11 * 1024 * 1024))
    mb5 = 5 * 1024 * 1024
    store = S3ObjectStore(s3, BUCKET, transfer_config=TransferConfig(
        multipart_threshold=mb5, multipart_chunksize=mb5))
    uri = store.upload(str(path), "big/big.csv", "text/csv", {"rows": "1"}, sha256_of(str(path)))
    assert uri == "s3://{}/big/big.csv".format(BUCKET)
    head = s3.head_object(Bucket=BUCKET, Key="big/big.csv")
    assert head["ETag"].strip('"').endswith("-3")
    assert head["ContentLength"] == 11 * 1024 * 1024


def test_rerun_overwrites_the_same_keys_with_complete_files(aws, tmp_path):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    first = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path / "a"),
                                  "--JOB_RUN_ID", "run-1"], env=aws)
    before = objects(s3)
    second = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path / "b"),
                                   "--JOB_RUN_ID", "run-2"], env=aws)
    after = objects(s3)
    assert first.returncode == second.returncode == 0
    assert sorted(before) == sorted(after)
    assert before[CSV_KEY] == after[CSV_KEY]
    assert json.loads(after[PREFIX + "/_manifest.json"])["job_run_id"] == "run-2"


def test_missing_bucket_fails_before_reading_anything(aws, tmp_path):
    result = run_job(RANGE_ARGS + ["--S3_BUCKET", "no-such-bucket-here", "--OUTPUT_DIR",
                                   str(tmp_path)], env=aws)
    assert result.returncode == 1
    assert result.summary["error"] == (
        "bucket s3://no-such-bucket-here does not exist; nothing was read")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_endpoint_down_fails_before_reading_anything(aws, tmp_path):
    env = dict(aws, AWS_ENDPOINT_URL="http://127.0.0.1:%d" % free_port())
    result = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path)], env=env)
    assert result.returncode == 1
    assert result.summary["error"].startswith("bucket s3://{} not reachable: ".format(BUCKET))
    assert "EndpointConnectionError" in result.summary["error"]
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_an_endpoint_that_accepts_and_never_answers_fails_the_start_up_check(aws, tmp_path):
    """Before, four read attempts of 60 s each: 302 s until exit 1. The check now gives up
    after two of 10 s; the subprocess's own timeout (90 s) catches a return of the old."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the backlog; nothing ever answers
        endpoint = "http://127.0.0.1:%d" % silent.getsockname()[1]
        result = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path)],
                         env=dict(aws, AWS_ENDPOINT_URL=endpoint), timeout=90)
    assert result.returncode == 1
    assert result.summary["error"].startswith("bucket s3://{} not reachable: ".format(BUCKET))
    assert "timeout" in result.summary["error"].lower()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_no_credentials_fail_fast_with_a_plain_reason(aws, tmp_path):
    env = {name: value for name, value in aws.items() if not name.startswith("AWS_ACCESS")
           and not name.startswith("AWS_SECRET")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_EC2_METADATA_DISABLED="true")
    blocked = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": ""}
    result = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path / "o")],
                     env=dict(env, **blocked))
    assert result.returncode == 1
    assert result.summary["error"].startswith(
        "no AWS credentials found for s3://{}".format(BUCKET))
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").rglob("*.csv"))


@pytest.fixture
def restricted_s3(tmp_path):
    """A bucket with a stale manifest, an admin, and a job user that may write manifests,
    staged files, profiles and state and delete anything, but not write the CSV under its
    final key."""
    server = AuthenticatingMotoServer(setup_requests=9).start()
    try:
        anonymous = dict(endpoint_url=server.endpoint, region_name="us-east-1",
                         aws_access_key_id="setup", aws_secret_access_key="setup")
        iam = boto3.client("iam", **anonymous)
        boto3.client("s3", **anonymous).create_bucket(Bucket=BUCKET)
        keys = {}
        for user, statements in {
            "admin": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            "job": [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject",
                                                   "s3:DeleteObject"],
                     "Resource": ["arn:aws:s3:::{}/*_manifest.json".format(BUCKET),
                                  "arn:aws:s3:::{}/*/_staging/*".format(BUCKET),
                                  "arn:aws:s3:::{}/*/_state/*".format(BUCKET),
                                  "arn:aws:s3:::{}/*/_profile.json".format(BUCKET),
                                  "arn:aws:s3:::{}/*/_drift.json".format(BUCKET),
                                  "arn:aws:s3:::{}/*/_report.html".format(BUCKET)]},
                    {"Effect": "Allow", "Action": "s3:DeleteObject",
                     "Resource": "arn:aws:s3:::{}/*".format(BUCKET)},
                    {"Effect": "Allow", "Action": "s3:ListBucket",  # the start-up check
                     "Resource": "arn:aws:s3:::{}".format(BUCKET)}],
        }.items():
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": statements}))
            keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
        admin = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                             aws_access_key_id=keys["admin"]["AccessKeyId"],
                             aws_secret_access_key=keys["admin"]["SecretAccessKey"])
        admin.put_object(Bucket=BUCKET, Key=PREFIX + "/_manifest.json", Body=b"{}")
        env = {"AWS_ENDPOINT_URL": server.endpoint, "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_ACCESS_KEY_ID": keys["job"]["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": keys["job"]["SecretAccessKey"]}
        yield admin, env
    finally:
        server.stop()


def test_a_refused_csv_copy_keeps_the_earlier_local_result_complete(restricted_s3, tmp_path):
    """An earlier complete result is on disk; the new run stages its CSV, withdraws the
    store's manifest, and is refused the CSV's final key: exit 1, the store has no manifest
    for the range (never one that disagrees with its CSV), the earlier local CSV and
    manifest are untouched and agree, and the error says so."""
    admin, env = restricted_s3
    earlier = run_job(RANGE_ARGS + ["--OUTPUT_DIR", str(tmp_path)])
    assert earlier.returncode == 0, earlier.stderr
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    result = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path),
                                   "--SIMULATION_SEED", "7"], env=env)
    assert result.returncode == 1
    error = result.summary["error"]
    assert error.startswith("copy of s3://{}/{}/_staging/".format(BUCKET, PREFIX)), error
    assert "to s3://{}/{} failed: AccessDenied".format(BUCKET, CSV_KEY) in error
    assert "S3 holds no complete result of the range until a run succeeds" in error
    assert "the earlier local result in {} is unchanged".format(tmp_path / PREFIX) in error
    stored = objects(admin)
    assert PREFIX + "/_manifest.json" not in stored  # withdrawn first
    assert not [key for key in stored if "_staging" in key]
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before
    manifest = json.loads((tmp_path / PREFIX / "_manifest.json").read_text())
    assert manifest["outputs"]["csv"]["sha256"] == sha256_of(str(tmp_path / CSV_KEY))


def test_wrong_credentials_exit_1(restricted_s3, tmp_path):
    _, env = restricted_s3
    env = dict(env, AWS_ACCESS_KEY_ID="AKIAWRONGWRONGWRONG0", AWS_SECRET_ACCESS_KEY="nope")
    result = run_job(RANGE_ARGS + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path)], env=env)
    assert result.returncode == 1
    # AWS refuses HeadBucket with an unknown key at the start-up check (403); moto's server
    # does not authenticate HeadBucket, so here the refusal comes at the first write.
    assert "InvalidAccessKeyId" in result.summary["error"]
    assert "nope" not in result.stdout


def test_a_copy_verifies_its_source_before_and_its_result_after(aws, tmp_path):
    from interfaces.errors import PublishError

    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    store = S3ObjectStore(client, BUCKET)
    path = tmp_path / "part.csv"
    path.write_text("a,b\n1,2\n")
    store.upload(str(path), "staging/part.csv", "text/csv", {}, sha256_of(str(path)))
    uri = store.copy("staging/part.csv", "final/part.csv", "text/csv", {"rows": "1"},
                     path.stat().st_size, sha256_of(str(path)))
    assert uri == "s3://{}/final/part.csv".format(BUCKET)
    head = client.head_object(Bucket=BUCKET, Key="final/part.csv")
    assert head["Metadata"] == {"rows": "1", "sha256": sha256_of(str(path))}
    assert head["ServerSideEncryption"] == "AES256"
    assert store.keys("final/") == ["final/part.csv"]
    # The same size, other bytes: what a late speculative attempt could leave behind.
    with pytest.raises(PublishError, match="staging/part.csv"):
        store.copy("staging/part.csv", "final/other.csv", "text/csv", {},
                   path.stat().st_size, "0" * 64)
    assert store.keys("final/") == ["final/part.csv"]
