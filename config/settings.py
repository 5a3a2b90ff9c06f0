"""The job's parameters: read once from job arguments, environment and defaults.

Precedence: a job argument `--NAME value` or `--NAME=value` first, then the
environment variable NAME, then the default. Glue adds arguments of its own, which pass;
one that looks like a misspelt parameter is an error, any other unknown one a warning. An
empty value counts as not given.
"""

import datetime as dt
import hashlib
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from config import constants
from config.errors import ConfigError
from config.parameters import (
    BY_NAME,
    PARAMETERS,
    RUNS_COLLECTION_ACCEPTED,
    Invalid,
    Parameter,
)
from config.thresholds import Thresholds
from interfaces.values import ChangeWindow, DateRange
from utils.secrets import masked_connection_string

logger = logging.getLogger(__name__)

# The partitioned layout's folders of run metadata and of state (names starting with `_`
# are skipped by Athena, Hive, Spark and pyarrow).
RUNS_FOLDER = "_runs"
STATE_FOLDER = "_state"


@dataclass(frozen=True)
class JobConfig:
    """Every parameter of one run, validated: one field per entry of config/parameters.py,
    named in lower case (a test checks both agree), REPOSITORY_TYPE resolved to a source's
    name. Immutable; nothing downstream reads the environment."""

    mongo_uri: Optional[str] = field(repr=False)  # a secret: left out of repr()
    mongo_secret_id: Optional[str]
    database_name: str
    collection_name: str
    repository_type: str
    runs_collection: str
    input_path: Optional[str]
    runs_input_path: Optional[str]
    session_schema: str
    workers: int
    allow_empty: bool
    progress_total: bool
    date_field: str
    start_date: dt.date
    end_date: dt.date
    output_format: str
    output_layout: str
    change_field: str
    lookback_minutes: int
    settle_minutes: int
    undefined_values: str
    csv_formula_guard: str
    drift_fail: bool
    reference_profile: Optional[str]
    s3_bucket: Optional[str]
    s3_prefix: str
    s3_sse: str
    s3_checksum: str
    s3_kms_key_id: Optional[str]
    output_dir: str
    simulated_sessions: int
    simulation_seed: int
    simulated_now: Optional[dt.datetime]
    simulated_labels: bool
    batch_size: int
    thresholds: Thresholds
    max_reject_ratio: float
    log_level: str
    job_name: str
    job_run_id: str
    # Not parameters: what the run derives from them.
    dates_given: bool = False  # START_DATE or END_DATE was given (a backfill when partitioned)
    change_window: Optional[ChangeWindow] = None  # the partitioned layout's, once decided

    @property
    def partitioned(self) -> bool:
        return self.output_layout == "partitioned"

    @property
    def selection_field(self) -> str:
        """The field a window selects by: DATE_FIELD for a range, CHANGE_FIELD for the
        partitioned layout."""
        return self.change_field if self.partitioned else self.date_field

    @property
    def runs_change_field(self) -> Optional[str]:
        """The Agno 3 runs' field whose change selects their sessions too (partitioned)."""
        return "updated_at" if self.partitioned else None

    def window(self) -> Union[DateRange, ChangeWindow]:
        """What this run reads: its days, or the partitioned layout's window of changes."""
        if self.change_window is not None:
            return self.change_window
        return DateRange(self.start_date, self.end_date)

    @property
    def range_label(self) -> str:
        return "{}_to_{}".format(self.start_date.isoformat(), self.end_date.isoformat())

    @property
    def output_key_prefix(self) -> str:
        """Folder of this run's outputs, relative to OUTPUT_DIR and the bucket root: the
        range's folder, or, partitioned, this run's folder under `_runs/`."""
        if self.partitioned:
            return "/".join(p for p in (self.s3_prefix, RUNS_FOLDER, self.run_folder_name) if p)
        return "/".join(p for p in (self.s3_prefix, self.range_label) if p)

    @property
    def run_folder_name(self) -> str:
        """JOB_RUN_ID made key-safe, with a digest so that two ids that differ only in
        unsafe characters never share a folder."""
        safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", self.job_run_id)[:80]
        if safe == self.job_run_id:
            return safe
        return "{}-{}".format(safe, hashlib.sha256(self.job_run_id.encode()).hexdigest()[:8])

    @property
    def data_name(self) -> str:
        """The name of the file of rows: the legacy CSV key, or its Parquet twin."""
        return "conversations_{}.{}".format(self.range_label, self.output_format)

    @property
    def data_part_stem(self) -> str:
        """What the names of a Spark run's parts start with (`data_part_name`)."""
        return "conversations_{}.part-".format(self.range_label)

    def data_part_name(self, index: int) -> str:
        return "{}{:05d}.{}".format(self.data_part_stem, index, self.output_format)

    def echo(self, local_paths: bool = True) -> Dict[str, object]:
        """Every parameter's effective value, as JSON values, secrets shown as ***; without
        `local_paths`, a path of this machine as its last part only."""
        echoed: Dict[str, object] = {}
        for parameter in PARAMETERS:
            value = getattr(self, parameter.field)
            if value is not None and parameter.secret:
                value = "***"
            elif isinstance(value, str) and parameter.local_path and not local_paths:
                value = local_name(value)
            elif isinstance(value, str) and masked_connection_string(value):
                # a connection string with its credentials where none belongs (a whole URI
                # pasted into MONGO_SECRET_ID): shown without them
                value = masked_connection_string(value)
            elif isinstance(value, dt.datetime):
                value = value.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Thresholds):
                value = value.as_dict()
            echoed[parameter.name] = value
        return echoed



def local_name(path: str) -> str:
    """A local path as its last part: what names the file without telling about the
    machine that wrote it."""
    return os.path.basename(os.path.normpath(path)) if path else path


def split_job_arguments(argv: Sequence[str]) -> Tuple[Dict[str, str], List[str]]:
    """(our parameters by name, the names of every other `--NAME` argument)."""
    found: Dict[str, str] = {}
    unknown: List[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if not token.startswith("--"):
            # Glue passes only --NAME value pairs: anything else is a mistake whose intent
            # (START_DATE=..., -START_DATE ...) must not be dropped silently.
            shown = token if len(token) <= 40 else token[:37] + "..."
            raise ConfigError("arguments", "--NAME value or --NAME=value pairs",
                              "{!r} is not one".format(shown))
        name, has_equals, value = token[2:].partition("=")
        if not has_equals:
            if index < len(argv) and _is_value_of(name, argv[index]):
                value = argv[index]
                index += 1
            else:
                value = ""
        if name in BY_NAME:
            if name in found:
                raise ConfigError(name, "the parameter once", "given twice")
            found[name] = value
        else:
            unknown.append(name)
    return found, unknown


def _is_value_of(name: str, following: str) -> bool:
    """Whether the token after `--name` is its value. A value may itself start with `--`
    for Glue's own arguments (`--python-modules-installer-option --upgrade`), unless it
    names another argument (Glue passes some flags with no value)."""
    if not following.startswith("--"):
        return True
    if name not in GLUE_ARGUMENTS:
        return False
    following_name = following[2:].partition("=")[0]
    return following_name not in BY_NAME and following_name not in GLUE_ARGUMENTS


# Arguments AWS Glue passes to a job's script, Python shell and Spark, besides ours.
GLUE_ARGUMENTS = frozenset((
    "JOB_ID", "JOB_NAME", "JOB_RUN_ID", "TempDir", "job-bookmark-option",
    "job-bookmark-from", "job-bookmark-to", "enable-metrics", "enable-observability-metrics",
    "scriptLocation", "job-language", "extra-py-files", "extra-files", "extra-jars",
    "additional-python-modules", "python-modules-installer-option", "library-set",
    "enable-glue-datacatalog", "enable-continuous-cloudwatch-log",
    "enable-continuous-log-filter", "continuous-log-logGroup", "continuous-log-logStreamPrefix",
    "continuous-log-conversionPattern", "enable-spark-ui", "spark-event-logs-path",
    "enable-job-insights", "enable-auto-scaling", "conf", "debug", "mode", "class",
    "user-jars-first", "encryption-type", "enable-s3-parquet-optimized-committer",
    "enable-rename-algorithm-v2", "executor-cores", "datalake-formats",
    "auto-scale-within-microbatch", "WORKFLOW_NAME", "WORKFLOW_RUN_ID", "security_configuration",
    "customer-driver-env-vars", "customer-executor-env-vars", "disable-proxy-v2",
    "redshift-tmp-dir", "region",
))


def check_unknown_arguments(names: Sequence[str]) -> None:
    """Glue's own arguments pass; one that looks like ours (another case, a letter or two
    off, cut short) is a configuration error naming ours; anything else is a warning."""
    for name in names:
        if name in GLUE_ARGUMENTS:
            continue
        meant = _meant_parameter(name)
        if meant is not None:
            raise ConfigError(name, "a parameter of this job: did you mean --{}?".format(meant),
                              "unknown argument --{}".format(name))
        logger.warning("unknown_argument name=--%s: not a parameter of this job nor one of "
                       "Glue's; ignored (python glue_job.py --help lists the parameters)", name)


def _meant_parameter(name: str) -> Optional[str]:
    folded = name.upper().replace("-", "_")
    for parameter in BY_NAME:
        if folded == parameter or (len(folded) >= 5 and parameter.startswith(folded)):
            return parameter
    distances = sorted((_edit_distance(folded, parameter), parameter) for parameter in BY_NAME)
    distance, closest = distances[0]
    return closest if distance <= 2 else None


def _edit_distance(left: str, right: str) -> int:
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, start=1):
        current = [i]
        for j, right_char in enumerate(right, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (left_char != right_char)))
        previous = current
    return previous[-1]


def help_text() -> str:
    """`python glue_job.py --help`: the parameters, how they are given, the exit statuses."""
    width = max(len(parameter.name) for parameter in PARAMETERS) + 2
    lines = [
        "Agno sessions in MongoDB -> one row of features per session, as CSV, on S3.",
        "",
        "usage: python glue_job.py [--NAME value | --NAME=value] ...",
        "Each parameter is read from a job argument first, then the environment variable",
        "NAME, then its default.",
        "",
    ]
    for parameter in PARAMETERS:
        default = parameter.default_text.replace("`", "").replace("–", "none")
        lines.append("  --{:<{}} {}".format(parameter.name, width, parameter.meaning.replace(
            "`", "")))
        lines.append("    {:<{}} default: {}".format("", width, default))
    lines += ["", "Exit status: 0 success, 1 runtime failure, 2 configuration error.",
              "The last line on standard output is a JSON summary.", ""]
    return "\n".join(lines)


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
        from awsglue.utils import getResolvedOptions
    except ImportError:
        return None
    return getResolvedOptions


def parse_parameters(argv: Sequence[str], environ: Mapping[str, str],
                     today: Optional[dt.date] = None,
                     get_resolved_options: Optional[Callable] = None) -> Dict[str, Any]:
    """Every parameter of config/parameters.py for `argv` (sys.argv, program name first)
    and `environ`, read (argument, environment, default) and checked alone, by JobConfig
    field name. Raises ConfigError naming the first bad parameter and its accepted form.
    The rules between parameters come after (check_common, and the source's own checks:
    factories/configuration.py builds the JobConfig)."""
    arguments, unknown = split_job_arguments(argv[1:])
    check_unknown_arguments(unknown)
    resolver = get_resolved_options or _glue_resolver()
    if resolver is not None:
        arguments.update(resolve_with_glue(argv, sorted(arguments), resolver))
    today = today or dt.datetime.now(dt.timezone.utc).date()
    values = {}
    for parameter in PARAMETERS:
        raw = _given(parameter.name, arguments, environ)
        values[parameter.field] = (parameter.default(today) if raw is None
                                   else _parse(parameter, raw))
    values["dates_given"] = any(_given(name, arguments, environ) is not None
                                for name in ("START_DATE", "END_DATE"))
    return values


def _given(name: str, arguments: Mapping[str, str], environ: Mapping[str, str]
           ) -> Optional[str]:
    """The parameter's text by precedence; an empty value counts as not given."""
    for source in (arguments, environ):
        value = source.get(name)
        if value is not None and value.strip() != "":
            return value.strip()
    return None


def _parse(parameter: Parameter, raw: str):
    try:
        return parameter.parse(raw)
    except Invalid as invalid:
        raise ConfigError(parameter.name, invalid.accepted, invalid.problem) from None


def check_common(values: Mapping[str, Any]) -> None:
    """The rules between parameters that hold whatever the source."""
    if values["runs_collection"] == values["collection_name"]:
        raise ConfigError("RUNS_COLLECTION", RUNS_COLLECTION_ACCEPTED,
                          "{!r}".format(values["runs_collection"]))
    start_date, end_date = values["start_date"], values["end_date"]
    if start_date > end_date:
        raise ConfigError("START_DATE/END_DATE", "START_DATE on or before END_DATE",
                          "{} is after {}".format(start_date, end_date))
    if (end_date - start_date).days + 1 > constants.MAX_RANGE_DAYS:
        raise ConfigError("START_DATE/END_DATE", "a range of at most {} days".format(
            constants.MAX_RANGE_DAYS), "{} days".format((end_date - start_date).days + 1))
    _check_writable_folder(values["output_dir"])


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
