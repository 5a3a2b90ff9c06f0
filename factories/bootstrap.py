"""Wires the layers for one run: the engine with its source, and, when S3_BUCKET is set,
the object store. Nothing else in the job constructs a client."""

import functools
from typing import Mapping, Optional, Tuple

from config.errors import ConfigError
from config.settings import JobConfig
from factories.aws_clients import QUICK, aws_client
from factories.configuration import for_spark, source_of
from factories.slice_sources import SliceSource, prepare_slice_source
from interfaces.ports import ObjectStore
from services.engine import Engine


def build_object_store(config: JobConfig,
                       environ: Optional[Mapping[str, str]] = None) -> Optional[ObjectStore]:
    if not config.s3_bucket:
        return None
    from repositories.s3_object_store import S3ObjectStore

    return S3ObjectStore(aws_client("s3", environ), config.s3_bucket, config.s3_sse,
                         config.s3_kms_key_id, checksum=config.s3_checksum,
                         check_client=aws_client("s3", environ, QUICK))


def python_shell_engine(config: JobConfig) -> Tuple[Engine, Optional[ObjectStore]]:
    """One process; with WORKERS > 1, worker processes that build their own sources."""
    from services.engine_one_pass import OnePass
    from services.engine_workers import Workers

    store = build_object_store(config)
    if config.workers > 1:
        return Workers(prepare_slice_source(config)), store
    return OnePass(source_of(config).build(config)), store


def spark_engine(config: JobConfig, session=None,
                 task=None) -> Tuple[Engine, Optional[ObjectStore]]:
    """AWS Glue for Spark: the slices run as Spark tasks, their parts published to S3.
    `session` and `task` (what a Spark task runs) are for tests."""
    for_spark(config)
    if not config.s3_bucket:
        raise ConfigError("S3_BUCKET", "a bucket: on Spark every task writes its part to S3",
                          "none set")
    from pyspark.sql import SparkSession

    from services.engine_spark import Spark, stage_slice

    session = session or SparkSession.builder.appName(config.job_name).getOrCreate()
    engine = Spark(session.sparkContext, SliceSource(config),
                   functools.partial(task_store, config), task=task or stage_slice)
    return engine, task_store(config)


def task_store(config: JobConfig) -> ObjectStore:
    """The store a Spark task writes its part to (S3_BUCKET is required there)."""
    store = build_object_store(config)
    if store is None:
        raise ConfigError("S3_BUCKET", "a bucket: on Spark every task writes its part to S3",
                          "none set")
    return store
