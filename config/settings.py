"""The job's parameters: read once from job arguments, environment and defaults.

Precedence (interface.md): a job argument `--NAME value` or `--NAME=value` first, then the
environment variable NAME, then the default. Glue adds arguments of its own; anything we do
not know is ignored. An empty value counts as not given.
"""

import calendar
import datetime as dt
import logging
import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from config import constants
from config.errors import ConfigError
from config.thresholds import Thresholds, parse_thresholds

PARAMETERS = (
    "MONGO_URI", "MONGO_SECRET_ID", "DATABASE_NAME", "COLLECTION_NAME", "REPOSITORY_TYPE",
    "RUNS_COLLECTION", "INPUT_PATH", "RUNS_INPUT_PATH", "SESSION_SCHEMA", "DATE_FIELD",
    "START_DATE", "END_DATE", "S3_BUCKET",
    "S3_PREFIX", "S3_SSE", "S3_KMS_KEY_ID", "OUTPUT_DIR", "SIMULATED_SESSIONS",
    "SIMULATION_SEED", "BATCH_SIZE", "THRESHOLDS", "MAX_REJECT_RATIO", "LOG_LEVEL",
    "JOB_NAME", "JOB_RUN_ID",
)

logger = logging.getLogger(__name__)

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATABASE_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,63}$")
_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9!_.*'()\-/]{1,512}$")
_RUN_ID_PATTERN = re.compile(r"^[\x20-\x7e]{1,255}$")
_COLLECTION_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,119}$")
_BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class JobConfig:
    """Every parameter of one run, validated. Nothing downstream reads the environment."""

    job_name: str
    job_run_id: str
    repository_type: str  # resolved: mongo, simulated or file
    mongo_uri: Optional[str] = field(repr=False)
    mongo_secret_id: Optional[str]
    database_name: str
    collection_name: str
    runs_collection: str  # a collection name, or RUNS_COLLECTION_AUTO / RUNS_COLLECTION_NONE
    input_path: Optional[str]
    runs_input_path: Optional[str]
    session_schema: str
    date_field: str
    start_date: dt.date
    end_date: dt.date
    s3_bucket: Optional[str]
    s3_prefix: str
    s3_sse: str
    s3_kms_key_id: Optional[str]
    output_dir: str
    simulated_sessions: int
    simulation_seed: int
    batch_size: int
    thresholds: Thresholds
    max_reject_ratio: float
    log_level: str

    @property
    def range_label(self) -> str:
        return "{}_to_{}".format(self.start_date.isoformat(), self.end_date.isoformat())

    @property
    def output_key_prefix(self) -> str:
        """Folder of this run's outputs, relative to OUTPUT_DIR and the bucket root."""
        return "/".join(p for p in (self.s3_prefix, self.range_label) if p)

    @property
    def csv_name(self) -> str:
        return "conversations_{}.csv".format(self.range_label)


def parse_job_arguments(argv: Sequence[str]) -> Dict[str, str]:
    """Our parameters among `--NAME value` / `--NAME=value` pairs; everything else ignored."""
    found: Dict[str, str] = {}
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if not token.startswith("--"):
            continue
        name, has_equals, value = token[2:].partition("=")
        if not has_equals:
            if index < len(argv) and not argv[index].startswith("--"):
                value = argv[index]
                index += 1
            else:
                value = ""
        if name in PARAMETERS:
            found[name] = value
    return found


# Glue's own run identifiers: awsglue declares some of them itself and refuses, or trips
# over, a request for them, so they are always read by our parser.
GLUE_RESERVED = frozenset(("JOB_NAME", "JOB_RUN_ID"))


def resolve_with_glue(argv: Sequence[str], names: List[str],
                      get_resolved_options: Callable) -> Dict[str, str]:
    """Glue's own resolver, asked only for our parameters present on the command line (it
    raises for absent ones). Where it fails, our parser's reading of the same arguments
    stands, so the job behaves the same with or without awsglue."""
    names = [name for name in names if name not in GLUE_RESERVED]
    if not names:
        return {}
    try:
        resolved = get_resolved_options(list(argv), names)
    except (Exception, SystemExit) as error:  # argparse exits on its errors
        logger.warning("glue_resolver_failed error=%s; using the job's own parser",
                       type(error).__name__)
        return {}
    return {name: resolved[name] for name in names if resolved.get(name) is not None}


def _glue_resolver() -> Optional[Callable]:
    try:
        from awsglue.utils import getResolvedOptions  # type: ignore
    except ImportError:
        return None
    return getResolvedOptions


def load_config(argv: Sequence[str], environ: Mapping[str, str],
                today: Optional[dt.date] = None,
                get_resolved_options: Optional[Callable] = None) -> JobConfig:
    """Builds the JobConfig for `argv` (sys.argv, program name first) and `environ`.

    Raises ConfigError naming the first bad parameter and its accepted form.
    """
    arguments = parse_job_arguments(argv[1:])
    resolver = get_resolved_options or _glue_resolver()
    if resolver is not None:
        arguments.update(resolve_with_glue(argv, sorted(arguments), resolver))
    raw = _Raw(arguments, environ)
    today = today or dt.datetime.now(dt.timezone.utc).date()

    mongo_uri = raw.get("MONGO_URI")
    mongo_secret_id = raw.get("MONGO_SECRET_ID")
    if mongo_uri is not None and not mongo_uri.startswith(("mongodb://", "mongodb+srv://")):
        raise ConfigError("MONGO_URI", "a connection string starting with mongodb:// or "
                          "mongodb+srv://", "it does not")

    repository_type = raw.choice("REPOSITORY_TYPE", constants.REPOSITORY_TYPES, "auto")
    s3_bucket = raw.get("S3_BUCKET")
    if s3_bucket is not None and not _BUCKET_PATTERN.match(s3_bucket):
        raise ConfigError("S3_BUCKET", "a bucket name (3-63 lowercase letters, digits, dots, "
                          "hyphens)", "{!r}".format(s3_bucket))
    if repository_type == "auto":
        if mongo_uri or mongo_secret_id:
            repository_type = "mongo"
        elif s3_bucket is None:
            repository_type = "simulated"
        else:
            # Made-up sessions must never reach a training bucket because a MongoDB
            # parameter was missing or misspelt.
            raise ConfigError("MONGO_URI", "MONGO_URI or MONGO_SECRET_ID (or REPOSITORY_TYPE="
                              "file with INPUT_PATH) when S3_BUCKET is set; the simulated "
                              "source only runs locally, or when REPOSITORY_TYPE=simulated",
                              "neither is set and S3_BUCKET={} is".format(s3_bucket))
    if repository_type == "mongo" and not (mongo_uri or mongo_secret_id):
        raise ConfigError("MONGO_URI", "MONGO_URI or MONGO_SECRET_ID when REPOSITORY_TYPE=mongo",
                          "neither is set")

    input_path = raw.get("INPUT_PATH")
    runs_input_path = raw.get("RUNS_INPUT_PATH")
    if repository_type == "file":
        if input_path is None:
            raise ConfigError("INPUT_PATH", "a readable JSON Lines file when REPOSITORY_TYPE=file",
                              "not set")
        _check_readable_file("INPUT_PATH", input_path)
        if runs_input_path is not None:
            _check_readable_file("RUNS_INPUT_PATH", runs_input_path)
    elif runs_input_path is not None:
        raise ConfigError("RUNS_INPUT_PATH", "a runs file only with REPOSITORY_TYPE=file "
                          "(MongoDB reads RUNS_COLLECTION)",
                          "set with REPOSITORY_TYPE={}".format(repository_type))

    collection_name = raw.get("COLLECTION_NAME") or "chat_data"
    runs_collection = raw.get("RUNS_COLLECTION") or constants.RUNS_COLLECTION_AUTO
    if runs_collection.lower() in (constants.RUNS_COLLECTION_AUTO, constants.RUNS_COLLECTION_NONE):
        runs_collection = runs_collection.lower()
    elif not _COLLECTION_PATTERN.match(runs_collection) or runs_collection == collection_name:
        raise ConfigError("RUNS_COLLECTION", "auto, none, or a collection name other than "
                          "COLLECTION_NAME (letters, digits, _ . -)",
                          "{!r}".format(runs_collection))

    default_end = today - dt.timedelta(days=1)
    start_date = raw.date("START_DATE", _one_month_before(today))
    end_date = raw.date("END_DATE", default_end)
    for name, day in (("START_DATE", start_date), ("END_DATE", end_date)):
        if day > constants.LAST_END_DATE:
            raise ConfigError(name, "a date up to {} (the range ends at the next midnight)"
                              .format(constants.LAST_END_DATE), str(day))
    if start_date > end_date:
        raise ConfigError("START_DATE/END_DATE", "START_DATE on or before END_DATE",
                          "{} is after {}".format(start_date, end_date))
    if (end_date - start_date).days + 1 > constants.MAX_RANGE_DAYS:
        raise ConfigError("START_DATE/END_DATE", "a range of at most {} days".format(
            constants.MAX_RANGE_DAYS), "{} days".format((end_date - start_date).days + 1))

    date_field = raw.get("DATE_FIELD") or "created_at"
    if date_field.startswith("$") or "\x00" in date_field:
        raise ConfigError("DATE_FIELD", "a document field name such as created_at",
                          "{!r}".format(date_field))

    s3_sse = raw.choice("S3_SSE", constants.S3_SSE_MODES, "AES256")
    s3_kms_key_id = raw.get("S3_KMS_KEY_ID")

    output_dir = raw.get("OUTPUT_DIR") or "./output"
    _check_writable_folder(output_dir)

    s3_prefix = _s3_prefix(raw.get("S3_PREFIX"))
    database_name = raw.get("DATABASE_NAME") or "conversations"
    if not _DATABASE_PATTERN.match(database_name):
        raise ConfigError("DATABASE_NAME", "a MongoDB database name (1-63 letters, digits, _ -)",
                          "{!r}".format(database_name))
    if not _COLLECTION_PATTERN.match(collection_name) or collection_name.startswith("system."):
        raise ConfigError("COLLECTION_NAME", "a MongoDB collection name (letters, digits, "
                          "_ . -, at most 120)", "{!r}".format(collection_name))
    job_name = raw.get("JOB_NAME") or constants.DEFAULT_JOB_NAME
    if len(job_name) > 255 or not job_name.isprintable():
        raise ConfigError("JOB_NAME", "a Glue job name (at most 255 printable characters)",
                          "{} characters".format(len(job_name)))
    job_run_id = raw.get("JOB_RUN_ID") or "local-" + uuid.uuid4().hex[:12]
    if not _RUN_ID_PATTERN.match(job_run_id):
        raise ConfigError("JOB_RUN_ID", "at most 255 printable ASCII characters (it is written "
                          "into S3 object metadata)", "{!r}".format(job_run_id[:40]))

    return JobConfig(
        job_name=job_name,
        job_run_id=job_run_id,
        repository_type=repository_type,
        mongo_uri=mongo_uri,
        mongo_secret_id=mongo_secret_id,
        database_name=database_name,
        collection_name=collection_name,
        runs_collection=runs_collection,
        input_path=input_path,
        runs_input_path=runs_input_path,
        session_schema=raw.choice("SESSION_SCHEMA", constants.SESSION_SCHEMAS, "auto"),
        date_field=date_field,
        start_date=start_date,
        end_date=end_date,
        s3_bucket=s3_bucket,
        s3_prefix=s3_prefix,
        s3_sse=s3_sse,
        s3_kms_key_id=s3_kms_key_id,
        output_dir=output_dir,
        simulated_sessions=raw.integer("SIMULATED_SESSIONS", 500, minimum=0),
        simulation_seed=raw.integer("SIMULATION_SEED", 42, minimum=0),
        batch_size=raw.integer("BATCH_SIZE", 1000, minimum=1, maximum=constants.MAX_BATCH_SIZE),
        thresholds=parse_thresholds(raw.get("THRESHOLDS")),
        max_reject_ratio=raw.ratio("MAX_REJECT_RATIO", 0.05),
        log_level=raw.choice("LOG_LEVEL", constants.LOG_LEVELS, "INFO", fold_case=True),
    )


def _s3_prefix(value: Optional[str]) -> str:
    """S3_PREFIX: segments of S3's safe characters; no `..`, no leading `/`, no empty segment,
    so every key and every local path stays under the bucket root and OUTPUT_DIR."""
    if value is None:
        return "training_data"
    prefix = value[:-1] if value.endswith("/") else value
    segments = prefix.split("/")
    if (value.startswith("/") or not all(segments) or any(s in (".", "..") for s in segments)
            or not _PREFIX_PATTERN.match(prefix)):
        raise ConfigError("S3_PREFIX", "a key prefix such as training_data or ml/agents "
                          "(letters, digits, ! - _ . * ' ( ) and / between segments; no `..`, "
                          "no leading /)", "{!r}".format(value))
    return prefix


def _check_readable_file(name: str, path: str) -> None:
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise ConfigError(name, "a readable JSON Lines file",
                          "{!r} is not a readable file".format(path))


def _check_writable_folder(path: str) -> None:
    """OUTPUT_DIR, or the nearest folder above it that exists, must be a writable folder."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError("OUTPUT_DIR", "a writable folder (created when missing)",
                          "{!r} is not writable ({} is not a writable folder)".format(path, probe))


def _one_month_before(day: dt.date) -> dt.date:
    """The same day one month earlier, clamped to that month's last day (03-31 -> 02-28)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Raw:
    """Looks a parameter up by precedence and converts it, raising ConfigError."""

    def __init__(self, arguments: Mapping[str, str], environ: Mapping[str, str]):
        self._arguments = arguments
        self._environ = environ

    def get(self, name: str) -> Optional[str]:
        for source in (self._arguments, self._environ):
            value = source.get(name)
            if value is not None and value.strip() != "":
                return value.strip()
        return None

    def choice(self, name: str, accepted: Sequence[str], default: str,
               fold_case: bool = False) -> str:
        value = self.get(name)
        if value is None:
            return default
        lookup = {a.upper() if fold_case else a: a for a in accepted}
        key = value.upper() if fold_case else value
        if key not in lookup:
            raise ConfigError(name, "one of " + ", ".join(accepted), "{!r}".format(value))
        return lookup[key]

    def date(self, name: str, default: dt.date) -> dt.date:
        value = self.get(name)
        if value is None:
            return default
        try:
            if not _DATE_PATTERN.match(value):
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(name, "a date YYYY-MM-DD", "{!r}".format(value)) from None

    def integer(self, name: str, default: int, minimum: int,
                maximum: Optional[int] = None) -> int:
        value = self.get(name)
        if value is None:
            return default
        accepted = "a whole number >= {}".format(minimum) + (
            " and <= {}".format(maximum) if maximum is not None else "")
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(name, accepted, "{!r}".format(value)) from None
        if number < minimum or (maximum is not None and number > maximum):
            raise ConfigError(name, accepted, "{}".format(number))
        return number

    def ratio(self, name: str, default: float) -> float:
        value = self.get(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not 0.0 <= number <= 1.0:
            raise ConfigError(name, "a number from 0 to 1", "{!r}".format(value))
        return number
