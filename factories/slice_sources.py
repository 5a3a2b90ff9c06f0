"""What a worker process or a Spark task needs to read one slice of the range.

A SliceSource is picklable and holds no connection: each worker builds its own repository
from it (its own MongoDB client, its own read-only spool handles). The parent prepares it
once: it resolves the MongoDB URI (a Secrets Manager read, once per run), or scans a file
in parallel parts into spools and indexes a runs file, so that no worker repeats that.
"""

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Sequence, Tuple

from config import constants
from config.settings import JobConfig
from factories.mongo_connection import mongo_uri_of
from factories.repository_factory import build_mongo_repository, build_repository
from interfaces.abstractions import DateRange, SessionRepository
from repositories.file_repository import ScannedFileSlices, ScannedPart, scan_in_parts
from repositories.runs_file import RunsFile, RunsIndex
from utils.logging_setup import redaction
from utils.secrets import passwords_in

logger = logging.getLogger(__name__)


@dataclass
class SliceSource:
    config: JobConfig
    mongo_uri: Optional[str] = field(default=None, repr=False)
    file_parts: Sequence[ScannedPart] = ()
    runs_index: Optional[str] = None
    runs_description: Dict[str, object] = field(default_factory=dict)
    outside_range: Optional[Dict[str, object]] = None

    def repository(self) -> SessionRepository:
        """The repository a worker reads its slices from."""
        config = self.config
        if config.repository_type == "file":
            runs = RunsIndex(self.runs_index, self.runs_description) if self.runs_index else None
            return ScannedFileSlices(config.input_path, config.date_field, self.file_parts,
                                     runs, constants.LOCAL_RUNS_JOIN_BATCH)
        if config.repository_type == "mongo":
            # A Spark task resolves MONGO_SECRET_ID itself: the secret never travels with it.
            uri = self.mongo_uri or mongo_uri_of(config)
            redaction.add(*passwords_in(uri))
            # One count per slice would add a query each for little: progress is per slice.
            return build_mongo_repository(dataclasses.replace(config, progress_total=False),
                                          uri)
        return build_repository(config)

    def described(self) -> Dict[str, object]:
        """What the parent knows about the source that no slice does."""
        if self.outside_range is None:
            return {}
        return {"outside_range": self.outside_range}


def prepare_slice_source(config: JobConfig,
                         secrets_client_factory: Optional[Callable[[], object]] = None):
    """`prepare(pool, work_folder) -> SliceSource` for services/reading.py."""
    def prepare(pool, work_folder: str) -> SliceSource:
        if config.repository_type == "mongo":
            return SliceSource(config, mongo_uri=mongo_uri_of(config, secrets_client_factory))
        if config.repository_type != "file":
            return SliceSource(config)
        whole = DateRange(config.start_date, config.end_date)
        # The runs file is indexed by one worker while the others scan the sessions.
        runs_index = (pool.submit(index_runs_file, config.runs_input_path, work_folder)
                      if config.runs_input_path else None)
        parts = scan_in_parts(config.input_path, whole, config.date_field, config.workers,
                              work_folder, pool.map)
        outside = parts[0].outside
        for part in parts[1:]:
            outside.add(part.outside)
        logger.info("file_scan path=%s parts=%d selected=%d unreadable=%d %s",
                    config.input_path, len(parts), sum(part.selected for part in parts),
                    sum(part.unreadable for part in parts), outside.log_text())
        source = SliceSource(config, file_parts=parts, outside_range=outside.describe())
        if runs_index is not None:
            source.runs_index, source.runs_description = runs_index.result()
        return source
    return prepare


def index_runs_file(path: str, work_folder: str) -> Tuple[str, Dict[str, object]]:
    """In a worker: the runs file indexed under `work_folder` (removed with it), and its
    description."""
    runs = RunsFile(path, temporary_dir=work_folder)
    return runs.hand_over_index(), runs.describe()

