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


def captured_put_headers(s3, status=200):
    """Answers every PutObject with `status`, without a network, and records its headers."""
    from botocore.awsrequest import AWSResponse

    seen = []

    class Raw:
        def stream(self, *args, **kwargs):
            yield b""

    def answer(request, **kwargs):
        seen.append({name: value.decode() if isinstance(value, bytes) else value
                     for name, value in request.headers.items()})
        body = b"" if status == 200 else (
            b"<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-"
            b"conditions you specified did not hold</Message></Error>")
        response = AWSResponse(request.url, status, {"ETag": '"e"'}, Raw())
        response._content = body
        return response

    s3.meta.events.register("before-send.s3.PutObject", answer)
    return seen


@pytest.mark.parametrize("expected, header, value", [
    (None, "If-None-Match", "*"), ('"abc"', "If-Match", '"abc"')])
def test_a_day_is_written_with_the_condition_on_any_botocore(tmp_path, monkeypatch, expected,
                                                             header, value):
    """Glue's botocore 1.24 names neither IfMatch nor IfNoneMatch: the header is added to the
    request all the same, and a 412 is one line saying another writer was first."""
    from repositories import s3_object_store

    path = tmp_path / "f.csv"
    path.write_bytes(b"a\n")
    digest = sha256_of(str(path))
    real = s3_object_store._has_member
    for names_them in (True, False):  # as this botocore does; as one that predates them
        monkeypatch.setattr(s3_object_store, "_has_member",
                            lambda client, operation, member, names=names_them:
                            names and real(client, operation, member))
        s3 = client()
        seen = captured_put_headers(s3, status=412)
        store = S3ObjectStore(s3, "bucket-x", checksum="none")
        with pytest.raises(PublishError, match="changed by another writer since this run read"):
            store.replace(str(path), "d/dt=2024-12-01/part-00000.csv", "text/csv", {}, digest,
                          expected)
        assert len(seen) == 1 and seen[0][header] == value
