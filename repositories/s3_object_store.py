"""Publishing finished files to S3 with boto3's managed transfer, verified after upload."""

import base64
import hashlib
import logging
from typing import Dict, List, Mapping, Optional, Tuple

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import S3Transfer, TransferConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from interfaces.errors import PublishError
from interfaces.ports import ObjectStore
from utils.files import file_size
from utils.secrets import one_line

logger = logging.getLogger(__name__)

MULTIPART_THRESHOLD = 64 * 1024 * 1024
MULTIPART_CHUNK = 16 * 1024 * 1024


class S3ObjectStore(ObjectStore):
    """One bucket. Server-side encryption per S3_SSE; each upload checked with head_object:
    the size, our SHA-256 in the metadata, and per S3_CHECKSUM the store's own SHA-256
    (`sha256`) or the MD5 its ETag carries (`md5`, sent as Content-MD5 too)."""

    def __init__(self, client, bucket: str, sse: str = "AES256", kms_key_id: Optional[str] = None,
                 transfer_config: Optional[TransferConfig] = None, checksum: str = "sha256",
                 check_client=None):
        self.client = client
        # The start-up check may use a client that gives up sooner than the uploads'.
        self.check_client = check_client or client
        self.bucket = bucket
        self.sse = sse
        self.kms_key_id = kms_key_id
        self.checksum = checksum
        self.transfer_config = transfer_config or TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_CHUNK,
            max_concurrency=4)
        # Checksums on upload arrived in 2022; Glue's bundled boto3 1.21 may predate them.
        self.checksum_on_upload = (checksum == "sha256"
                                   and "ChecksumAlgorithm" in S3Transfer.ALLOWED_UPLOAD_ARGS)
        self._checksum_on_head = (checksum == "sha256"
                                  and _has_member(client, "HeadObject", "ChecksumMode"))
        if checksum == "md5":
            for operation in ("PutObject", "UploadPart"):
                client.meta.events.register("before-call.s3." + operation, _add_content_md5)
        self._extra_headers: Dict[str, str] = {}
        self.unconditional_writes = 0
        client.meta.events.register("before-call.s3.PutObject", self._add_extra_headers)

    def _add_extra_headers(self, params, **kwargs) -> None:
        """Conditional-write headers a botocore too old to name them cannot send."""
        if self._extra_headers:
            params.setdefault("headers", {}).update(self._extra_headers)

    def uri(self, key: str) -> str:
        return "s3://{}/{}".format(self.bucket, key)

    def check(self) -> None:
        """One HeadBucket call: credentials exist and are accepted, the bucket exists and
        answers. Whether each PutObject will be allowed is known only when it is tried."""
        try:
            self.check_client.head_bucket(Bucket=self.bucket)
        except NoCredentialsError:
            raise PublishError("no AWS credentials found for s3://{} (environment, shared "
                               "config or the job's IAM role); nothing was read".format(
                                   self.bucket)) from None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            meaning = {"404": "does not exist", "NoSuchBucket": "does not exist",
                       "403": "refuses these credentials (403)"}.get(code, _reason(exc))
            raise PublishError("bucket s3://{} {}; nothing was read".format(
                self.bucket, meaning)) from None
        except BotoCoreError as exc:
            raise PublishError("bucket s3://{} not reachable: {}; nothing was read".format(
                self.bucket, _reason(exc))) from None

    def fetch(self, key: str) -> Optional[bytes]:
        found = self.fetch_versioned(key)
        return found[0] if found is not None else None

    def fetch_versioned(self, key: str) -> Optional[Tuple[bytes, str]]:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read(), answer["ETag"]
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("NoSuchKey", "404"):
                return None
            raise PublishError("cannot read {}: {}".format(self.uri(key), _reason(exc))) from None
        except BotoCoreError as exc:
            raise PublishError("cannot read {}: {}".format(self.uri(key), _reason(exc))) from None

    def replace(self, path: str, key: str, content_type: str, metadata: Mapping[str, str],
                sha256: str, expected_version: Optional[str]) -> str:
        """One PutObject with If-Match (the ETag read) or If-None-Match: * (no object
        was there). S3 has honoured both since 2024; a botocore too old to name them gets
        the headers added to the request. A store that answers 501 to them cannot write
        conditionally: the write is repeated without them, and `unconditional_writes`
        counts it (the run's warnings say so)."""
        condition = ({"If-Match": expected_version} if expected_version is not None
                     else {"If-None-Match": "*"})
        try:
            try:
                self._put(path, key, content_type, metadata, sha256, condition)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) != "NotImplemented":
                    raise
                self.unconditional_writes += 1
                logger.warning("conditional_write_unsupported uri=%s: the store refused "
                               "If-Match/If-None-Match; written without", self.uri(key))
                self._put(path, key, content_type, metadata, sha256, {})
            head_arguments = {"Bucket": self.bucket, "Key": key}
            if self._checksum_on_head:
                head_arguments["ChecksumMode"] = "ENABLED"
            head = self.client.head_object(**head_arguments)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                raise PublishError(
                    "{} was changed by another writer since this run read it ({}); nothing "
                    "of it was overwritten: run again".format(self.uri(key), code)) from None
            raise PublishError("upload of {} failed: {}".format(
                self.uri(key), _reason(exc))) from None
        except BotoCoreError as exc:
            raise PublishError("upload of {} failed: {}".format(
                self.uri(key), _reason(exc))) from None
        self._verify(head, path, key, sha256)
        logger.info("replaced uri=%s bytes=%s", self.uri(key), head.get("ContentLength"))
        return self.uri(key)

    def _put(self, path: str, key: str, content_type: str, metadata: Mapping[str, str],
             sha256: str, condition: Mapping[str, str]) -> None:
        arguments = dict(self._put_arguments(content_type, metadata, sha256),
                         Bucket=self.bucket, Key=key)
        if self.checksum_on_upload:
            arguments["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(sha256)).decode()
        named = {"If-Match": "IfMatch", "If-None-Match": "IfNoneMatch"}
        headers = {}
        for header, value in condition.items():
            if _has_member(self.client, "PutObject", named[header]):
                arguments[named[header]] = value
            else:
                headers[header] = value
        self._extra_headers = headers
        try:
            with open(path, "rb") as body:
                self.client.put_object(Body=body, **arguments)
        finally:
            self._extra_headers = {}

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise PublishError("cannot remove {}: {}".format(self.uri(key), _reason(exc))) from None

    def upload(self, path: str, key: str, content_type: str, metadata: Mapping[str, str],
               sha256: str) -> str:
        extra = self._put_arguments(content_type, metadata, sha256)
        if self.checksum_on_upload:
            extra["ChecksumAlgorithm"] = "SHA256"
        try:
            self.client.upload_file(path, self.bucket, key, ExtraArgs=extra,
                                    Config=self.transfer_config)
            head_arguments = {"Bucket": self.bucket, "Key": key}
            if self._checksum_on_head:
                head_arguments["ChecksumMode"] = "ENABLED"
            head = self.client.head_object(**head_arguments)
        except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
            raise PublishError("upload of {} failed: {}".format(
                self.uri(key), _reason(exc))) from None
        self._verify(head, path, key, sha256)
        logger.info("uploaded uri=%s bytes=%s", self.uri(key), head.get("ContentLength"))
        return self.uri(key)

    def keys(self, prefix: str) -> List[str]:
        found: List[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=prefix):
                found.extend(item["Key"] for item in page.get("Contents", ()))
        except (BotoCoreError, ClientError) as exc:
            raise PublishError("cannot list {}: {}".format(self.uri(prefix), _reason(exc))) \
                from None
        return sorted(found)

    def copy(self, source_key: str, key: str, content_type: str, metadata: Mapping[str, str],
             size: int, sha256: str) -> str:
        """A managed copy: one CopyObject, or a multipart copy beyond 5 GB. The source is
        checked first against the size and SHA-256 its writer reported (its upload stored
        the SHA-256 of what it sent), so a source overwritten since is never published."""
        try:
            self._check(self.client.head_object(Bucket=self.bucket, Key=source_key),
                        source_key, size, sha256)
            self.client.copy({"Bucket": self.bucket, "Key": source_key}, self.bucket, key,
                             ExtraArgs=dict(self._put_arguments(content_type, metadata, sha256),
                                            MetadataDirective="REPLACE"),
                             Config=self.transfer_config)
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise PublishError("copy of {} to {} failed: {}".format(
                self.uri(source_key), self.uri(key), _reason(exc))) from None
        self._check(head, key, size, sha256)
        return self.uri(key)

    def _put_arguments(self, content_type: str, metadata: Mapping[str, str],
                       sha256: str) -> Dict[str, object]:
        extra: Dict[str, object] = {"ContentType": content_type,
                                    "Metadata": dict(metadata, sha256=sha256)}
        if self.sse != "none":
            extra["ServerSideEncryption"] = self.sse
            if self.sse == "aws:kms" and self.kms_key_id:
                extra["SSEKMSKeyId"] = self.kms_key_id
        return extra

    def _verify(self, head: dict, path: str, key: str, sha256: str) -> None:
        self._check(head, key, file_size(path), sha256)
        if self.checksum == "md5" and self.sse != "aws:kms":  # under KMS the ETag is no MD5
            expected = etag_of(path, self.transfer_config)
            if head.get("ETag", "").strip('"') != expected:
                raise PublishError("verification of {} failed: ETag {} != the local file's "
                                   "MD5 {}".format(self.uri(key), head.get("ETag"), expected))

    def _check(self, head: dict, key: str, size: Optional[int], sha256: str) -> None:
        problems = []
        if head.get("ContentLength") != size:
            problems.append("size {} != local {}".format(head.get("ContentLength"), size))
        if head.get("Metadata", {}).get("sha256") != sha256:
            problems.append("sha256 metadata missing or different")
        s3_checksum = head.get("ChecksumSHA256")
        single_part = "-" not in head.get("ETag", "")  # multipart checksums are composites
        if s3_checksum and single_part:
            if s3_checksum.split("-")[0] != base64.b64encode(bytes.fromhex(sha256)).decode():
                problems.append("S3 SHA-256 differs from the local file's")
        if problems:
            raise PublishError("verification of {} failed: {}".format(
                self.uri(key), "; ".join(problems)))


def etag_of(path: str, transfer_config: TransferConfig) -> str:
    """The ETag S3 gives the file uploaded with this transfer configuration: its MD5, or
    for a multipart upload the MD5 of its parts' MD5s and the number of parts."""
    size = file_size(path) or 0
    chunk = transfer_config.multipart_chunksize
    with open(path, "rb") as handle:
        if size < transfer_config.multipart_threshold:
            digest = _md5(b"")
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
            return digest.hexdigest()
        parts = []
        for block in iter(lambda: handle.read(chunk), b""):
            parts.append(_md5(block).digest())
    return "{}-{}".format(_md5(b"".join(parts)).hexdigest(), len(parts))


def _add_content_md5(params, **kwargs) -> None:
    """Sends Content-MD5 with a PutObject or UploadPart body, which the store checks: what
    botocore did by default before 1.36 and S3-compatible stores rely on."""
    headers = params.setdefault("headers", {})
    body = params.get("body")
    if "Content-MD5" in headers or body is None:
        return
    if isinstance(body, (bytes, bytearray)):
        digest = _md5(bytes(body)).digest()
    elif hasattr(body, "read") and hasattr(body, "seek") and hasattr(body, "tell"):
        start = body.tell()
        running = _md5(b"")
        for block in iter(lambda: body.read(1 << 20), b""):
            running.update(block)
        body.seek(start)
        digest = running.digest()
    else:
        return
    headers["Content-MD5"] = base64.b64encode(digest).decode()


def _md5(data: bytes):
    try:
        return hashlib.md5(data, usedforsecurity=False)
    except TypeError:  # an interpreter without the flag
        return hashlib.md5(data)


def _has_member(client, operation: str, member: str) -> bool:
    try:
        shape = client.meta.service_model.operation_model(operation).input_shape
    except Exception:  # an unknown operation in an old botocore
        return False
    return member in shape.members


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        reason = "{} ({})".format(error.get("Code", "ClientError"),
                                  error.get("Message", "")).strip()
        if error.get("Code") == "NotImplemented":
            reason += (": the store lacks server-side encryption or additional checksums; for "
                       "an S3-compatible store set S3_SSE=none and S3_CHECKSUM=md5")
        return reason
    cause = getattr(exc, "__cause__", None) or getattr(exc, "__context__", None)
    if isinstance(exc, S3UploadFailedError) and isinstance(cause, ClientError):
        return _reason(cause)
    return "{}: {}".format(type(exc).__name__, one_line(str(exc)))
