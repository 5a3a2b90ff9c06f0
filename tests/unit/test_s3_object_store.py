"""The S3 store's calls against botocore's Stubber: runs on Glue's boto3 1.21 under
Python 3.9 too, where checksums on upload may not exist yet."""

import boto3
import pytest
from botocore.stub import ANY, Stubber

from interfaces.errors import PublishError
from repositories.s3_object_store import S3ObjectStore
from utils.files import sha256_of


def client():
    return boto3.client("s3", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def test_upload_sends_encryption_type_and_metadata_then_verifies(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n")
    digest = sha256_of(str(path))
    s3 = client()
    store = S3ObjectStore(s3, "bucket-x", sse="aws:kms", kms_key_id="key-1")
    with Stubber(s3) as stub:
        stub.add_response("put_object", {"ETag": '"e"'}, {
            "Bucket": "bucket-x", "Key": "p/f.csv", "Body": ANY, "ContentType": "text/csv",
            "Metadata": {"rows": "1", "sha256": digest}, "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": "key-1", **({"ChecksumAlgorithm": "SHA256"}
                                       if store.checksum_on_upload else {})})
        stub.add_response("head_object", {"ContentLength": 8, "ETag": '"e"',
                                          "Metadata": {"rows": "1", "sha256": digest}}, None)
        assert store.upload(str(path), "p/f.csv", "text/csv", {"rows": "1"}, digest) == \
            "s3://bucket-x/p/f.csv"
        stub.assert_no_pending_responses()


def test_a_size_mismatch_after_upload_is_a_publish_error(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"abc")
    s3 = client()
    store = S3ObjectStore(s3, "bucket-x", sse="none")
    with Stubber(s3) as stub:
        stub.add_response("put_object", {"ETag": '"e"'}, None)
        stub.add_response("head_object", {"ContentLength": 2, "ETag": '"e"',
                                          "Metadata": {"sha256": sha256_of(str(path))}}, None)
        with pytest.raises(PublishError, match="size 2 != local 3"):
            store.upload(str(path), "k", "text/csv", {}, sha256_of(str(path)))


def test_a_refused_delete_names_the_object():
    s3 = client()
    with Stubber(s3) as stub:
        stub.add_client_error("delete_object", "AccessDenied", "Access Denied", 403)
        with pytest.raises(PublishError, match=r"cannot remove s3://bucket-x/k: AccessDenied"):
            S3ObjectStore(s3, "bucket-x").delete("k")
