"""The publish path against two S3 implementations over HTTP: moto's server, and S3Proxy
(filesystem backend), which like several on-premises stores implements no additional
checksums and no server-side encryption. With S3_SSE=none and S3_CHECKSUM=md5 the job
publishes there as it does to S3: every file verified, the manifest last, a stale one
withdrawn, large files in parts."""

import hashlib
import json
import os
import uuid

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

from factories.aws_clients import aws_client_config
from interfaces.errors import PublishError
from repositories.s3_object_store import S3ObjectStore, etag_of
from tests.support.cli import run_job
from tests.support.servers import S3Proxy
from utils.files import sha256_of

pytestmark = pytest.mark.integration

PREFIX = "training_data/2024-12-01_to_2024-12-31"
CSV_KEY = PREFIX + "/conversations_2024-12-01_to_2024-12-31.csv"
RANGE_ARGS = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
              "--REPOSITORY_TYPE", "simulated", "--SIMULATED_SESSIONS", "80"]
COMPATIBLE = ["--S3_SSE", "none", "--S3_CHECKSUM", "md5"]


class Store:
    def __init__(self, name, env, options):
        self.name, self.env, self.options = name, env, options
        self.bucket = "bucket-" + uuid.uuid4().hex[:10]
        self.client = boto3.client(
            "s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], config=aws_client_config())
        self.client.create_bucket(Bucket=self.bucket)

    def objects(self):
        """Every object; S3Proxy's filesystem backend also lists its folders (`a/b/`)."""
        listed = self.client.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {item["Key"]: self.client.get_object(Bucket=self.bucket, Key=item["Key"])[
            "Body"].read() for item in listed if not item["Key"].endswith("/")}

    def run(self, tmp_path, *extra):
        return run_job(RANGE_ARGS + self.options + ["--S3_BUCKET", self.bucket,
                                                    "--OUTPUT_DIR", str(tmp_path), *extra],
                       env=self.env)


def s3proxy_env(server):
    return {"AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": S3Proxy.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": S3Proxy.SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(params=["moto", "moto-md5", "s3proxy-md5"])
def store(request, aws):
    if request.param == "moto":
        return Store("moto", aws, [])
    if request.param == "moto-md5":
        return Store("moto", aws, COMPATIBLE)
    return Store("s3proxy", s3proxy_env(request.getfixturevalue("s3proxy_server")), COMPATIBLE)


def test_the_job_publishes_verified_files_and_the_manifest_last(store, tmp_path):
    store.client.put_object(Bucket=store.bucket, Key=PREFIX + "/_rejects.jsonl", Body=b"{}\n")
    result = store.run(tmp_path, "--JOB_RUN_ID", "jr_1")
    assert result.returncode == 0, result.stderr[-2000:]
    stored = store.objects()
    assert sorted(stored) == [PREFIX + "/" + name for name in (
        "_drift.json", "_manifest.json", "_profile.json", "_report.html")] + [CSV_KEY] + [
        "training_data/_state/last_profile.json",
        "training_data/_state/reference_profile.json"]  # stale rejects withdrawn
    for key, body in stored.items():
        if "_state" not in key:  # the state is kept in the store only
            assert body == (tmp_path / key).read_bytes()
    head = store.client.head_object(Bucket=store.bucket, Key=CSV_KEY)
    assert head["Metadata"]["sha256"] == hashlib.sha256(stored[CSV_KEY]).hexdigest()
    if "md5" in store.options:
        assert head["ETag"].strip('"') == hashlib.md5(stored[CSV_KEY]).hexdigest()
    manifest = json.loads(stored[PREFIX + "/_manifest.json"])
    assert manifest["outputs"]["csv"]["sha256"] == head["Metadata"]["sha256"]
    assert manifest["rows_written"] == 80

    again = store.run(tmp_path / "again", "--JOB_RUN_ID", "jr_2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert store.objects()[CSV_KEY] == stored[CSV_KEY]
    assert json.loads(store.objects()[PREFIX + "/_manifest.json"])["job_run_id"] == "jr_2"


def test_large_files_go_in_parts_and_are_verified(store, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(os.urandom(11 * 1024 * 1024))
    mb5 = 5 * 1024 * 1024
    transfer = TransferConfig(multipart_threshold=mb5, multipart_chunksize=mb5)
    checksum = "md5" if "md5" in store.options else "sha256"
    sse = "none" if "none" in store.options else "AES256"
    s3 = S3ObjectStore(store.client, store.bucket, sse=sse, transfer_config=transfer,
                       checksum=checksum)
    s3.upload(str(path), "big/big.csv", "text/csv", {"rows": "1"}, sha256_of(str(path)))
    head = store.client.head_object(Bucket=store.bucket, Key="big/big.csv")
    assert head["ContentLength"] == 11 * 1024 * 1024
    assert head["ETag"].strip('"').endswith("-3")
    if checksum == "md5":
        assert head["ETag"].strip('"') == etag_of(str(path), transfer)


def test_a_copy_is_verified_on_both_sides(store, tmp_path):
    """The Spark engine's publish step: staged parts copied to their final keys."""
    checksum = "md5" if "md5" in store.options else "sha256"
    sse = "none" if "none" in store.options else "AES256"
    s3 = S3ObjectStore(store.client, store.bucket, sse=sse, checksum=checksum)
    path = tmp_path / "part.csv"
    path.write_text("a,b\n1,2\n")
    digest = sha256_of(str(path))
    s3.upload(str(path), "staging/part.csv", "text/csv", {}, digest)
    s3.copy("staging/part.csv", "final/part.csv", "text/csv", {"rows": "1"},
            path.stat().st_size, digest)
    assert store.objects()["final/part.csv"] == path.read_bytes()
    with pytest.raises(PublishError, match="staging/part.csv"):
        s3.copy("staging/part.csv", "final/other.csv", "text/csv", {}, path.stat().st_size,
                "0" * 64)


def test_a_store_without_additional_checksums_is_named_in_one_line(s3proxy_server, tmp_path):
    store = Store("s3proxy", s3proxy_env(s3proxy_server), [])
    result = store.run(tmp_path)
    assert result.returncode == 1
    error = result.summary["error"]
    assert "\n" not in error and "S3_SSE=none" in error and "S3_CHECKSUM=md5" in error
    assert PREFIX + "/_manifest.json" not in store.objects()


def test_a_corrupted_upload_is_caught_by_its_etag(aws, tmp_path):
    """What md5 verification adds: an object whose bytes differ from the file's, with the
    same size and metadata, fails the check."""
    store = Store("moto", aws, COMPATIBLE)
    s3 = S3ObjectStore(store.client, store.bucket, sse="none", checksum="md5")
    path = tmp_path / "rows.csv"
    path.write_bytes(b"a,b\n1,2\n")
    head = {"ContentLength": 8, "Metadata": {"sha256": sha256_of(str(path))},
            "ETag": '"{}"'.format(hashlib.md5(b"a,b\n1,3\n").hexdigest())}
    with pytest.raises(PublishError, match="ETag"):
        s3._verify(head, str(path), "rows.csv", sha256_of(str(path)))


def test_a_day_is_replaced_only_if_no_other_writer_changed_it(store, tmp_path):
    """The partitioned layout's one write per day: If-None-Match: * for a new object,
    If-Match with the ETag read for an existing one. moto honours both (412 Precondition
    Failed). S3Proxy's filesystem backend ignores both and writes: on such a store only
    the job's own guards remain (docs/deploy.md), which this test records."""
    checksum = "md5" if "md5" in store.options else "sha256"
    sse = "none" if "none" in store.options else "AES256"
    s3 = S3ObjectStore(store.client, store.bucket, sse=sse, checksum=checksum)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(b"session_id\nfirst\n")
    second.write_bytes(b"session_id\nsecond\n")
    key = "daily/dt=2024-12-01/part-00000.csv"
    s3.replace(str(first), key, "text/csv", {}, sha256_of(str(first)), None)
    content, version = s3.fetch_versioned(key)
    assert content == first.read_bytes()
    if store.name == "moto":
        with pytest.raises(PublishError, match="changed by another writer"):
            s3.replace(str(second), key, "text/csv", {}, sha256_of(str(second)), None)
        with pytest.raises(PublishError, match="changed by another writer"):
            s3.replace(str(second), key, "text/csv", {}, sha256_of(str(second)), '"stale"')
        assert s3.fetch_versioned(key)[0] == first.read_bytes()
    else:
        s3.replace(str(second), key, "text/csv", {}, sha256_of(str(second)), '"stale"')
        assert s3.fetch_versioned(key)[0] == second.read_bytes()  # the condition ignored
        version = s3.fetch_versioned(key)[1]
    s3.replace(str(first), key, "text/csv", {}, sha256_of(str(first)), version)
    assert s3.fetch_versioned(key)[0] == first.read_bytes()
    assert s3.unconditional_writes == 0
