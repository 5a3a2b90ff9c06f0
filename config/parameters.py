"""Every parameter of the job, defined once: name, default, meaning, how its text is read.

`load_config` (factories/configuration.py) reads them, the README's parameter table is
generated from them (tooling/docs.py, `make docs`, checked by `make lint`), and so are
`--help` and the manifest's echo of the configuration. A new parameter is one entry
here (and, when it combines with others, a line in `load_config`).
"""

import calendar
import datetime as dt
import os
import re
import uuid
from typing import Callable, Dict, NamedTuple, Optional, Tuple

from config import constants
from config.thresholds import parse_thresholds


class Invalid(Exception):
    """A parameter's text is not of the accepted form: (accepted, problem)."""

    def __init__(self, accepted: str, problem: str):
        super().__init__(accepted, problem)
        self.accepted = accepted
        self.problem = problem


class Parameter(NamedTuple):
    name: str
    meaning: str
    default_text: str  # as the README and --help show it
    parse: Callable[[str], object]  # the value from its (stripped, non-empty) text
    default: Callable[[dt.date], object] = lambda today: None
    secret: bool = False
    local_path: bool = False  # a path of the machine that runs the job

    @property
    def field(self) -> str:
        """The JobConfig attribute that holds it."""
        return self.name.lower()


# --- readers of a parameter's text ---------------------------------------------------

def text(value: str) -> str:
    return value


def choice(*accepted: str, fold_case: bool = False) -> Callable[[str], str]:
    lookup = {(a.upper() if fold_case else a): a for a in accepted}

    def parse(value: str) -> str:
        found = lookup.get(value.upper() if fold_case else value)
        if found is None:
            raise Invalid("one of " + ", ".join(accepted), "{!r}".format(value))
        return found
    return parse


def whole_number(minimum: int, maximum: Optional[int] = None) -> Callable[[str], int]:
    accepted = "a whole number >= {}".format(minimum) + (
        " and <= {}".format(maximum) if maximum is not None else "")

    def parse(value: str) -> int:
        if not _WHOLE.match(value):  # int() would take "1_0" as 10, and other digits
            raise Invalid(accepted, "{!r}".format(value[:40]))
        number = int(value)
        if number < minimum or (maximum is not None and number > maximum):
            raise Invalid(accepted, "{}".format(number))
        return number
    return parse


def boolean(value: str) -> bool:
    folded = value.lower()
    if folded in ("true", "1", "yes"):
        return True
    if folded in ("false", "0", "no"):
        return False
    raise Invalid("true or false", "{!r}".format(value))


def ratio(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0.0 <= number <= 1.0:
        raise Invalid("a number from 0 to 1", "{!r}".format(value))
    return number


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"[+-]?[0-9]{1,18}\Z")


def date(value: str) -> dt.date:
    try:
        if not _DATE.match(value):
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid("a date YYYY-MM-DD", "{!r}".format(value)) from None
    if day > constants.LAST_END_DATE:
        raise Invalid("a date up to {} (the range ends at the next midnight)".format(
            constants.LAST_END_DATE), str(day))
    return day


_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def moment(value: str) -> dt.datetime:
    """An ISO 8601 UTC time to the second, `2024-12-11T03:00:00Z`."""
    try:
        if not _MOMENT.match(value):
            raise ValueError
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise Invalid("an ISO 8601 UTC time such as 2024-12-11T03:00:00Z",
                      "{!r}".format(value[:40])) from None


def matching(pattern: str, accepted: str, forbidden_prefix: str = "") -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def parse(value: str) -> str:
        if not compiled.match(value) or (forbidden_prefix and value.startswith(forbidden_prefix)):
            raise Invalid(accepted, "{!r}".format(value[:60]))
        return value
    return parse


def mongo_uri(value: str) -> str:
    if not value.startswith(("mongodb://", "mongodb+srv://")):
        # Show only what comes before any ':', '@' or '/': never a password.
        shown = re.split(r"[:@/]", value, maxsplit=1)[0][:20]
        raise Invalid("a MongoDB connection string such as mongodb://host:27017/ or "
                      "mongodb+srv://user:PASSWORD@cluster.example.net/ (or set "
                      "MONGO_SECRET_ID instead)",
                      "{!r}... does not start with mongodb:// or mongodb+srv://".format(shown))
    return value


def s3_prefix(value: str) -> str:
    """S3-safe segments; no `..`, no leading `/`, no empty segment, so every key and every
    local path stays under the bucket root and OUTPUT_DIR."""
    prefix = value[:-1] if value.endswith("/") else value
    segments = prefix.split("/")
    if (value.startswith("/") or not all(segments) or any(s in (".", "..") for s in segments)
            or not _PREFIX.match(prefix)):
        raise Invalid("a key prefix such as training_data or ml/agents (letters, digits, "
                      "! - _ . * ' ( ) and / between segments; no `..`, no leading /)",
                      "{!r}".format(value))
    return prefix


def runs_collection(value: str) -> str:
    if value.lower() in (constants.RUNS_COLLECTION_AUTO, constants.RUNS_COLLECTION_NONE):
        return value.lower()
    if not _COLLECTION.match(value):
        raise Invalid(RUNS_COLLECTION_ACCEPTED, "{!r}".format(value))
    return value


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, which containers narrow), else the
    machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def workers(value: str) -> int:
    if value.lower() == "auto":
        return min(usable_cpus(), constants.MAX_WORKERS)
    try:
        return whole_number(1, constants.MAX_WORKERS)(value)
    except Invalid as invalid:
        raise Invalid("auto, or a whole number from 1 to {}".format(constants.MAX_WORKERS),
                      invalid.problem) from None


def job_name(value: str) -> str:
    if len(value) > 255 or not value.isprintable():
        raise Invalid("a Glue job name (at most 255 printable characters)",
                      "{} characters".format(len(value)))
    return value


_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()\-/]{1,512}$")
_COLLECTION = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,119}$")
RUNS_COLLECTION_ACCEPTED = ("auto, none, or a collection name other than COLLECTION_NAME "
                             "(letters, digits, _ . -)")


def _one_month_before(day: dt.date) -> dt.date:
    """The same day one month earlier, clamped to that month's last day (03-31 -> 02-28)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _constant(value):
    return lambda today: value


PARAMETERS: Tuple[Parameter, ...] = (
    Parameter("MONGO_URI", "MongoDB connection string (`mongodb://` or `mongodb+srv://`)",
              "–", mongo_uri, secret=True),
    Parameter("MONGO_SECRET_ID", "Secrets Manager secret holding the URI (plain string, or "
              "JSON with key `uri`)", "–", text),
    Parameter("DATABASE_NAME", "database", "`conversations`",
              matching(r"^[A-Za-z0-9_\-]{1,63}$", "a MongoDB database name (1-63 letters, "
                       "digits, _ -)"), _constant("conversations")),
    Parameter("COLLECTION_NAME", "collection of session documents", "`chat_data`",
              matching(_COLLECTION.pattern, "a MongoDB collection name (letters, digits, "
                       "_ . -, at most 120)", forbidden_prefix="system."),
              _constant("chat_data")),
    Parameter("REPOSITORY_TYPE", "`mongo`, `simulated`, `file`, or `auto`: mongo when a URI or "
              "secret is set, file when INPUT_PATH is; simulated only for a local run (no "
              "`S3_BUCKET`), otherwise a configuration error", "`auto`",
              matching(r"^[a-z][a-z0-9_]{0,39}$", "auto, or a source such as mongo, simulated, "
                       "file"),
              _constant("auto")),
    Parameter("RUNS_COLLECTION", "Agno 3 runs collection joined by `session_id`: `auto` = "
              "Agno's naming (`agno_runs` beside `agno_sessions`, else `<COLLECTION_NAME>_runs`)"
              " when it exists; a name (must exist); `none` for embedded runs only", "`auto`",
              runs_collection, _constant(constants.RUNS_COLLECTION_AUTO)),
    Parameter("INPUT_PATH", "for `file`: JSON Lines in MongoDB Extended JSON, as `mongoexport` "
              "writes it", "–", text, local_path=True),
    Parameter("RUNS_INPUT_PATH", "for `file`: a `mongoexport` of the Agno 3 runs collection, "
              "in any order, joined by `session_id`", "–", text, local_path=True),
    Parameter("SESSION_SCHEMA", "`auto`, `agno_v1`, `agno_v1_legacy`, `agno_v2`, `agno_v3` "
              "(a forced shape rejects the others)", "`auto`",
              choice(*constants.SESSION_SCHEMAS), _constant("auto")),
    Parameter("WORKERS", "parallel time slices of the range on this machine: a number, or "
              "`auto` for the CPUs this process may use (a 1-DPU Glue Python shell job has 4)",
              "`1`", workers, _constant(1)),
    Parameter("ALLOW_EMPTY", "let an empty result replace a non-empty earlier result of the "
              "same range (a scheduled job over a quiet day sets it); without it such a run "
              "fails and publishes nothing", "`false`", boolean, _constant(False)),
    Parameter("PROGRESS_TOTAL", "MongoDB: count the range's documents first "
              "(`count_documents` on the same filter, which the date index answers) so that "
              "progress lines show a percentage and the time left; `false` skips the count",
              "`true`", boolean, _constant(True)),
    Parameter("DATE_FIELD", "the field the date range applies to", "`created_at`",
              matching(r"^[^$\x00][^\x00]*$", "a document field name such as created_at"),
              _constant("created_at")),
    Parameter("START_DATE", "first day, `YYYY-MM-DD`, inclusive", "one month before today (UTC)",
              date, _one_month_before),
    Parameter("END_DATE", "last day, `YYYY-MM-DD`, inclusive (at most {} days in all)".format(
        constants.MAX_RANGE_DAYS), "yesterday (UTC)", date,
        lambda today: today - dt.timedelta(days=1)),
    Parameter("OUTPUT_FORMAT", "`csv`, or `parquet` for typed columns (timestamps, a date, "
              "int8 flags; docs/features.md section 4), written with pyarrow, which Glue's "
              "analytics library set and Glue for Spark have", "`csv`",
              choice("csv", "parquet"), _constant("csv")),
    Parameter("OUTPUT_LAYOUT", "`range`: one result per run under `{START}_to_{END}/` (ad-hoc "
              "runs); `partitioned`: one dataset of day partitions `dt=YYYY-MM-DD/`, updated by "
              "change, each session once in its latest state (scheduled runs)", "`range`",
              choice("range", "partitioned"), _constant("range")),
    Parameter("CHANGE_FIELD", "partitioned layout: the field whose change selects a session "
              "(for Agno 3 the runs' `updated_at` selects their sessions too)", "`updated_at`",
              matching(r"^[^$\x00][^\x00]*$", "a document field name such as updated_at"),
              _constant("updated_at")),
    Parameter("LOOKBACK_MINUTES", "partitioned layout: how far before the last run's upper "
              "bound (the watermark) a window starts", "`15`", whole_number(0, 10_080),
              _constant(15)),
    Parameter("SETTLE_MINUTES", "partitioned layout: how far before now a window ends, so "
              "that writes still in flight are left to the next run", "`5`",
              whole_number(0, 1_440), _constant(5)),
    Parameter("UNDEFINED_VALUES", "`null` (an empty cell) or `zero` for values that are not "
              "defined (a mean over no runs, a ratio over 0; docs/features.md), for readers "
              "that cannot take nulls", "`null`", choice("null", "zero"), _constant("null")),
    Parameter("CSV_FORMULA_GUARD", "`off`, or `quote` to put `'` before text cells a "
              "spreadsheet would run as formulas (starting with = + - @, tab, CR), for a file "
              "meant for spreadsheets; either way such cells are counted as `formula_like_text`",
              "`off`", choice("off", "quote"), _constant("off")),
    Parameter("DRIFT_FAIL", "fail the run, before publishing, when the dataset drifts against "
              "the previous run (half or more of the numeric columns; docs/profile.md); "
              "otherwise drift is the warning `feature_drift`", "`false`", boolean,
              _constant(False)),
    Parameter("REFERENCE_PROFILE", "the profile whose deciles are the histograms' bins and "
              "drift's reference: a `_profile.json` in S3_BUCKET (`s3://...`) or a local path; "
              "default: the first run's, kept in `{S3_PREFIX}/_state/`", "the first run's",
              text, local_path=True),
    Parameter("S3_BUCKET", "when set, outputs are uploaded there; otherwise they stay local",
              "–", matching(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$", "a bucket name (3-63 "
                            "lowercase letters, digits, dots, hyphens)")),
    Parameter("S3_PREFIX", "key prefix", "`training_data`", s3_prefix,
              _constant("training_data")),
    Parameter("S3_SSE", "`AES256`, `aws:kms`, or `none`", "`AES256`",
              choice(*constants.S3_SSE_MODES), _constant("AES256")),
    Parameter("S3_CHECKSUM", "how uploads are verified: `sha256` (an S3 SHA-256 checksum), "
              "`md5` (`Content-MD5` and the ETag, for S3-compatible stores without additional "
              "checksums), or `none` (size and the SHA-256 in the object's metadata only)",
              "`sha256`", choice(*constants.S3_CHECKSUMS), _constant("sha256")),
    Parameter("S3_KMS_KEY_ID", "KMS key for `aws:kms` (the bucket's default key when absent)",
              "–", text),
    Parameter("OUTPUT_DIR", "local folder the outputs are written to first", "`./output`",
              text, _constant("./output"), local_path=True),
    Parameter("SIMULATED_SESSIONS", "sessions the simulated source makes: over the range, or "
              "with the partitioned layout, starting each day of its evolving world", "`500`",
              whole_number(0), _constant(500)),
    Parameter("SIMULATION_SEED", "same seed, same sessions", "`42`", whole_number(0),
              _constant(42)),
    Parameter("SIMULATED_NOW", "simulated source: the simulated present, ISO 8601 UTC such "
              "as `2024-12-11T03:00:00Z`; only what happened by then exists, and the run's "
              "clock is this time", "now", moment),
    Parameter("SIMULATED_LABELS", "simulated source: also write each session's ground-truth "
              "profile (normal, token_explosion, ...) to `_labels.csv` beside the outputs",
              "`false`", boolean, _constant(False)),
    Parameter("BATCH_SIZE", "documents per MongoDB cursor batch (and per runs query)",
              "`1000`", whole_number(1, constants.MAX_BATCH_SIZE), _constant(1000)),
    Parameter("THRESHOLDS", "JSON object overriding feature thresholds, e.g. "
              "`{\"TIMEOUT_LIMIT\": 90}`", "–", parse_thresholds,
              lambda today: parse_thresholds(None)),
    Parameter("MAX_REJECT_RATIO", "fail when rejected documents exceed this share of those "
              "read", "`0.05`", ratio, _constant(0.05)),
    Parameter("LOG_LEVEL", "`DEBUG`, `INFO`, `WARNING`, `ERROR`", "`INFO`",
              choice(*constants.LOG_LEVELS, fold_case=True), _constant("INFO")),
    Parameter("JOB_NAME", "the job's name in logs, the manifest and MongoDB's client name "
              "(Glue sets it)", "`{}`".format(constants.DEFAULT_JOB_NAME), job_name,
              _constant(constants.DEFAULT_JOB_NAME)),
    Parameter("JOB_RUN_ID", "this run's id in the manifest and the S3 metadata (Glue sets it)",
              "`local-` and 12 hex digits",
              matching(r"^[\x20-\x7e]{1,255}$", "at most 255 printable ASCII characters (it "
                       "is written into S3 object metadata)"),
              lambda today: "local-" + uuid.uuid4().hex[:12]),

)

BY_NAME: Dict[str, Parameter] = {parameter.name: parameter for parameter in PARAMETERS}
