"""Agno 3 data written by Agno 3.1.10's own storage code, read by the job from FerretDB.

tests/support/agno_writer.py runs in the test-only environment .venv-agno (`make
agno-env`) and persists sessions and runs with `MongoDb.upsert_session` / `upsert_run`.
Every expected value below is worked out by hand from what that script writes.
"""

import csv
import io
import json
import os
import subprocess
import uuid

import pytest

from tests.support.cli import ROOT
from tests.support.cli import run_job as run_cli

pytestmark = pytest.mark.integration

AGNO_PYTHON = os.environ.get("AGNO_PYTHON") or os.path.join(ROOT, ".venv-agno", "bin", "python")
RANGE = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"]


@pytest.fixture(scope="module")
def agno_database(mongo_server):
    assert os.path.exists(AGNO_PYTHON), "no Agno environment at {}: run `make agno-env`".format(
        AGNO_PYTHON)
    from pymongo import MongoClient

    name = "agno3_" + uuid.uuid4().hex[:8]
    subprocess.run([AGNO_PYTHON, os.path.join(ROOT, "tests", "support", "agno_writer.py"),
                    mongo_server, name], check=True, capture_output=True, timeout=300)
    yield mongo_server, name
    client = MongoClient(mongo_server)
    client.drop_database(name)
    client.close()


def run(agno_database, tmp_path, *args, **env):
    uri, database = agno_database
    result = run_cli(list(RANGE) + list(args), env=dict(
        {"MONGO_URI": uri, "DATABASE_NAME": database, "COLLECTION_NAME": "agno_sessions",
         "OUTPUT_DIR": str(tmp_path)}, **env))
    rows = {}
    if result.returncode == 0:
        with open(result.summary["outputs"]["csv"]["path"], encoding="utf-8") as handle:
            rows = {row["session_id"]: row for row in csv.DictReader(handle)}
    return result, rows


def manifest_of(result):
    with open(result.summary["outputs"]["manifest"]["path"], encoding="utf-8") as handle:
        return json.load(handle)


def assert_row(row, expected):
    for name, value in expected.items():
        if isinstance(value, str):
            assert row[name] == value, name
        else:
            assert float(row[name]) == pytest.approx(value, rel=1e-9), name


def test_agent_team_and_half_migrated_sessions_by_hand(agno_database, tmp_path):
    result, rows = run(agno_database, tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(rows) == ["agno3-agent", "agno3-migrated", "agno3-team"]
    # runs a-1, a-2 (failed, timed out, no tokens), a-3: tot [120, 0, 1200], time [2, 5, 3]
    assert_row(rows["agno3-agent"], {
        "schema": "agno_v3", "agent_name": "Weather Agent", "model_id": "gpt-4o",
        "model_provider": "OpenAI", "user_id": "u-1", "total_runs": 3,
        "sum_total_tokens": 1320, "sum_input_tokens": 1000, "sum_output_tokens": 320,
        "avg_total_tokens": 440, "max_token_growth_rate": 10, "explosive_growth_events": 1,
        "avg_tokens_per_second": 230, "min_tokens_per_second": 60,
        "max_tokens_per_second": 400, "speed_inconsistency_ratio": 400 / 60,
        "failed_runs": 1, "timeout_frequency": 1 / 3, "timeout_flag": 1,
        "degradation_score": 0.5, "total_tool_calls": 2, "duplicate_tool_calls": 1,
        "duplicate_tools_score": 0.5, "cost": 0.01,
        "session_start": "2024-12-02T00:00:10Z", "session_end": "2024-12-02T00:02:10Z",
        "session_duration_seconds": 120, "avg_inter_run_gap_seconds": 60})
    # the team's run and its member's run; the member's tool failed with a timeout
    assert_row(rows["agno3-team"], {
        "schema": "agno_v3", "agent_name": "Research Team", "model_id": "claude-sonnet-4-5",
        "model_provider": "Anthropic", "total_runs": 2, "sum_total_tokens": 800,
        "avg_tokens_per_second": (125 + 200) / 2, "tool_error_count": 1, "total_errors": 1,
        "timeout_frequency": 0.5, "failed_runs": 0, "distinct_tools": 1})
    # embedded [h-0 (only there), h-1 (stale: 10 tokens, RUNNING)] + collection [h-1, h-2]:
    # h-0 100, h-1 from the collection 200, then h-2 800
    assert_row(rows["agno3-migrated"], {
        "schema": "agno_v3", "total_runs": 3, "sum_total_tokens": 1100,
        "max_token_growth_rate": 4, "explosive_growth_events": 0, "max_execution_time": 4,
        "session_start": "2024-12-02T01:58:20Z", "session_end": "2024-12-02T02:01:40Z"})
    manifest = manifest_of(result)
    runs = manifest["source"]["runs"]
    assert (runs["joined"], runs["collection"], runs["documents_read"]) == (True, "agno_runs", 7)
    assert manifest["shapes"]["agno_v3"] == 3
    assert "sessions_without_runs" not in manifest["warnings"]


def test_a_custom_sessions_collection_joins_its_own_runs_collection(agno_database, tmp_path):
    result, rows = run(agno_database, tmp_path, COLLECTION_NAME="support_sessions")
    assert result.returncode == 0, result.stderr
    assert_row(rows["agno3-custom"], {"schema": "agno_v3", "total_runs": 1,
                                      "sum_total_tokens": 40, "agent_name": "Support Agent"})
    assert manifest_of(result)["source"]["runs"]["collection"] == "support_sessions_runs"


def test_without_the_runs_collection_the_job_warns_instead_of_writing_silent_zeros(
        agno_database, tmp_path):
    result, rows = run(agno_database, tmp_path, RUNS_COLLECTION="none")
    assert result.returncode == 0, result.stderr
    assert rows["agno3-agent"]["schema"] == "empty"
    assert rows["agno3-migrated"]["schema"] == "agno_v2"  # its stale embedded runs only
    assert result.summary["warnings"]["sessions_without_runs"] == 2
    assert manifest_of(result)["warnings"]["sessions_without_runs"] == 2
    assert "RUNS_COLLECTION" in result.stderr and "Agno 3" in result.stderr


def test_a_runs_collection_that_does_not_exist(agno_database, tmp_path):
    named, _ = run(agno_database, tmp_path, RUNS_COLLECTION="no_such_runs")
    assert named.returncode == 2
    assert "RUNS_COLLECTION" in named.summary["error"] and "no_such_runs" in named.summary["error"]
    # auto: a sessions collection whose runs collection is absent reads embedded runs only
    automatic, _ = run(agno_database, tmp_path, COLLECTION_NAME="agno_runs_absent")
    assert automatic.returncode == 0, automatic.stderr
    assert manifest_of(automatic)["source"]["runs"]["joined"] is False


def test_forced_agno_v3_schema(agno_database, tmp_path):
    result, rows = run(agno_database, tmp_path, SESSION_SCHEMA="agno_v3")
    assert result.returncode == 0, result.stderr
    assert {row["schema"] for row in rows.values()} == {"agno_v3"} and len(rows) == 3


def test_run_documents_arrive_without_their_messages(agno_database, tmp_path):
    from factories.configuration import load_config
    from factories.sources.mongo import build_mongo_repository
    from repositories.mongo_repository import MongoRunsCollection

    uri, database = agno_database
    config = load_config(["glue_job.py"], {"MONGO_URI": uri, "DATABASE_NAME": database,
                                           "COLLECTION_NAME": "agno_sessions",
                                           "OUTPUT_DIR": str(tmp_path)})
    repository = build_mongo_repository(config, uri)
    try:
        runs = list(MongoRunsCollection(repository, "agno_runs").runs_of(["agno3-agent"]))
    finally:
        repository.close()
    assert [run["run_id"] for run in runs] == ["a-1", "a-2", "a-3"]
    assert all("messages" not in run["run_data"] and "metrics" in run["run_data"]
               for run in runs)
    text = io.StringIO()
    json.dump([run["run_data"] for run in runs], text, default=str)
    assert "tool_name" in text.getvalue()
