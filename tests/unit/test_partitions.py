"""The partitioned layout at service level: the window a run decides, days rebuilt from
their current rows and the new ones, the evolving world, and a run that fails half way."""

import datetime as dt
import os

import pytest

from config.errors import ConfigError
from factories.configuration import load_config
from interfaces.errors import PublishError
from interfaces.values import ChangeWindow
from repositories.simulated.world import SECONDS_PER_DAY, EvolvingWorld
from services.dataset_job import run_job
from services.engine_one_pass import OnePass
from services.partitioned_job import decide_window
from services.partitions import DaySpool, rebuild_day
from tests.unit.fakes import FakeStore
from utils.counts import Counts

NOW = dt.datetime(2024, 12, 11, 3, 0, tzinfo=dt.timezone.utc)
SECONDS = int(NOW.timestamp())


def config_of(*arguments, environ=None):
    return load_config(["glue_job.py", "--OUTPUT_LAYOUT", "partitioned", *arguments],
                       dict({"REPOSITORY_TYPE": "simulated"}, **(environ or {})))


def test_the_window_starts_at_the_watermark_less_the_lookback_and_ends_before_now(tmp_path):
    config = config_of("--OUTPUT_DIR", str(tmp_path))
    window, backfill = decide_window(config, SECONDS - 86_400, NOW)
    assert (window.start_seconds, window.last_second, backfill) == (
        SECONDS - 86_400 - 15 * 60, SECONDS - 5 * 60, False)
    window, _ = decide_window(config, None, NOW)  # no watermark: the default range's start
    assert window.describe() == {"from": "2024-11-11T00:00:00Z", "to": "2024-12-11T02:55:00Z"}
    backfill_config = config_of("--OUTPUT_DIR", str(tmp_path), "--START_DATE", "2024-12-01",
                                "--END_DATE", "2024-12-31", "--SETTLE_MINUTES", "0")
    window, backfill = decide_window(backfill_config, SECONDS - 60, NOW)
    assert backfill and window.describe() == {"from": "2024-12-01T00:00:00Z",
                                              "to": "2024-12-11T03:00:00Z"}
    # a watermark later than now less the settle time selects nothing, and is kept
    window, _ = decide_window(config, SECONDS + 3_600, NOW)
    assert window.start_seconds == window.end_exclusive_seconds


def run_at(output_dir, now, *arguments, store=None, sessions="40"):
    config = config_of("--OUTPUT_DIR", str(output_dir), "--SIMULATED_SESSIONS", sessions,
                       "--SIMULATED_NOW", now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "--SETTLE_MINUTES", "0", *arguments,
                       environ={"S3_BUCKET": "bucket-a"} if store is not None else None)
    engine = OnePass(EvolvingWorld(config.simulated_sessions, config.simulation_seed, now))
    return run_job(config, engine, store, now=lambda: now)


def day_files(folder):
    found = {}
    for root, _, names in os.walk(str(folder)):
        for name in names:
            if "dt=" in root and not name.startswith("_"):
                with open(os.path.join(root, name), "rb") as handle:
                    found[os.path.relpath(os.path.join(root, name), str(folder))] = handle.read()
    return found


@pytest.mark.parametrize("output_format", ["csv", "parquet"])
def test_days_rebuilt_run_after_run_are_the_days_built_at_once(tmp_path, output_format):
    daily = [NOW + dt.timedelta(hours=8 * step) for step in range(4)]
    for step, now in enumerate(daily):
        run_at(tmp_path / "daily", now, "--OUTPUT_FORMAT", output_format,
               "--JOB_RUN_ID", "run-{}".format(step))
    run_at(tmp_path / "once", daily[-1], "--OUTPUT_FORMAT", output_format, "--START_DATE",
           "2024-11-11", "--END_DATE", "2024-12-12", "--JOB_RUN_ID", "once")
    built = day_files(tmp_path / "daily")
    assert len(built) > 20
    assert built == day_files(tmp_path / "once")


def rows_file(tmp_path, lines, name="rows.csv"):
    from calculators.columns import COLUMN_NAMES

    def row(session_id, start, updated, total_runs):
        cells = [""] * len(COLUMN_NAMES)
        values = {"session_id": session_id, "session_start": start, "date": start[:10],
                  "source_updated_at": updated, "total_runs": str(total_runs)}
        for column, value in values.items():
            cells[COLUMN_NAMES.index(column)] = value
        return ",".join(cells) + "\n"

    path = tmp_path / name
    path.write_text(",".join(COLUMN_NAMES) + "\n" + "".join(row(*line) for line in lines))
    return str(path)


def test_a_day_keeps_one_row_per_session_the_latest_and_orders_by_start_then_id(tmp_path):
    spool = DaySpool(str(tmp_path), "csv")
    spool.add_rows_of(rows_file(tmp_path, [
        ("b", "2024-12-01T10:00:00Z", "2024-12-01T10:00:30Z", 1),
        ("a", "2024-12-01T10:00:00Z", "2024-12-01T11:00:00Z", 2),
        ("b", "2024-12-01T10:00:00Z", "2024-12-01T12:00:00Z", 3),  # b again, changed later
        ("c", "2024-12-02T00:00:01Z", "2024-12-02T00:00:01Z", 1),
    ]))
    current = open(rows_file(tmp_path, [
        ("z", "2024-12-01T09:00:00Z", "2024-12-01T09:00:00Z", 1),
        ("a", "2024-12-01T10:00:00Z", "2024-12-01T10:30:00Z", 1),  # re-extracted: dropped
    ], "current.csv"), "rb").read()
    warnings = Counts()
    assert spool.days == ["2024-12-01", "2024-12-02"]
    out = tmp_path / "day.csv"
    assert rebuild_day(spool, "2024-12-01", current, str(out), warnings) == 3
    lines = out.read_text().splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == ["z", "a", "b"]
    from calculators.columns import COLUMN_NAMES
    runs = COLUMN_NAMES.index("total_runs")
    assert [line.split(",")[runs] for line in lines] == ["1", "2", "3"]
    assert warnings["duplicate_session_id"] == 1
    assert (tmp_path / "day.csv").read_text().splitlines()[0] == ",".join(COLUMN_NAMES)


def test_a_day_of_another_contract_is_refused(tmp_path):
    from interfaces.errors import OutputError

    spool = DaySpool(str(tmp_path), "csv")
    spool.add_rows_of(rows_file(tmp_path, [("a", "2024-12-01T10:00:00Z", "", 1)]))
    with pytest.raises(OutputError, match="one contract"):
        rebuild_day(spool, "2024-12-01", b"session_id,message\nx,y\n", str(tmp_path / "o"),
                    Counts())


def test_the_world_gives_a_session_the_same_id_and_past_whatever_is_asked():
    early, late = (EvolvingWorld(30, 7, NOW), EvolvingWorld(30, 7, NOW + dt.timedelta(days=3)))
    life = next(life for life in (early.life(SECONDS // SECONDS_PER_DAY - 1, number)
                                  for number in range(30))
                if life.plan.shape == "agno_v1" and len(life.plan.run_times) > 1
                and life.first_seen() <= early.now < life.saves()[-1])
    before, _ = early.session_at_now(life, early.object_id(life))
    after, _ = late.session_at_now(life, late.object_id(life))
    assert before["_id"] == after["_id"] and before["session_id"] == after["session_id"]
    runs_before, runs_after = before["memory"]["runs"], after["memory"]["runs"]
    assert 0 < len(runs_before) < len(runs_after)
    assert runs_after[:len(runs_before)] == runs_before  # the past does not change
    # Agno 1.x: created_at is the last save, which moved; the first run's time did not
    assert before["created_at"] < after["created_at"] == after["updated_at"]
    assert runs_before[0]["created_at"] == runs_after[0]["created_at"] == life.start
    window = ChangeWindow(SECONDS - 2 * SECONDS_PER_DAY, SECONDS + 1)
    whole = [item[:2] for item in early.selected(window)]
    assert [item[:2] for piece in window.slices(5) for item in early.selected(piece)] == whole
    assert all(first_seen <= SECONDS for first_seen in
               (life.first_seen() for life in early.selected_lives(window)))


def test_a_failed_day_write_leaves_the_watermark_and_the_next_run_converges(tmp_path):
    failing = {"at": 0}  # no failure until set

    def fail_third_day(operation, key):
        if operation == "replace" and "/dt=" in key:
            failing["at"] -= 1
            return failing["at"] == 0
        return False

    store = FakeStore(failing=fail_third_day)
    run_at(tmp_path / "a", NOW, store=store)
    watermark = store.objects["training_data/_state/watermark.json"]
    later = NOW + dt.timedelta(days=1)
    failing["at"] = 3
    with pytest.raises(PublishError):
        run_at(tmp_path / "a", later, store=store)
    assert store.objects["training_data/_state/watermark.json"] == watermark
    run_at(tmp_path / "a", later + dt.timedelta(hours=1), store=store)
    whole = FakeStore()
    run_at(tmp_path / "b", NOW, store=whole)
    run_at(tmp_path / "b", later + dt.timedelta(hours=1), store=whole)
    days = {key: value for key, value in store.objects.items() if "/dt=" in key}
    assert len(days) > 5
    assert days == {key: value for key, value in whole.objects.items() if "/dt=" in key}


def test_a_dataset_keeps_its_format(tmp_path):
    run_at(tmp_path, NOW)
    with pytest.raises(ConfigError, match="OUTPUT_FORMAT: parquet; expected format csv as"):
        run_at(tmp_path, NOW + dt.timedelta(hours=1), "--OUTPUT_FORMAT", "parquet")


def test_each_day_has_a_profile_and_the_days_add_up_to_the_run(tmp_path):
    import json

    result = run_at(tmp_path, NOW, "--START_DATE", "2024-12-01", "--END_DATE", "2024-12-11",
                    "--OUTPUT_FORMAT", "parquet", "--JOB_RUN_ID", "whole")
    dataset = tmp_path / "training_data"
    days = sorted(dataset.glob("dt=*"))
    assert len(days) > 5 and all((day / "_profile.json").exists() for day in days)
    run_profile = json.loads((dataset / "_runs" / "whole" / "_profile.json").read_text())
    day_profiles = [json.loads((day / "_profile.json").read_text()) for day in days]
    assert sum(profile["rows"] for profile in day_profiles) == run_profile["rows"] == \
        result.stats.rows_written
    for column in ("sum_total_tokens", "failed_runs", "avg_execution_time"):
        for key in ("count", "nulls", "zeros"):
            assert sum(p["numeric"][column][key] for p in day_profiles) == \
                run_profile["numeric"][column][key]
        counts = [p["numeric"][column]["histogram"]["counts"] for p in day_profiles]
        assert [sum(bin_counts) for bin_counts in zip(*counts)] == \
            run_profile["numeric"][column]["histogram"]["counts"]
