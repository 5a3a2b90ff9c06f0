"""A run's outputs as one unit of work: opened, written, then published (committed) or
discarded, in one place.

    with RunOutputs(config) as outputs:
        ... read into files the outputs hold, decide, publish ...
        outputs.commit()

Any exit from the block that did not commit (a failure, a rejected decision, SIGTERM)
discards every temporary file the run holds; the clean-ups registered with `on_exit` run
however the block ends.
"""

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Protocol

from config.settings import JobConfig
from interfaces.ports import ObjectStore
from utils.files import file_size, remove_if_present, sha256_of

logger = logging.getLogger(__name__)

# Names that start with `_` are metadata: Athena, Hive, Spark and pyarrow skip them, so the
# folder read as a table holds only rows.
MANIFEST_NAME = "_manifest.json"
REJECTS_NAME = "_rejects.jsonl"
# The rejects of a run that failed MAX_REJECT_RATIO: kept beside the earlier outputs.
FAILED_REJECTS_NAME = "_rejects.failed.jsonl"
# What contract 1.1 called them: withdrawn when a run publishes, read for an earlier result.
LEGACY_MANIFEST_NAME = "manifest.json"
LEGACY_NAMES = (LEGACY_MANIFEST_NAME, "rejects.jsonl", "rejects.failed.jsonl")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"
DATA_CONTENT_TYPES = {"csv": CSV_CONTENT_TYPE, "parquet": PARQUET_CONTENT_TYPE}
JSONL_CONTENT_TYPE = "application/x-ndjson"
JSON_CONTENT_TYPE = "application/json"
# Where a run's new files wait in the store before the switch; Athena, Hive and Spark skip
# folders whose names start with an underscore.
STAGING_FOLDER = "_staging"


@dataclass
class PublishedFile:
    """One output file, for every engine: its key under the bucket and OUTPUT_DIR, its
    local path ("" for a Spark part, which exists in S3 only), its rows where counted,
    its size and SHA-256, and its S3 URI once uploaded."""

    key: str
    content_type: str
    path: str = ""
    rows: Optional[int] = None
    size: int = 0
    sha256: str = ""
    s3_uri: Optional[str] = None

    def measure(self, path: Optional[str]) -> None:
        """Size and SHA-256 of the complete file at `path` (its temporary name)."""
        if path is not None:
            self.size = file_size(path) or 0
            self.sha256 = sha256_of(path)

    def describe(self) -> Dict[str, object]:
        described: Dict[str, object] = {}
        if self.path:
            described["path"] = self.path
        described["key"] = self.key
        if self.rows is not None:
            described["rows"] = self.rows
        described.update(size=self.size, sha256=self.sha256, s3_uri=self.s3_uri)
        return described


def upload_metadata(config: JobConfig, rows: Optional[int] = None) -> Dict[str, str]:
    """The S3 object metadata of a published file."""
    metadata = {} if rows is None else {"rows": str(rows)}
    metadata.update({"start-date": str(config.start_date), "end-date": str(config.end_date),
                     "job-run-id": config.job_run_id})
    return metadata


class Discardable(Protocol):
    """What the outputs hold until commit: a file under a temporary name (CsvWriter,
    RejectLog)."""

    def discard(self) -> None: ...


class RunOutputs:
    """The rows (CSV or Parquet), rejects and manifest of one run's range, and the
    temporary files written for them."""

    def __init__(self, config: JobConfig):
        self.key_prefix = config.output_key_prefix
        self.folder = os.path.join(config.output_dir, *config.output_key_prefix.split("/"))
        self.data = self._file(config, config.data_name,
                               DATA_CONTENT_TYPES[config.output_format])
        # The file of the other format from an earlier run of the range: withdrawn on publish,
        # or a reader of the folder would find two results.
        self.other_formats = [
            self._file(config, config.data_name.rsplit(".", 1)[0] + "." + name, content_type)
            for name, content_type in DATA_CONTENT_TYPES.items()
            if name != config.output_format]
        self.rejects = self._file(config, REJECTS_NAME, JSONL_CONTENT_TYPE)
        self.manifest = self._file(config, MANIFEST_NAME, JSON_CONTENT_TYPE)
        self.legacy = [self._file(config, name, JSON_CONTENT_TYPE) for name in LEGACY_NAMES]
        self.legacy_manifest = self.legacy[LEGACY_NAMES.index(LEGACY_MANIFEST_NAME)]
        self.staging_prefix = staging_prefix_of(config)
        self._held: List[Discardable] = []
        self._on_exit: List[Callable[[], None]] = []
        self._committed = False

    def _file(self, config: JobConfig, name: str, content_type: str) -> PublishedFile:
        return PublishedFile(key="{}/{}".format(config.output_key_prefix, name),
                             content_type=content_type, path=os.path.join(self.folder, name))

    def files(self) -> List[PublishedFile]:
        return [self.data, self.rejects, self.manifest]

    def earlier_manifests(self) -> List[PublishedFile]:
        """Where an earlier result's manifest may be: today's name, then contract 1.1's."""
        return [self.manifest, self.legacy_manifest]

    def withdraw_local(self) -> None:
        """The earlier manifest and contract 1.1's metadata files go before new files take
        the places they name."""
        for output in [self.manifest, *self.legacy, *self.other_formats]:
            remove_if_present(output.path)

    def withdraw_remote(self, store: ObjectStore) -> None:
        for output in [self.manifest, *self.legacy, *self.other_formats]:
            store.delete(output.key)

    def switch_local_rejects(self, rejects) -> None:
        """The run's rejects (a RejectLog) under their final name; when nothing was
        rejected, no rejects file, since an earlier run's would now mislead; and no failed
        run's rejects either."""
        if rejects.commit() is None:
            remove_if_present(self.rejects.path)
        remove_if_present(os.path.join(self.folder, FAILED_REJECTS_NAME))

    def staged_key(self, output: PublishedFile) -> str:
        """Where `output` waits in the store until the switch."""
        return "{}/{}".format(self.staging_prefix, output.key.rsplit("/", 1)[-1])

    def remove_staging(self, store: ObjectStore) -> None:
        """However the run ends. A leftover (the store failing now) is harmless: readers
        skip the folder, and the next run of the same JOB_RUN_ID overwrites it."""
        try:
            for key in store.keys(self.staging_prefix + "/"):
                store.delete(key)
        except Exception as error:  # noqa: BLE001 - a clean-up must not hide the run's outcome
            logger.warning("staging_not_removed prefix=%s error=%s",
                           store.uri(self.staging_prefix), error)

    def hold(self, *temporary: Optional[Discardable]) -> None:
        """Temporary files of this run, discarded unless the run commits."""
        self._held.extend(item for item in temporary if item is not None)

    def on_exit(self, clean_up: Callable[[], None]) -> None:
        """Something to remove however the run ends (a Spark run's staging)."""
        self._on_exit.append(clean_up)

    def commit(self) -> None:
        self._committed = True

    def __enter__(self) -> "RunOutputs":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if not self._committed:
                for item in self._held:
                    item.discard()
        finally:
            for clean_up in reversed(self._on_exit):
                clean_up()


def staging_prefix_of(config: JobConfig) -> str:
    """This run's staging folder: its run id made key-safe, with a digest so that two ids
    that differ only in unsafe characters never share it."""
    safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", config.job_run_id)[:80]
    digest = hashlib.sha256(config.job_run_id.encode()).hexdigest()[:8]
    return "{}/{}/{}-{}".format(config.output_key_prefix, STAGING_FOLDER, safe, digest)
