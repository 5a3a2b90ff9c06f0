"""Wires the layers for one run: the repository and, when S3_BUCKET is set, the object store."""

from dataclasses import dataclass
from typing import Callable, Optional

from config.settings import JobConfig
from factories.repository_factory import build_repository
from factories.slice_sources import prepare_slice_source
from interfaces.abstractions import ObjectStore, SessionRepository


@dataclass
class Dependencies:
    repository: Optional[SessionRepository]  # None when slices read in worker processes
    store: Optional[ObjectStore]
    prepare_slices: Optional[Callable] = None  # services/reading.py, for WORKERS > 1


def build_object_store(config: JobConfig) -> Optional[ObjectStore]:
    if not config.s3_bucket:
        return None
    import boto3
    from botocore.config import Config

    from services.s3_upload_service import S3ObjectStore

    client = boto3.client("s3", config=Config(
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=10, read_timeout=60))
    return S3ObjectStore(client, config.s3_bucket, config.s3_sse, config.s3_kms_key_id)


def bootstrap(config: JobConfig) -> Dependencies:
    if config.workers > 1:
        return Dependencies(repository=None, store=build_object_store(config),
                            prepare_slices=prepare_slice_source(config))
    return Dependencies(repository=build_repository(config), store=build_object_store(config))
