import argparse
import datetime as dt

import pytest

from config.errors import ConfigError
from config.settings import split_job_arguments
from factories.configuration import load_config

TODAY = dt.date(2025, 3, 31)


def load(argv=(), env=None, **kwargs):
    return load_config(["glue_job.py", *argv], env or {}, today=TODAY, **kwargs)


def test_defaults():
    config = load()
    assert config.repository_type == "simulated"
    assert config.start_date == dt.date(2025, 2, 28)  # one month before, clamped
    assert config.end_date == dt.date(2025, 3, 30)  # yesterday
    assert (config.database_name, config.collection_name) == ("conversations", "chat_data")
    assert config.s3_prefix == "training_data" and config.s3_bucket is None
    assert config.output_key_prefix == "training_data/2025-02-28_to_2025-03-30"
    assert config.data_name == "conversations_2025-02-28_to_2025-03-30.csv"
    assert (config.batch_size, config.simulated_sessions, config.simulation_seed) == (1000, 500, 42)
    assert config.max_reject_ratio == 0.05 and config.s3_sse == "AES256"


def test_argument_beats_environment_beats_default():
    env = {"DATABASE_NAME": "from_env", "COLLECTION_NAME": "env_collection"}
    config = load(["--DATABASE_NAME", "from_arg"], env)
    assert config.database_name == "from_arg"
    assert config.collection_name == "env_collection"
    assert load(["--DATABASE_NAME=equals"], env).database_name == "equals"


def test_glue_arguments_are_ignored():
    config = load(["--JOB_NAME", "nightly", "--JOB_RUN_ID", "jr_1", "--job-bookmark-option",
                   "job-bookmark-disable", "--TempDir", "s3://t/", "--enable-metrics",
                   "--SIMULATED_SESSIONS", "7"])
    assert (config.job_name, config.job_run_id, config.simulated_sessions) == ("nightly", "jr_1", 7)


def test_mongo_is_chosen_when_a_uri_or_secret_is_given():
    assert load(env={"MONGO_URI": "mongodb://h:1"}).repository_type == "mongo"
    assert load(env={"MONGO_SECRET_ID": "prod/mongo"}).repository_type == "mongo"
    assert load(["--REPOSITORY_TYPE", "simulated"], {"MONGO_URI": "mongodb://h"}
                ).repository_type == "simulated"


@pytest.mark.parametrize("argv, env, parameter", [
    (["--START_DATE", "2024-12-31", "--END_DATE", "2024-12-01"], {}, "START_DATE/END_DATE"),
    (["--START_DATE", "2024-1-01"], {}, "START_DATE"),
    (["--END_DATE", "2024-02-30"], {}, "END_DATE"),
    (["--START_DATE", "2023-01-01", "--END_DATE", "2024-01-02"], {}, "START_DATE/END_DATE"),
    (["--REPOSITORY_TYPE", "postgres"], {}, "REPOSITORY_TYPE"),
    (["--REPOSITORY_TYPE", "mongo"], {}, "MONGO_URI"),
    (["--REPOSITORY_TYPE", "file"], {}, "INPUT_PATH"),
    (["--REPOSITORY_TYPE", "file", "--INPUT_PATH", "/nonexistent/x.jsonl"], {}, "INPUT_PATH"),
    ([], {"MONGO_URI": "http://host"}, "MONGO_URI"),
    (["--SESSION_SCHEMA", "v3"], {}, "SESSION_SCHEMA"),
    (["--BATCH_SIZE", "0"], {}, "BATCH_SIZE"),
    (["--BATCH_SIZE", "ten"], {}, "BATCH_SIZE"),
    (["--SIMULATED_SESSIONS", "-1"], {}, "SIMULATED_SESSIONS"),
    (["--MAX_REJECT_RATIO", "1.5"], {}, "MAX_REJECT_RATIO"),
    (["--S3_SSE", "aes"], {}, "S3_SSE"),
    (["--S3_BUCKET", "Bad_Bucket"], {}, "S3_BUCKET"),
    (["--LOG_LEVEL", "LOUD"], {}, "LOG_LEVEL"),
    (["--THRESHOLDS", "{bad json"], {}, "THRESHOLDS"),
    (["--THRESHOLDS", '{"NOPE": 1}'], {}, "THRESHOLDS"),
    (["--THRESHOLDS", '{"TIMEOUT_LIMIT": "60"}'], {}, "THRESHOLDS"),
    (["--THRESHOLDS", '[1]'], {}, "THRESHOLDS"),
    (["--DATE_FIELD", "$where"], {}, "DATE_FIELD"),
    # a bucket and no source: never publish made-up sessions (a misspelt --MONGO_SECRET)
    ([], {"S3_BUCKET": "training-bucket"}, "MONGO_URI"),
    (["--MONGO_SECRET", "prod/mongo"], {"S3_BUCKET": "training-bucket"}, "MONGO_SECRET"),
    (["--S3_PREFIX", "../../x"], {}, "S3_PREFIX"),
    (["--S3_PREFIX", "/abs"], {}, "S3_PREFIX"),
    (["--S3_PREFIX", "a//b"], {}, "S3_PREFIX"),
    (["--S3_PREFIX", "a/../b"], {}, "S3_PREFIX"),
    (["--S3_PREFIX", "with space"], {}, "S3_PREFIX"),
    (["--THRESHOLDS", '{"TIMEOUT_LIMIT": 1' + "0" * 400 + "}"], {}, "THRESHOLDS"),
    (["--THRESHOLDS", '{"TIMEOUT_LIMIT": 1' + "0" * 400 + ".5}"], {}, "THRESHOLDS"),
    (["--THRESHOLDS", '{"TIMEOUT_LIMIT": ' + "9" * 5000 + "}"], {}, "THRESHOLDS"),
    (["--THRESHOLDS", "[" * 5000], {}, "THRESHOLDS"),
    (["--THRESHOLDS", "[" * 50000], {}, "THRESHOLDS"),
    (["--START_DATE", "9999-12-31", "--END_DATE", "9999-12-31"], {}, "START_DATE"),
    (["--START_DATE", "9999-12-01", "--END_DATE", "9999-12-31"], {}, "END_DATE"),
    (["--DATABASE_NAME", "a.b"], {}, "DATABASE_NAME"),
    (["--DATABASE_NAME", "a$b"], {}, "DATABASE_NAME"),
    (["--DATABASE_NAME", "a/b"], {}, "DATABASE_NAME"),
    (["--COLLECTION_NAME", "a$b"], {}, "COLLECTION_NAME"),
    (["--COLLECTION_NAME", "a/b"], {}, "COLLECTION_NAME"),
    (["--JOB_RUN_ID", "jr_\u00e9t\u00e9"], {}, "JOB_RUN_ID"),
    (["--JOB_NAME", "j" * 300], {}, "JOB_NAME"),
    (["--RUNS_COLLECTION", "runs$x"], {}, "RUNS_COLLECTION"),
    (["--RUNS_COLLECTION", "chat_data"], {}, "RUNS_COLLECTION"),  # the sessions collection
    (["--RUNS_INPUT_PATH", "/nonexistent/runs.jsonl"], {}, "RUNS_INPUT_PATH"),  # not a file run
])
def test_invalid_values_name_the_parameter(argv, env, parameter):
    with pytest.raises(ConfigError) as error:
        load(argv, env)
    assert error.value.parameter == parameter
    assert str(error.value).startswith(parameter + ":")
    assert "\n" not in str(error.value)


def test_a_year_long_range_is_allowed_in_a_leap_year():
    config = load(["--START_DATE", "2024-01-01", "--END_DATE", "2024-12-31"])
    assert (config.end_date - config.start_date).days == 365


def test_thresholds_override_only_the_names_given():
    config = load(["--THRESHOLDS", '{"TIMEOUT_LIMIT": 90, "EXCESSIVE_TOOLS_LIMIT": 5}'])
    assert config.thresholds.TIMEOUT_LIMIT == 90
    assert config.thresholds.EXCESSIVE_TOOLS_LIMIT == 5
    assert config.thresholds.EXTREME_TIME_LIMIT == 30.0


def test_the_uri_never_shows_in_the_config_repr():
    config = load(env={"MONGO_URI": "mongodb://u:hunter2@h"})
    assert "hunter2" not in repr(config)


def _get_resolved_options(argv, options):
    """Behaves like awsglue.utils.getResolvedOptions: parse_known_args, absent names raise."""
    parser = argparse.ArgumentParser()
    for option in options:
        parser.add_argument("--" + option, required=True)
    parsed, _ = parser.parse_known_args(argv[1:])
    return vars(parsed)


def test_glue_resolver_is_asked_only_for_names_present():
    asked = []

    def resolver(argv, options):
        asked.append(list(options))
        return _get_resolved_options(argv, options)

    config = load(["--JOB_NAME", "j", "--DATABASE_NAME", "db", "--TempDir", "s3://x"],
                  {"COLLECTION_NAME": "c"}, get_resolved_options=resolver)
    assert asked == [["DATABASE_NAME"]]  # Glue's own JOB_NAME is read by our parser
    assert (config.database_name, config.collection_name, config.job_name) == ("db", "c", "j")


def test_a_failing_glue_resolver_leaves_our_parsers_reading():
    def resolver(argv, options):
        raise SystemExit(2)

    config = load(["--DATABASE_NAME", "db", "--JOB_RUN_ID", "jr_9"],
                  get_resolved_options=resolver)
    assert (config.database_name, config.job_run_id) == ("db", "jr_9")


def test_job_arguments_handle_flags_without_values():
    ours, unknown = split_job_arguments(["--enable-metrics", "--DATABASE_NAME", "d",
                                         "--S3_PREFIX="])
    assert ours == {"DATABASE_NAME": "d", "S3_PREFIX": ""}
    assert unknown == ["enable-metrics"]


def test_runs_collection_and_runs_file(tmp_path):
    assert load().runs_collection == "auto"
    assert load(["--RUNS_COLLECTION", "NONE"]).runs_collection == "none"
    assert load(["--RUNS_COLLECTION", "my_runs"]).runs_collection == "my_runs"
    sessions, runs = tmp_path / "s.jsonl", tmp_path / "r.jsonl"
    sessions.write_text("")
    runs.write_text("")
    config = load(["--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(sessions),
                   "--RUNS_INPUT_PATH", str(runs)])
    assert (config.input_path, config.runs_input_path) == (str(sessions), str(runs))
    with pytest.raises(ConfigError) as error:
        load(["--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(sessions),
              "--RUNS_INPUT_PATH", str(tmp_path / "missing.jsonl")])
    assert error.value.parameter == "RUNS_INPUT_PATH"
    assert load(["--SESSION_SCHEMA", "agno_v3"]).session_schema == "agno_v3"


def test_simulated_output_may_reach_a_bucket_only_when_asked_for_by_name():
    config = load(["--REPOSITORY_TYPE", "simulated"], {"S3_BUCKET": "demo-bucket"})
    assert (config.repository_type, config.s3_bucket) == ("simulated", "demo-bucket")


def test_s3_prefix_accepts_nested_prefixes_and_a_trailing_slash():
    assert load(["--S3_PREFIX", "ml/agents/"]).output_key_prefix.startswith("ml/agents/2025")
    assert load(["--START_DATE", "9999-12-01", "--END_DATE", "9999-12-30"]
                ).end_date == dt.date(9999, 12, 30)


def test_the_readme_table_is_current_and_every_parameter_documented():
    import os

    from config.parameters import PARAMETERS
    from tests.support.cli import ROOT
    from tooling.docs import with_table

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert with_table(readme) == readme, "run `make docs`"
    assert all(p.meaning and p.default_text for p in PARAMETERS)



@pytest.mark.parametrize("argv, meant", [
    (["--END_DAT", "2024-12-05"], "END_DATE"), (["--start_date", "2024-12-01"], "START_DATE"),
    (["--MONGO_SECRET", "prod/x"], "MONGO_SECRET_ID"), (["--Batch-Size=10"], "BATCH_SIZE"),
    (["--OUTPUT_DIRR", "/tmp/x"], "OUTPUT_DIR"),
])
def test_a_misspelt_parameter_is_an_error_that_names_the_right_one(argv, meant):
    with pytest.raises(ConfigError) as error:
        load(argv)
    assert str(error.value).endswith("did you mean --{}?".format(meant))


def test_glues_own_arguments_pass_and_other_unknown_ones_are_a_warning(caplog):
    caplog.set_level("WARNING", logger="config.settings")  # whatever an earlier test left
    glue = ["--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_1", "--TempDir", "s3://t/", "--enable-metrics",
            "true", "--scriptLocation", "s3://s/glue_job.py", "--job-bookmark-option",
            "job-bookmark-disable", "--job-language", "python", "--WORKFLOW_RUN_ID", "w"]
    assert load(glue + ["--SIMULATED_SESSIONS", "3"]).simulated_sessions == 3
    assert "unknown_argument" not in caplog.text
    installer = ["--additional-python-modules", "s3://a/w.whl,pymongo==4.20.1",
                 "--python-modules-installer-option", "--upgrade", "--DATABASE_NAME", "d"]
    assert load(installer).database_name == "d"
    assert "unknown_argument" not in caplog.text
    load(["--totally-unrelated", "x"])
    assert "unknown_argument name=--totally-unrelated" in caplog.text


def test_help_lists_every_parameter_with_its_default():
    from config.parameters import PARAMETERS
    from config.settings import help_text

    text = help_text()
    assert all("--" + p.name in text for p in PARAMETERS)
    assert "default: yesterday (UTC)" in text and "Exit status: 0 success" in text


@pytest.mark.parametrize("uri, shown", [("http://host", "'http'"),
                                        ("user:Secr3t@host:27017", "'user'"),
                                        ("localhost:27017", "'localhost'")])
def test_a_uri_that_is_not_mongodb_says_what_it_starts_with_never_the_password(uri, shown):
    with pytest.raises(ConfigError) as error:
        load(env={"MONGO_URI": uri})
    message = str(error.value)
    assert message.startswith("MONGO_URI: {}... does not start with mongodb://".format(shown))
    assert "Secr3t" not in message and "MONGO_SECRET_ID" in message


def test_the_configuration_pickles_and_compares_by_value():
    import pickle

    config = load(["--SIMULATED_SESSIONS", "9"], {"MONGO_URI": "mongodb://u:pw@h/",
                                                 "REPOSITORY_TYPE": "simulated"})
    assert pickle.loads(pickle.dumps(config)) == config
    assert type(config).__module__ == "config.settings" and "pw" not in repr(config)


def test_job_config_has_one_field_per_parameter_in_order_and_hides_secrets():
    import dataclasses

    from config.parameters import PARAMETERS
    from config.settings import JobConfig

    fields = dataclasses.fields(JobConfig)
    derived = ["dates_given", "change_window"]  # what the run derives, after the parameters
    assert [f.name for f in fields] == [parameter.field for parameter in PARAMETERS] + derived
    assert [f.name for f in fields if not f.repr] == [p.field for p in PARAMETERS if p.secret]
    config = load(env={"MONGO_URI": "mongodb://u:hunter2@h"})
    assert "hunter2" not in repr(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.workers = 3


@pytest.mark.parametrize("argv, parameter", [
    (["--WORKERS", "1_0"], "WORKERS"), (["--BATCH_SIZE", "1_000"], "BATCH_SIZE"),
    (["--SIMULATED_SESSIONS", "\u0661\u0662"], "SIMULATED_SESSIONS"),
    (["--START_DATE", "2024-12-01", "--START_DATE", "2024-12-02"], "START_DATE"),
    (["--START_DATE=2024-12-01", "--START_DATE", "2024-12-02"], "START_DATE"),
    (["START_DATE=2024-12-01"], "arguments"), (["-START_DATE", "2024-12-01"], "arguments"),
    (["--THRESHOLDS", '{"TIMEOUT_LIMIT": 60, "TIMEOUT_LIMIT": 90}'], "THRESHOLDS"),
    (["--THRESHOLDS", '{"FAILURE_RATE_THRESHOLD": -1}'], "THRESHOLDS"),
    (["--THRESHOLDS", '{"BREAKDOWN_THRESHOLD": 1.5}'], "THRESHOLDS"),
    (["--THRESHOLDS", '{"TIMEOUT_LIMIT": -5}'], "THRESHOLDS"),
])
def test_what_would_run_with_another_meaning_than_intended_is_refused(argv, parameter):
    """WORKERS=1_0 ran 10 workers (int() takes underscores); a repeated parameter kept its
    last value; START_DATE=... without -- ran the default range; a duplicate THRESHOLDS
    name kept the last; a negative rate flagged every row."""
    with pytest.raises(ConfigError) as error:
        load(argv)
    assert error.value.parameter == parameter
    assert "\n" not in str(error.value)


def test_thresholds_accept_the_edges_of_their_ranges():
    config = load(["--THRESHOLDS", '{"FAILURE_RATE_THRESHOLD": 1, "BREAKDOWN_THRESHOLD": 0,'
                                   ' "TIMEOUT_LIMIT": 0}'])
    assert (config.thresholds.FAILURE_RATE_THRESHOLD, config.thresholds.BREAKDOWN_THRESHOLD,
            config.thresholds.TIMEOUT_LIMIT) == (1, 0, 0)


def test_a_value_with_a_line_break_cannot_forge_a_log_line(capsys):
    import logging

    from utils.logging_setup import configure_logging

    configure_logging("INFO")
    logging.getLogger("forge").info("file path=%s", "x\n2026-11-30 level=ERROR forged\r")
    lines = capsys.readouterr().err.splitlines()
    [line] = [line for line in lines if "logger=forge" in line]
    assert line.endswith("file path=x\\n2026-11-30 level=ERROR forged\\r")
    assert not any(line.startswith("2026-11-30 level=ERROR") for line in lines)


def test_a_connection_string_where_none_belongs_is_echoed_without_its_credentials():
    config = load(env={"MONGO_SECRET_ID": "mongodb://reader:xq/y9 s#cret@db:1/?tls=true"})
    assert config.echo()["MONGO_SECRET_ID"] == "mongodb://***@db:1/?tls=true"
    assert config.echo()["MONGO_URI"] is None
    assert load(env={"MONGO_SECRET_ID": "prod/agno/mongo"}).echo()["MONGO_SECRET_ID"] == (
        "prod/agno/mongo")


def test_the_formula_guard_is_for_csv_files_and_parquet_refuses_it():
    with pytest.raises(ConfigError) as refused:
        load(["--OUTPUT_FORMAT", "parquet", "--CSV_FORMULA_GUARD", "quote"])
    assert refused.value.parameter == "CSV_FORMULA_GUARD"
    assert load(["--OUTPUT_FORMAT", "csv", "--CSV_FORMULA_GUARD", "quote"]).csv_formula_guard == (
        "quote")
    with pytest.raises(ConfigError) as refused:
        load(["--OUTPUT_FORMAT", "orc"])
    assert refused.value.parameter == "OUTPUT_FORMAT"
