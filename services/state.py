"""Where a dataset's objects and state live, read with a version and replaced only if still
at that version: the bucket when S3_BUCKET is set, else OUTPUT_DIR. The partitioned layout's
days and watermark, and every layout's profiles under `{S3_PREFIX}/_state/`."""

import hashlib
import json
import os
import shutil
import tempfile
from typing import Dict, Optional, Tuple

from config.settings import STATE_FOLDER, JobConfig
from interfaces.errors import OutputError
from interfaces.ports import ObjectStore
from utils.claims import claim
from utils.files import sha256_of

JSON_CONTENT_TYPE = "application/json"


class DatasetPlace:
    """Where the dataset's objects are: the bucket when S3_BUCKET is set, else OUTPUT_DIR.
    Objects are read with a version and replaced only if still at that version."""

    def __init__(self, output_dir: str, store: Optional[ObjectStore]):
        self.output_dir = output_dir
        self.store = store

    def path(self, key: str) -> str:
        return os.path.join(self.output_dir, *key.split("/"))

    def where(self, key: str) -> str:
        return self.store.uri(key) if self.store is not None else self.path(key)

    def read(self, key: str) -> Optional[Tuple[bytes, str]]:
        if self.store is not None:
            return self.store.fetch_versioned(key)
        try:
            with open(self.path(key), "rb") as handle:
                content = handle.read()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise OutputError("cannot read {}: {}".format(self.path(key),
                                                         error.strerror or error)) from None
        return content, hashlib.sha256(content).hexdigest()

    def write(self, path: str, key: str, content_type: str, metadata: Dict[str, str],
              sha256: str, expected_version: Optional[str]) -> str:
        if self.store is not None:
            return self.store.replace(path, key, content_type, metadata, sha256,
                                      expected_version)
        current = self.read(key)
        if (current[1] if current is not None else None) != expected_version:
            raise OutputError("{} was changed by another writer since this run read it; "
                              "nothing of it was overwritten: run again".format(self.path(key)))
        target = self.path(key)
        folder, name = os.path.split(target)
        # `_` first: a reader of the folder skips it, whatever happens to this run
        temporary = os.path.join(folder, "_{}.{}.tmp".format(name, claim()))
        try:
            os.makedirs(folder, exist_ok=True)
            shutil.copyfile(path, temporary)
            os.replace(temporary, target)
        except OSError as error:
            raise OutputError("cannot write {}: {}".format(target, error.strerror or error)) \
                from None
        return target


def state_key(config: JobConfig, name: str) -> str:
    return "/".join(part for part in (config.s3_prefix, STATE_FOLDER, name) if part)


def read_json(place: DatasetPlace, key: str) -> Optional[Tuple[dict, str]]:
    """A JSON object the job keeps, with its version; None when absent. A file that is not
    a JSON object is an OutputError naming it."""
    found = place.read(key)
    if found is None:
        return None
    try:
        content = json.loads(found[0])
    except ValueError:
        content = None
    if not isinstance(content, dict):
        raise OutputError("{} is not a JSON object this job wrote: fix or remove it".format(
            place.where(key)))
    return content, found[1]


def write_json(place: DatasetPlace, key: str, content: dict, expected_version: Optional[str],
               metadata: Optional[Dict[str, str]] = None) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8")
    try:
        with handle:
            handle.write(json.dumps(content, indent=2, allow_nan=False) + "\n")
        return place.write(handle.name, key, JSON_CONTENT_TYPE, metadata or {},
                           sha256_of(handle.name), expected_version)
    finally:
        os.remove(handle.name)
