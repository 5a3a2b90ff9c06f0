"""The partitioned layout as a scheduled job leaves it: daily runs over the evolving simulated
world, published to a real S3 endpoint (moto's server), read back as Athena would (DuckDB
over httpfs), interrupted and run again."""

import datetime as dt
import glob
import json
import os
import subprocess
import sys
import sysconfig

import boto3
import pytest

from interfaces.values import ChangeWindow
from repositories.simulated.world import SECONDS_PER_DAY, EvolvingWorld
from tests.support.cli import ROOT, run_job

pytestmark = pytest.mark.integration

duckdb = pytest.importorskip("duckdb")

BUCKET = "dataset"
SESSIONS_A_DAY = 60
WORLD = ["--REPOSITORY_TYPE", "simulated", "--SIMULATED_SESSIONS", str(SESSIONS_A_DAY),
         "--OUTPUT_LAYOUT", "partitioned"]
FIRST_RUN = dt.datetime(2024, 12, 1, 3, 0, tzinfo=dt.timezone.utc)
# What the first run reads with no watermark: from the same day a month earlier.
DEFAULT_START = "2024-11-01"


def moment(day: int) -> dt.datetime:
    return FIRST_RUN + dt.timedelta(days=day)


def iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def partitions(s3, prefix):
    """{dt=.../part-...: bytes} of the dataset under `prefix` (metadata left out: the
    `_` folders and each day's `_profile.json`)."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
        for item in page.get("Contents", ()):
            relative = item["Key"][len(prefix) + 1:]
            if not any(part.startswith("_") for part in relative.split("/")):
                found[relative] = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
    return found


def local_partitions(folder):
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "dt=*", "part-*"))):
        with open(path, "rb") as handle:
            found[os.path.relpath(path, folder)] = handle.read()
    return found


def httpfs(connection, endpoint):
    """DuckDB reading moto's S3 through httpfs, loaded from the wheel's file."""
    found = glob.glob(os.path.join(sysconfig.get_paths()["purelib"], "duckdb_ext", "extensions",
                                   "v*", "*", "httpfs.duckdb_extension"))
    assert found, "duckdb-ext-httpfs is not installed (requirements-dev.txt)"
    connection.execute("LOAD '{}'".format(found[0]))
    host = endpoint.split("://", 1)[1]
    connection.execute("CREATE SECRET moto (TYPE s3, KEY_ID 'testing', SECRET 'testing', "
                       "REGION 'us-east-1', ENDPOINT '{}', URL_STYLE 'path', USE_SSL false)"
                       .format(host))


def test_fourteen_daily_runs_leave_the_dataset_a_build_from_scratch_gives(aws, tmp_path,
                                                                         moto_server):
    """After each daily run the dataset equals, byte for byte, one built from scratch over
    every change up to that moment; Athena's view of it holds each session once; an Agno
    1.x session, whose created_at moves on every save, stays in the day of its first run."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    # No settle time: the simulated present has no writes in flight, and a build from
    # scratch at the same moment then sees exactly what the daily runs saw.
    common = WORLD + ["--S3_BUCKET", BUCKET, "--OUTPUT_FORMAT", "parquet",
                      "--SETTLE_MINUTES", "0"]
    for day in range(14):
        now = moment(day)
        daily = run_job(common + ["--S3_PREFIX", "daily", "--SIMULATED_NOW", iso(now),
                                  "--OUTPUT_DIR", str(tmp_path / "daily"),
                                  "--JOB_RUN_ID", "daily-{}".format(day)], env=aws)
        assert daily.returncode == 0, daily.stdout + daily.stderr
        scratch = run_job(common + ["--S3_PREFIX", "scratch-{}".format(day),
                                    "--SIMULATED_NOW", iso(now), "--START_DATE", DEFAULT_START,
                                    "--END_DATE", now.date().isoformat(),
                                    "--OUTPUT_DIR", str(tmp_path / "scratch"),
                                    "--JOB_RUN_ID", "scratch-{}".format(day)], env=aws)
        assert scratch.returncode == 0, scratch.stdout + scratch.stderr
        built, expected = partitions(s3, "daily"), partitions(s3, "scratch-{}".format(day))
        assert sorted(built) == sorted(expected)
        assert built == expected, "day {}: {} partitions differ".format(
            day, sum(built[key] != expected[key] for key in built))
        if day:
            # a daily window is the last day plus the lookback, not the month again
            assert daily.summary["documents_read"] < 2 * SESSIONS_A_DAY
    manifest = json.loads(s3.get_object(
        Bucket=BUCKET, Key="daily/_runs/daily-13/_manifest.json")["Body"].read())
    assert manifest["window"]["from"] == iso(moment(12) - dt.timedelta(minutes=15))
    assert manifest["window"]["to"] == iso(moment(13))
    assert manifest["watermark"] == iso(moment(13))
    watermark = json.loads(s3.get_object(
        Bucket=BUCKET, Key="daily/_state/watermark.json")["Body"].read())
    assert watermark["watermark"] == iso(moment(13))

    connection = duckdb.connect()
    httpfs(connection, moto_server.endpoint)
    table = "read_parquet('s3://{}/daily/dt=*/*.parquet', hive_partitioning = true)".format(
        BUCKET)
    rows, sessions, misplaced = connection.execute(
        "SELECT count(*), count(DISTINCT session_id), count(*) FILTER (WHERE "
        "CAST(dt AS DATE) <> date) FROM {}".format(table)).fetchone()
    assert rows == sessions > 13 * SESSIONS_A_DAY
    assert misplaced == 0
    duplicates = connection.execute("SELECT count(*) FROM (SELECT session_id FROM {} GROUP BY "
                                    "session_id HAVING count(*) > 1)".format(table)).fetchone()
    assert duplicates == (0,)

    world = EvolvingWorld(SESSIONS_A_DAY, 42, moment(13))
    moved = []
    for day in range(int(moment(0).timestamp()) // SECONDS_PER_DAY,
                     int(moment(11).timestamp()) // SECONDS_PER_DAY):
        for number in range(SESSIONS_A_DAY):
            life = world.life(day, number)
            if (life.plan.shape == "agno_v1" and life.plan.profile == "normal"
                    and len(life.plan.run_times) > 1
                    and life.last_save(world.now) // SECONDS_PER_DAY != day):
                moved.append(life)
    assert moved, "the world has Agno 1.x sessions saved again on a later day"
    for life in moved:
        document, _ = world.session_at_now(life, world.object_id(life))
        assert document["created_at"] // SECONDS_PER_DAY != day_of(life.plan.run_times[0])
        found = connection.execute(
            "SELECT dt FROM {} WHERE session_id = ?".format(table),
            [life.plan.session_id]).fetchall()
        first_run_day = dt.date(1970, 1, 1) + dt.timedelta(days=day_of(life.plan.run_times[0]))
        assert [str(value) for value, in found] == [first_run_day.isoformat()]


def day_of(seconds: int) -> int:
    return seconds // SECONDS_PER_DAY


def test_the_same_window_twice_changes_no_object(aws, tmp_path):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    arguments = WORLD + ["--S3_BUCKET", BUCKET, "--S3_PREFIX", "twice", "--OUTPUT_DIR",
                         str(tmp_path), "--SIMULATED_NOW", iso(moment(3)), "--START_DATE",
                         "2024-11-25", "--END_DATE", "2024-12-04"]
    first = run_job(arguments + ["--JOB_RUN_ID", "first"], env=aws)
    assert first.returncode == 0, first.stderr
    etags = {item["Key"]: item["ETag"] for item in s3.list_objects_v2(
        Bucket=BUCKET, Prefix="twice/dt=")["Contents"]}
    second = run_job(arguments + ["--JOB_RUN_ID", "second"], env=aws)
    assert second.returncode == 0, second.stderr
    assert {item["Key"]: item["ETag"] for item in s3.list_objects_v2(
        Bucket=BUCKET, Prefix="twice/dt=")["Contents"]} == etags
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key="twice/_runs/second/_manifest.json")
                          ["Body"].read())
    assert manifest["partitions"] and not any(p["changed"] for p in manifest["partitions"])
    assert manifest["rows_written"] == first.summary["rows_written"]
    # a backfill leaves the watermark to the scheduled runs
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="twice/_state/watermark")


def killed_job(arguments, env, at):
    """The job with SIGKILL before its `at`-th write to the store (tests/support)."""
    process = subprocess.run(
        [sys.executable, "-m", "tests.support.killed_publish", "SIGKILL", "store", str(at),
         "--", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return process.returncode


@pytest.mark.parametrize("killed_at", [2, 5])
def test_a_run_killed_between_partitions_converges_on_the_next_run(aws, tmp_path, killed_at):
    """Killed after some days were replaced: those days are new, the others old, the
    watermark old; the next run reads the same changes again and the dataset is the one
    uninterrupted runs give."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    common = WORLD + ["--S3_BUCKET", BUCKET, "--OUTPUT_DIR", str(tmp_path)]
    for prefix in ("whole", "killed"):
        first = run_job(common + ["--S3_PREFIX", prefix, "--SIMULATED_NOW", iso(moment(0))],
                        env=aws)
        assert first.returncode == 0, first.stderr
    before = partitions(s3, "killed")
    status = killed_job(common + ["--S3_PREFIX", "killed", "--SIMULATED_NOW", iso(moment(2))],
                        aws, killed_at)
    assert status == -9
    after_kill = partitions(s3, "killed")
    replaced = [key for key in after_kill if after_kill[key] != before.get(key)]
    assert 0 < len(replaced) < killed_at  # some days new, the rest as they were
    watermark = json.loads(s3.get_object(Bucket=BUCKET, Key="killed/_state/watermark.json")
                           ["Body"].read())
    assert watermark["watermark"] == iso(moment(0) - dt.timedelta(minutes=5))
    for prefix in ("whole", "killed"):
        later = run_job(common + ["--S3_PREFIX", prefix, "--SIMULATED_NOW", iso(moment(3))],
                        env=aws)
        assert later.returncode == 0, later.stderr
    assert partitions(s3, "killed") == partitions(s3, "whole")


def test_one_process_and_workers_write_the_same_partitions(tmp_path):
    arguments = WORLD + ["--OUTPUT_FORMAT", "parquet", "--SIMULATED_NOW", iso(moment(5)),
                         "--START_DATE", "2024-11-20", "--END_DATE", "2024-12-06"]
    one = run_job(arguments + ["--OUTPUT_DIR", str(tmp_path / "one")])
    assert one.returncode == 0, one.stderr
    workers = run_job(arguments + ["--OUTPUT_DIR", str(tmp_path / "workers"), "--WORKERS", "2"])
    assert workers.returncode == 0, workers.stderr
    written = local_partitions(str(tmp_path / "one" / "training_data"))
    assert len(written) > 10
    assert local_partitions(str(tmp_path / "workers" / "training_data")) == written


def test_a_session_without_any_time_is_a_reject(tmp_path):
    """No run time and no created_at: no day can hold it."""
    sessions = tmp_path / "sessions.jsonl"
    sessions.write_text(
        json.dumps({"_id": "a", "session_id": "timed", "created_at": 1733011200,
                    "updated_at": 1733011260, "runs": []}) + "\n"
        + json.dumps({"_id": "b", "session_id": "untimed", "updated_at": 1733011260,
                      "runs": []}) + "\n")
    result = run_job(["--INPUT_PATH", str(sessions), "--OUTPUT_LAYOUT", "partitioned",
                      "--START_DATE", "2024-12-01", "--END_DATE", "2024-12-01",
                      "--OUTPUT_DIR", str(tmp_path / "out"), "--JOB_RUN_ID", "r1",
                      "--MAX_REJECT_RATIO", "1"])
    assert result.returncode == 0, result.stderr
    assert result.summary["rows_written"] == 1 and result.summary["rejects"] == 1
    rejects = (tmp_path / "out" / "training_data" / "_runs" / "r1" / "_rejects.jsonl").read_text()
    assert json.loads(rejects) == {"_id": None, "session_id": "untimed",
                                   "reason": "no_session_time"}
    day = (tmp_path / "out" / "training_data" / "dt=2024-12-01" / "part-00000.csv").read_text()
    assert day.splitlines()[1].startswith("timed,")


def test_a_window_of_changes_selects_by_change(tmp_path):
    """ChangeWindow bounds are whole seconds, both ends included."""
    world = EvolvingWorld(SESSIONS_A_DAY, 42, moment(1))
    now = int(moment(1).timestamp())
    window = ChangeWindow(now - 3600, now + 1)
    for life in world.selected_lives(window):
        changes = [life.last_save(world.now)] + life.run_changes(world.now)
        assert any(now - 3600 <= change <= now for change in changes)
