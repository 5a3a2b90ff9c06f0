"""A run's JobConfig: the parameters parsed and checked (config/settings.py), the source
chosen from the registry (factories/sources) and checked by its own rules, then the rules
every run follows."""

import datetime as dt
from typing import Callable, Dict, Mapping, Optional, Sequence

from config.errors import ConfigError
from config.parameters import BY_NAME
from config.settings import JobConfig, check_common, parse_parameters
from factories.sources import SOURCES, SourceEntry
from services.parquet_writer import require_pyarrow


def load_config(argv: Sequence[str], environ: Mapping[str, str],
                today: Optional[dt.date] = None,
                get_resolved_options: Optional[Callable] = None,
                sources: Mapping[str, SourceEntry] = SOURCES) -> JobConfig:
    """Builds the JobConfig for `argv` (sys.argv, program name first) and `environ`.
    Raises ConfigError naming the first bad parameter and its accepted form."""
    values = parse_parameters(argv, environ, today, get_resolved_options)
    entry = chosen_source(values, sources)
    values["repository_type"] = entry.name
    for other in sources.values():
        for name in other.exclusive_parameters:
            if other is not entry and values[BY_NAME[name].field] is not None:
                raise ConfigError(name, "{} only with REPOSITORY_TYPE={}".format(
                    name, other.name), "set with REPOSITORY_TYPE={}".format(entry.name))
    entry.check(values)
    check_common(values)
    if values["output_format"] == "parquet":
        if values["csv_formula_guard"] != "off":
            raise ConfigError("CSV_FORMULA_GUARD", "off with OUTPUT_FORMAT=parquet (the guard "
                              "is for CSV files opened in spreadsheets)",
                              str(values["csv_formula_guard"]))
        require_pyarrow()
    reference = values["reference_profile"]
    if reference is not None and reference.startswith("s3://") and not reference.startswith(
            "s3://{}/".format(values["s3_bucket"])):
        raise ConfigError("REFERENCE_PROFILE", "a local path, or an s3:// URI in S3_BUCKET "
                          "(the bucket the job's role reads)", repr(reference[:80]))
    if (entry.name == "simulated" and values["output_layout"] == "partitioned"
            and values["simulated_now"] is None):
        values["simulated_now"] = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return JobConfig(**values)


def chosen_source(values: Dict[str, object], sources: Mapping[str, SourceEntry]) -> SourceEntry:
    """REPOSITORY_TYPE's entry; `auto`: the first entry whose rule holds."""
    name = values["repository_type"]
    if name == "auto":
        for entry in sources.values():
            if entry.chosen_by_auto(values):
                return entry
        # Made-up sessions must never reach a training bucket because a MongoDB
        # parameter was missing or misspelt.
        raise ConfigError("MONGO_URI", "MONGO_URI or MONGO_SECRET_ID (or REPOSITORY_TYPE="
                          "file with INPUT_PATH) when S3_BUCKET is set; the simulated "
                          "source only runs locally, or when REPOSITORY_TYPE=simulated",
                          "neither is set and S3_BUCKET={} is".format(values["s3_bucket"]))
    if name not in sources:
        raise ConfigError("REPOSITORY_TYPE", "one of " + ", ".join(("auto",) + tuple(sources)),
                          "{!r}".format(name))
    return sources[str(name)]


def source_of(config: JobConfig, sources: Mapping[str, SourceEntry] = SOURCES) -> SourceEntry:
    return sources[config.repository_type]


def for_spark(config: JobConfig, sources: Mapping[str, SourceEntry] = SOURCES) -> None:
    """A source Spark cannot run is a configuration error, before Spark starts."""
    entry = source_of(config, sources)
    if not entry.runs_on_spark:
        able = " or ".join(name for name, other in sources.items() if other.runs_on_spark)
        raise ConfigError("REPOSITORY_TYPE", "{} on Spark ({})".format(
            able, entry.not_on_spark_because), entry.name)

