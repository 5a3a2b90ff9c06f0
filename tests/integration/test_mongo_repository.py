"""The MongoDB source against a real server speaking the wire protocol (FerretDB, or
MONGO_TEST_URI)."""

import csv
import datetime as dt
import io
import json
import math
import time

import pytest
from bson import ObjectId

from calculators.columns import COLUMN_NAMES
from factories.configuration import load_config
from factories.mongo_connection import connect
from factories.sources.mongo import build_mongo_repository
from interfaces.errors import SourceError
from interfaces.ports import SessionRepository
from interfaces.values import DateRange, JoinedSession
from repositories.mongo_repository import MongoSessionRepository
from services.dataset_job import run_job
from services.engine_one_pass import OnePass
from tests.support.cli import run_job as run_cli
from tests.support.documents import DEC_1, v1_session, v2_session
from tests.support.pipeline import feature_rows
from tests.support.servers import FerretDB

pytestmark = pytest.mark.integration

DEC_RANGE = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))
END = DEC_1 + 31 * 86400


def config(mongo_uri, database, tmp_path, **env):
    values = {"MONGO_URI": mongo_uri, "DATABASE_NAME": database, "COLLECTION_NAME": "sessions",
              "START_DATE": "2024-12-01", "END_DATE": "2024-12-31", "OUTPUT_DIR": str(tmp_path),
              "BATCH_SIZE": "7"}
    values.update(env)
    return load_config(["glue_job.py"], values)


def repository(mongo_uri, database, tmp_path, project=True, **env):
    cfg = config(mongo_uri, database, tmp_path, **env)
    if project:
        return build_mongo_repository(cfg, mongo_uri)
    return MongoSessionRepository(connect(cfg, mongo_uri), cfg.database_name, cfg.collection_name,
                                  cfg.date_field, cfg.batch_size, "test", project=False)


def every_shape():
    documents = [v2_session("v2-%d" % i, DEC_1 + 100 + i, runs=3) for i in range(5)]
    documents += [v1_session("v1-%d" % i, DEC_1 + 200 + i) for i in range(5)]
    documents.append({"session_id": "legacy", "created_at": DEC_1 + 300, "memory": {"runs": [
        {"message": {"role": "user", "content": "hi"}, "messages": [{"role": "user"}],
         "response": {"metrics": {"input_tokens": [5], "output_tokens": [3], "time": [0.2]},
                      "status": "RUNNING", "messages": [{"content": "x" * 2000}]}}]}})
    documents += [
        {"session_id": "null-runs", "runs": None, "created_at": DEC_1 + 400},
        {"session_id": "no-runs", "memory": {"memories": [1]}, "created_at": DEC_1 + 401},
        {"session_id": "string-runs", "runs": "oops", "created_at": DEC_1 + 402},
        {"session_id": "scalar-run", "runs": [{"metrics": {}}, 3], "created_at": DEC_1 + 403},
        {"session_id": "text-metric", "runs": [{"metrics": {"input_tokens": "120",
                                                            "output_tokens": [1, None, "x"]}}],
         "agent_data": {"model": "gpt-4o"}, "created_at": DEC_1 + 404},
        {"session_id": "ms", "runs": [{"metrics": {"duration": 2}}],
         "created_at": (DEC_1 + 500) * 1000},
        {"session_id": "bson-date", "runs": [{"metrics": {"duration": 1},
                                              "created_at": dt.datetime(2024, 12, 2, 3)}],
         "created_at": dt.datetime(2024, 12, 2, 3)},
    ]
    return documents


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_job_against_the_server_gives_the_contract_features(mongo_server, mongo_database,
                                                              tmp_path):
    documents = every_shape()
    mongo_database.sessions.insert_many([dict(d) for d in documents])
    result = run_cli(env={"MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
                          "COLLECTION_NAME": "sessions", "START_DATE": "2024-12-01",
                          "END_DATE": "2024-12-31", "OUTPUT_DIR": str(tmp_path),
                          "MAX_REJECT_RATIO": "0.5", "BATCH_SIZE": "4"})
    assert result.returncode == 0, result.stderr
    assert (result.summary["documents_read"], result.summary["rows_written"],
            result.summary["rejects"]) == (len(documents), len(documents) - 2, 2)
    rows = read_csv(result.summary["outputs"]["csv"]["path"])
    assert list(rows[0]) == list(COLUMN_NAMES)
    # The same documents, computed in memory, in MongoDB's order: numbers, then dates.
    expected = [r for r in feature_rows(documents) if isinstance(r, dict)]
    order = [r["session_id"] for r in rows]
    assert order[-1] == "bson-date" and order[-2] == "ms"
    by_id = {r["session_id"]: r for r in expected}
    for row in rows:
        for name in COLUMN_NAMES:
            want = by_id[row["session_id"]][name]
            if isinstance(want, str):
                assert row[name] == want, (row["session_id"], name)
            elif math.isnan(want):
                assert row[name] == "", (row["session_id"], name)  # null: an empty cell
            else:
                assert float(row[name]) == pytest.approx(want, rel=1e-9), (row["session_id"], name)
    rejects = [json.loads(line) for line in open(result.summary["outputs"]["rejects"]["path"])]
    assert sorted(r["session_id"] for r in rejects) == ["scalar-run", "string-runs"]
    manifest = json.load(open(result.summary["outputs"]["manifest"]["path"]))
    assert manifest["source"] == {
        "type": "mongo", "hosts": mongo_server.split("//")[1].split("/")[0].split("@")[-1],
        "database": mongo_database.name, "collection": "sessions", "date_field": "created_at",
        "projection": "exclude-unread-fields", "session_schema": "auto",
        # no `sessions_runs` collection in this database: embedded runs only
        "runs": {"joined": False, "requested": "auto"}}


def test_date_boundaries_for_seconds_milliseconds_and_dates(mongo_server, mongo_database,
                                                            tmp_path):
    cases = {
        "start": DEC_1, "before-start": DEC_1 - 1, "last-second": END - 1, "next-day": END,
        "start-ms": DEC_1 * 1000, "before-start-ms": DEC_1 * 1000 - 1, "last-ms": END * 1000 - 1,
        "next-day-ms": END * 1000, "start-float": float(DEC_1),
        "start-date": dt.datetime(2024, 12, 1), "before-start-date": dt.datetime(2024, 11, 30, 23,
                                                                                 59, 59, 999000),
        "last-date": dt.datetime(2024, 12, 31, 23, 59, 59, 999000),
        "next-day-date": dt.datetime(2025, 1, 1), "as-text": "2024-12-05",
    }
    mongo_database.sessions.insert_many(
        [{"session_id": name, "created_at": value, "runs": []} for name, value in cases.items()])
    repo = repository(mongo_server, mongo_database.name, tmp_path)
    found = [d["session_id"] for d in repo.documents(DEC_RANGE)]
    repo.close()
    assert sorted(found) == sorted(["start", "last-second", "start-ms", "last-ms", "start-float",
                                    "start-date", "last-date"])
    assert found.index("last-second") < found.index("start-ms") < found.index("start-date")


def test_projection_changes_no_feature_and_saves_bytes(mongo_server, mongo_database, tmp_path):
    from repositories.simulated import SimulatedSessionRepository

    simulated = list(SimulatedSessionRepository(300, 5).documents(DEC_RANGE))
    # Agno 3 sessions go to the runs collection Agno pairs with `sessions`: `sessions_runs`
    mongo_database.sessions.insert_many(
        [i.document if isinstance(i, JoinedSession) else i for i in simulated] + every_shape())
    mongo_database.sessions_runs.insert_many(
        [run for i in simulated if isinstance(i, JoinedSession) for run in i.run_documents])
    projected = list(repository(mongo_server, mongo_database.name, tmp_path).documents(DEC_RANGE))
    whole = list(repository(mongo_server, mongo_database.name, tmp_path, project=False
                            ).documents(DEC_RANGE))
    assert sum(isinstance(i, JoinedSession) for i in projected) == sum(
        isinstance(i, JoinedSession) for i in simulated) > 50
    assert [document_of(d)["_id"] for d in projected] == [document_of(d)["_id"] for d in whole]
    rows = [str(r) for r in feature_rows(projected)]
    assert rows == [str(r) for r in feature_rows(whole)]
    # the simulated sessions give the rows they give in memory, joined the same way
    simulated_ids = {document_of(i)["_id"] for i in simulated}
    assert [str(r) for r in feature_rows(
        [i for i in projected if document_of(i)["_id"] in simulated_ids])] == [
        str(r) for r in feature_rows(simulated)]
    projected_bytes = sum(len(encoded(d)) for d in projected)
    whole_bytes = sum(len(encoded(d)) for d in whole)
    assert projected_bytes < 0.6 * whole_bytes


def document_of(item):
    return item.document if isinstance(item, JoinedSession) else item


def encoded(item):
    import bson
    if isinstance(item, JoinedSession):
        return bson.encode(item.document) + b"".join(map(bson.encode, item.run_documents))
    return bson.encode(item)


def test_order_is_date_then_id_and_repeatable(mongo_server, mongo_database, tmp_path):
    ids = [ObjectId() for _ in range(20)]
    mongo_database.sessions.insert_many(
        [v2_session("s%d" % i, DEC_1 + (i % 3), _id=ids[i]) for i in reversed(range(20))])
    repo = repository(mongo_server, mongo_database.name, tmp_path)
    first = [(d["created_at"], d["_id"]) for d in repo.documents(DEC_RANGE)]
    second = [(d["created_at"], d["_id"]) for d in repo.documents(DEC_RANGE)]
    assert first == sorted(first) == second and len(first) == 20


def test_empty_range_is_a_header_only_csv_and_exit_0(mongo_server, mongo_database, tmp_path):
    mongo_database.sessions.insert_one(v2_session("elsewhere", DEC_1 - 86400 * 40))
    result = run_cli(["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"], env={
        "MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
        "COLLECTION_NAME": "sessions", "OUTPUT_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.summary["rows_written"] == 0
    assert open(result.summary["outputs"]["csv"]["path"]).read() == ",".join(COLUMN_NAMES) + "\n"


def test_a_very_large_session_document(mongo_server, mongo_database, tmp_path):
    big = v2_session("big", DEC_1 + 10, runs=4000)
    for run in big["runs"]:
        run["messages"] = [{"role": "assistant", "content": "y" * 2500}]
    mongo_database.sessions.insert_one(big)
    repo = repository(mongo_server, mongo_database.name, tmp_path)
    [document] = list(repo.documents(DEC_RANGE))
    [row] = feature_rows([document])
    assert row["total_runs"] == 4000 and row["sum_input_tokens"] == 100 * 4000 * 4001 / 2


def test_unreachable_server_exits_1_quickly_naming_the_host_not_the_password(tmp_path):
    from tests.support.servers import free_port

    port = free_port()
    started = time.monotonic()
    result = run_cli(env={"MONGO_URI": "mongodb://reader:S3cretPassw0rd@127.0.0.1:%d/" % port,
                          "OUTPUT_DIR": str(tmp_path), "START_DATE": "2024-12-01",
                          "END_DATE": "2024-12-31"})
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert result.summary["error"] == (
        "MongoDB at 127.0.0.1:{} not reachable (no server answered within 20 s; check the "
        "host, the network path and TLS): 127.0.0.1:{}: [Errno 111] Connection refused".format(
            port, port))
    assert "Topology" not in result.summary["error"]
    assert "socketTimeoutMS" not in result.summary["error"]
    assert "S3cretPassw0rd" not in result.stdout + result.stderr
    assert not list(tmp_path.rglob("_manifest.json"))
    assert elapsed < 60  # a bound on a hang, not a performance figure


def test_server_stopped_while_the_cursor_is_read(tmp_path):
    server = FerretDB(str(tmp_path / "ferret")).start()
    try:
        from pymongo import MongoClient
        client = MongoClient(server.uri)
        client.db.sessions.insert_many([v2_session("s%d" % i, DEC_1 + i) for i in range(400)])
        client.close()
        cfg = config(server.uri, "db", tmp_path / "out", BATCH_SIZE="20")
        repo = build_mongo_repository(cfg, server.uri)

        class StopsServerMidway(SessionRepository):
            def documents(self, date_range):
                for count, document in enumerate(repo.documents(date_range)):
                    if count == 50:
                        server.stop()
                    yield document

            def describe(self):
                return repo.describe()

        with pytest.raises(SourceError, match="MongoDB read from 127.0.0.1"):
            run_job(cfg, OnePass(StopsServerMidway()))
        repo.close()
    finally:
        server.stop()
    assert not list((tmp_path / "out").rglob("_manifest.json"))
    assert not list((tmp_path / "out").rglob("*.csv"))


def test_uri_from_secrets_manager(mongo_server, mongo_database, aws, tmp_path):
    import boto3
    boto3.client("secretsmanager").create_secret(
        Name="prod/agno/mongo", SecretString=json.dumps({"uri": mongo_server}))
    mongo_database.sessions.insert_many([v2_session("s%d" % i, DEC_1 + i) for i in range(3)])
    result = run_cli(env=dict(aws, MONGO_SECRET_ID="prod/agno/mongo",
                              DATABASE_NAME=mongo_database.name, COLLECTION_NAME="sessions",
                              START_DATE="2024-12-01", END_DATE="2024-12-31",
                              OUTPUT_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.summary["rows_written"] == 3
    missing = run_cli(env=dict(aws, MONGO_SECRET_ID="prod/none", OUTPUT_DIR=str(tmp_path)))
    assert missing.returncode == 1
    assert missing.summary["error"] == (
        "cannot read secret prod/none: ResourceNotFoundException")


def test_csv_rows_parse_as_74_fields(mongo_server, mongo_database, tmp_path):
    mongo_database.sessions.insert_many(every_shape())
    result = run_cli(env={"MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
                          "COLLECTION_NAME": "sessions", "START_DATE": "2024-12-01",
                          "END_DATE": "2024-12-31", "OUTPUT_DIR": str(tmp_path),
                          "MAX_REJECT_RATIO": "1"})
    text = open(result.summary["outputs"]["csv"]["path"], encoding="utf-8").read()
    assert all(len(r) == len(COLUMN_NAMES) for r in csv.reader(io.StringIO(text)))


def test_a_date_beyond_python_reaches_the_normaliser_as_no_time(mongo_server, mongo_database,
                                                                 tmp_path):
    from bson.datetime_ms import DatetimeMS

    year_10000 = DatetimeMS(253402300800000 + 86400000)  # 10000-01-02
    document = v2_session("far", DEC_1 + 10)
    document["runs"][0]["created_at"] = year_10000
    document["updated_at"] = year_10000
    mongo_database.sessions.insert_many([document, v2_session("near", DEC_1 + 20)])
    result = run_cli(["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"], env={
        "MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
        "COLLECTION_NAME": "sessions", "OUTPUT_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(result.summary["outputs"]["csv"]["path"])))
    assert [row["session_id"] for row in rows] == ["far", "near"]
    assert rows[0]["session_start"] == "2024-12-01T00:00:10Z"  # the session's created_at
    assert result.summary["warnings"]["unreadable_timestamp"] == 2


def test_the_server_reads_numbers_by_the_milliseconds_rule_too(mongo_server, mongo_database,
                                                               tmp_path):
    mongo_database.sessions.insert_many([
        v2_session("2024-in-seconds", 1733011200), v2_session("1970-in-seconds", 1728000),
        v2_session("1970-in-milliseconds", 1728000000)])
    january_21_1970 = DateRange(dt.date(1970, 1, 21), dt.date(1970, 1, 21))
    repo = repository(mongo_server, mongo_database.name, tmp_path)
    assert [d["session_id"] for d in repo.documents(january_21_1970)] == ["1970-in-seconds"]


def test_a_long_glue_job_name_is_not_blamed_on_the_uri(mongo_server, mongo_database, tmp_path):
    mongo_database.sessions.insert_one(v2_session("one", DEC_1 + 5))
    result = run_cli(["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
                      "--JOB_NAME", "nightly-" + "x" * 192], env={
        "MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
        "COLLECTION_NAME": "sessions", "OUTPUT_DIR": str(tmp_path)})
    assert result.returncode == 0, result.summary
    assert result.summary["rows_written"] == 1 and len(result.summary["job_name"]) == 200


def test_progress_knows_the_total_from_the_server_and_debug_shows_the_queries(
        mongo_server, mongo_database, tmp_path):
    mongo_database.sessions.insert_many([v2_session("s%d" % i, DEC_1 + i) for i in range(30)])
    env = {"MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
           "COLLECTION_NAME": "sessions", "OUTPUT_DIR": str(tmp_path), "LOG_LEVEL": "DEBUG"}
    result = run_cli(["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"], env=env)
    assert result.returncode == 0, result.stderr
    assert "sessions_in_range count=30" in result.stderr
    assert "sessions_query collection={}.sessions filter=".format(mongo_database.name) in \
        result.stderr and '"runs.messages": 0' in result.stderr
    assert "configuration {" in result.stderr and "feature_batch sessions=30" in result.stderr
    skipped = run_cli(["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
                       "--PROGRESS_TOTAL", "false"], env=dict(env, LOG_LEVEL="INFO"))
    assert skipped.returncode == 0 and "sessions_in_range" not in skipped.stderr


def test_a_dotted_date_field_selects_the_same_documents_from_mongodb_and_a_file(
        mongo_server, mongo_database, tmp_path):
    from bson import json_util

    documents = [dict(v2_session("n%d" % i, DEC_1 + i), meta={"created": DEC_1 + 60 * i})
                 for i in range(10)]
    documents.append(dict(v2_session("november", DEC_1), meta={"created": DEC_1 - 86400}))
    mongo_database.nested.insert_many([dict(d) for d in documents])
    path = tmp_path / "nested.jsonl"
    path.write_text("".join(json_util.dumps(d) + "\n" for d in documents))
    summaries = []
    for environment in ({"MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
                         "COLLECTION_NAME": "nested", "RUNS_COLLECTION": "none"},
                        {"REPOSITORY_TYPE": "file", "INPUT_PATH": str(path)}):
        result = run_cli(["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
                          "--DATE_FIELD", "meta.created", "--OUTPUT_DIR",
                          str(tmp_path / environment.get("REPOSITORY_TYPE", "mongo"))],
                         env=environment)
        assert result.returncode == 0, result.stderr[-2000:]
        summaries.append(result.summary)
        rows = read_csv(result.summary["outputs"]["csv"]["path"])
        assert [row["session_id"] for row in rows] == ["n%d" % i for i in range(10)]
    assert summaries[0]["rows_written"] == summaries[1]["rows_written"] == 10


def test_a_misspelt_collection_or_database_is_named_not_taken_for_an_empty_range(
        mongo_server, mongo_database, tmp_path):
    mongo_database.agno_sessions.insert_one(v2_session("s", DEC_1))
    mongo_database.other.insert_one({"x": 1})
    for database, collection, says in (
            (mongo_database.name, "agno_sesions", "its collections: agno_sessions, other"),
            (mongo_database.name + "x", "agno_sessions", "which has no collections")):
        result = run_cli(["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
                          "--OUTPUT_DIR", str(tmp_path / database)],
                         env={"MONGO_URI": mongo_server, "DATABASE_NAME": database,
                              "COLLECTION_NAME": collection})
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.summary["note"] == (
            "collection {} does not exist in database {} ({}): check COLLECTION_NAME and "
            "DATABASE_NAME".format(collection, database, says))
        assert "collection_missing" in result.stderr
