"""The partitioned layout over a real MongoDB-compatible server (FerretDB): an application
writes Agno 1.x, 2.x and 3.x sessions into one collection (and 3.x runs into `agno_runs`)
the way each release's storage does, over fourteen days; sessions gain runs across midnight
and days later, and Agno 3 runs complete after a pause without their session being saved.
After each daily run the dataset equals one built from scratch at that moment."""

import datetime as dt
import glob
import os
import random

import pytest

from factories.bootstrap import python_shell_engine
from factories.configuration import load_config
from services.dataset_job import run_job

pytestmark = pytest.mark.integration

START = dt.datetime(2024, 12, 1, 6, 0, tzinfo=dt.timezone.utc)
DAY = 86_400


class Application:
    """Sessions of three Agno releases, each saved as that release saves it."""

    def __init__(self, database, seed=5, sessions=36):
        self.database = database
        rng = random.Random(seed)
        self.events = []  # (time, kind, session number, run number)
        for number in range(sessions):
            shape = ("agno_v1", "agno_v2", "agno_v3")[number % 3]
            moment = int(START.timestamp()) + rng.randrange(0, 12 * DAY)
            for run in range(rng.randint(1, 4)):
                self.events.append((moment, "run", number, run, shape))
                if shape == "agno_v3" and rng.random() < 0.3:
                    self.events.append((moment + rng.randrange(3_600, 30 * 3_600), "complete",
                                        number, run, shape))
                moment += rng.choice((60, 600, 5 * 3_600, 20 * 3_600, 2 * DAY))
        self.events.sort()
        self.applied = 0
        self.runs = {}  # session number -> [run documents as the app knows them]

    def advance_to(self, now: int) -> None:
        while self.applied < len(self.events) and self.events[self.applied][0] <= now:
            moment, kind, number, run, shape = self.events[self.applied]
            self.applied += 1
            if kind == "run":
                self._save_run(moment, number, run, shape)
            else:
                self.database.agno_runs.update_one(
                    {"run_id": "s{}-r{}".format(number, run)},
                    {"$set": {"status": "COMPLETED", "run_data.status": "COMPLETED",
                              "updated_at": moment}})

    def _save_run(self, moment, number, run, shape):
        session_id = "session-{:03d}".format(number)
        tokens = 100 * (run + 1) + number
        runs = self.runs.setdefault(number, [])
        if shape == "agno_v1":
            runs.append({"run_id": "s{}-r{}".format(number, run), "created_at": moment,
                         "metrics": {"input_tokens": [tokens], "output_tokens": [7],
                                     "time": [1.0 + run]}, "status": "RUNNING"})
            # Agno 1.x builds the session anew and $sets all of it: created_at is the save
            self.database.agno_sessions.update_one(
                {"session_id": session_id},
                {"$set": {"session_id": session_id, "agent_id": "a1", "user_id": "u1",
                          "memory": {"runs": list(runs)}, "created_at": moment,
                          "updated_at": moment}}, upsert=True)
            return
        run_document = {"run_id": "s{}-r{}".format(number, run), "session_id": session_id,
                        "created_at": moment, "status": "COMPLETED",
                        "metrics": {"input_tokens": tokens, "output_tokens": 9,
                                    "total_tokens": tokens + 9, "duration": 2.0 + run}}
        if shape == "agno_v2":
            runs.append(run_document)
            self.database.agno_sessions.update_one(
                {"session_id": session_id},
                {"$set": {"runs": list(runs), "updated_at": moment},
                 "$setOnInsert": {"session_id": session_id, "session_type": "agent",
                                  "agent_id": "a2", "created_at": moment}}, upsert=True)
            return
        paused = any(event[1] == "complete" and event[2] == number and event[3] == run
                     for event in self.events)
        status = "PAUSED" if paused else "COMPLETED"
        self.database.agno_runs.insert_one({
            "run_id": run_document["run_id"], "session_id": session_id, "run_index": run,
            "status": status, "run_data": dict(run_document, status=status),
            "created_at": moment, "updated_at": moment})
        self.database.agno_sessions.update_one(
            {"session_id": session_id},
            {"$set": {"updated_at": moment},
             "$setOnInsert": {"session_id": session_id, "session_type": "agent",
                              "agent_id": "a3", "created_at": moment}}, upsert=True)


def run(mongo_server, database, output_dir, now, *extra):
    config = load_config(["glue_job.py", "--OUTPUT_LAYOUT", "partitioned", "--OUTPUT_DIR",
                          str(output_dir), "--SETTLE_MINUTES", "0", *extra],
                         {"MONGO_URI": mongo_server, "DATABASE_NAME": database.name,
                          "COLLECTION_NAME": "agno_sessions", "LOG_LEVEL": "WARNING"})
    engine, store = python_shell_engine(config)
    try:
        return run_job(config, engine, store, now=lambda: now)
    finally:
        engine.close()


def days(folder):
    found = {}
    for path in sorted(glob.glob(os.path.join(str(folder), "training_data", "dt=*",
                                              "part-*"))):
        with open(path, "rb") as handle:
            found[os.path.relpath(path, str(folder))] = handle.read()
    return found


def test_daily_runs_over_agno_1_2_and_3_equal_a_build_from_scratch(mongo_server,
                                                                  mongo_database, tmp_path):
    application = Application(mongo_database)
    for day in range(14):
        now = START + dt.timedelta(days=day)
        application.advance_to(int(now.timestamp()))
        run(mongo_server, mongo_database, tmp_path / "daily", now)
        scratch_folder = tmp_path / "scratch-{}".format(day)
        run(mongo_server, mongo_database, scratch_folder, now, "--START_DATE", "2024-11-01",
            "--END_DATE", now.date().isoformat())
        built, expected = days(tmp_path / "daily"), days(scratch_folder)
        assert built == expected, "day {}".format(day)
    applied = application.events[:application.applied]
    assert {kind for _, kind, *_ in applied} == {"run", "complete"}
    rows = [line.split(",") for content in built.values()
            for line in content.decode().splitlines()[1:]]
    session_ids = [row[0] for row in rows]
    assert len(session_ids) == len(set(session_ids)) > 20
    header = next(iter(built.values())).decode().splitlines()[0].split(",")
    for path, content in built.items():
        day_folder = path.split(os.sep)[1]
        for line in content.decode().splitlines()[1:]:
            row = dict(zip(header, line.split(",")))
            assert "dt=" + row["date"] == day_folder
    # Agno 1.x sessions saved again on a later day stay in their first run's day
    first_run = {}
    for moment, kind, number, _, shape in application.events:
        if kind == "run" and shape == "agno_v1":
            first_run.setdefault(number, moment)
    moved = [number for number, first in first_run.items()
             if mongo_database.agno_sessions.find_one(
                 {"session_id": "session-{:03d}".format(number)})["created_at"] // DAY
             != first // DAY]
    assert moved
    placed = {row[0]: row for row in rows}
    date_column = header.index("date")
    for number in moved:
        expected_day = dt.datetime.fromtimestamp(first_run[number], dt.timezone.utc).date()
        assert placed["session-{:03d}".format(number)][date_column] == expected_day.isoformat()


def test_a_run_completed_after_a_pause_is_read_again_by_its_runs_change(mongo_server,
                                                                        mongo_database,
                                                                        tmp_path):
    """Agno 3: the run's document changes (PAUSED -> COMPLETED), its session's does not;
    the next window selects the session through the runs collection."""
    moment = int(START.timestamp())
    mongo_database.agno_sessions.insert_one({
        "session_id": "paused", "session_type": "agent", "agent_id": "a3",
        "created_at": moment, "updated_at": moment + 30})
    mongo_database.agno_runs.insert_one({
        "run_id": "r0", "session_id": "paused", "run_index": 0, "status": "PAUSED",
        "run_data": {"status": "PAUSED", "created_at": moment, "content": "waiting",
                     "metrics": {"input_tokens": 10, "output_tokens": 2}},
        "created_at": moment, "updated_at": moment + 30})
    first = run(mongo_server, mongo_database, tmp_path, START + dt.timedelta(hours=1))
    assert first.stats.rows_written == 1
    mongo_database.agno_runs.update_one(
        {"run_id": "r0"}, {"$set": {"status": "ERROR", "run_data.status": "ERROR",
                                    "run_data.content": "tool failed",
                                    "updated_at": moment + 5 * 3_600}})
    before = days(tmp_path)
    second = run(mongo_server, mongo_database, tmp_path, START + dt.timedelta(hours=6))
    assert second.stats.documents_read == 1 and second.stats.rows_written == 1
    after = days(tmp_path)
    assert list(after) == list(before) and after != before
    header, row = next(iter(after.values())).decode().splitlines()
    assert dict(zip(header.split(","), row.split(",")))["failed_runs"] == "1"
    third = run(mongo_server, mongo_database, tmp_path, START + dt.timedelta(hours=12))
    assert third.stats.documents_read == 0
