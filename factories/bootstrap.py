"""Wires the layers for one run: the repository and, when S3_BUCKET is set, the object store."""

from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from config.settings import JobConfig
from factories.aws_clients import aws_client
from factories.repository_factory import build_repository
from factories.slice_sources import prepare_slice_source
from interfaces.abstractions import ObjectStore, SessionRepository


@dataclass
class Dependencies:
    repository: Optional[SessionRepository]  # None when slices read in worker processes
    store: Optional[ObjectStore]
    prepare_slices: Optional[Callable] = None  # services/reading.py, for WORKERS > 1


def build_object_store(config: JobConfig,
                       environ: Optional[Mapping[str, str]] = None) -> Optional[ObjectStore]:
    if not config.s3_bucket:
        return None
    from services.s3_upload_service import S3ObjectStore

    return S3ObjectStore(aws_client("s3", environ), config.s3_bucket, config.s3_sse,
                         config.s3_kms_key_id, checksum=config.s3_checksum)


def bootstrap(config: JobConfig) -> Dependencies:
    if config.workers > 1:
        return Dependencies(repository=None, store=build_object_store(config),
                            prepare_slices=prepare_slice_source(config))
    return Dependencies(repository=build_repository(config), store=build_object_store(config))
