"""WORKERS > 1: the range in time slices read by worker processes gives the single-process
result, for every source, and a failing or stopped parallel run leaves nothing behind."""

import json
import os
import signal
import subprocess
import sys

import pytest
from bson import json_util

from services import engine_workers, reading
from tests.support import golden
from tests.support.agno_database import write_agno_database
from tests.support.cli import ROOT, run_job, stop_with_sigterm, wait_until, when_ready

pytestmark = pytest.mark.integration

DEC = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"]
RUN_SLICE = reading.run_slice


def comparable(manifest: dict) -> dict:
    """A manifest without what differs between a single-process and a parallel run of the
    same data: WORKERS itself and the last digits of the means (sums in another order)."""
    manifest = json.loads(json.dumps(manifest))
    manifest["configuration"].pop("WORKERS")
    manifest["configuration"].pop("OUTPUT_DIR", None)
    manifest["configuration"].pop("JOB_RUN_ID", None)
    for name in ("job_run_id", "started_at", "finished_at", "duration_seconds", "outputs"):
        manifest.pop(name, None)
    means = {name: values.pop("mean") for name, values in manifest["column_statistics"].items()}
    return dict(manifest, means=means)


def assert_same_result(single: dict, parallel: dict) -> None:
    single, parallel = comparable(single), comparable(parallel)
    single_means, parallel_means = single.pop("means"), parallel.pop("means")
    assert parallel == single
    for name, mean in single_means.items():
        if mean is None:  # a sum past 1e308: null in both
            assert parallel_means[name] is None, name
        else:
            assert parallel_means[name] == pytest.approx(mean, rel=1e-12, abs=1e-300), name


def assert_same_profile(single: dict, parallel: dict) -> None:
    """Every figure the same, the means and standard deviations to their last digits."""
    for profile in (single, parallel):
        for values in profile["numeric"].values():
            values["moments"] = (values.pop("mean"), values.pop("std"))
    moments = {name: values.pop("moments") for name, values in single["numeric"].items()}
    found = {name: values.pop("moments") for name, values in parallel["numeric"].items()}
    assert parallel == single
    for name, pair in moments.items():
        for expected, value in zip(pair, found[name]):
            assert (value is None) == (expected is None), name
            if expected is not None:
                assert value == pytest.approx(expected, rel=1e-9, abs=1e-300), name


def test_every_golden_corpus_with_three_workers_gives_the_golden_outputs(tmp_path):
    """Simulated sessions of every Agno shape, a shuffled file with a shuffled runs file and
    broken lines, and the fuzz corpus (damaged documents, mixed date types)."""
    golden.produce(str(tmp_path), extra=["--WORKERS", "3"])
    for corpus in golden.CORPORA:
        expected = os.path.join(golden.GOLDEN, corpus)
        for name in sorted(os.listdir(expected)):
            with open(os.path.join(expected, name), "rb") as left, \
                    open(os.path.join(tmp_path, corpus, name), "rb") as right:
                if name == "_manifest.json":
                    assert_same_result(json.load(left), json.load(right))
                elif name == "_profile.json":
                    assert_same_profile(json.load(left), json.load(right))
                else:
                    assert right.read() == left.read(), (corpus, name)


def test_mongodb_with_two_workers_gives_the_single_process_result(mongo_server, mongo_database,
                                                                  tmp_path):
    written = write_agno_database(mongo_database, 1500)
    results = {}
    for workers in ("1", "2"):
        result = run_job(DEC + ["--MAX_REJECT_RATIO", "1", "--WORKERS", workers,
                                "--OUTPUT_DIR", str(tmp_path / workers)],
                         env={"MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
                              "COLLECTION_NAME": "agno_sessions"})
        assert result.returncode == 0, result.stderr[-3000:]
        results[workers] = result.summary
    single, parallel = results["1"], results["2"]
    assert single["documents_read"] == written and single["rejects"] > 0
    for output in ("csv", "rejects"):
        with open(single["outputs"][output]["path"], "rb") as left, \
                open(parallel["outputs"][output]["path"], "rb") as right:
            assert right.read() == left.read(), output
    manifests = [json.load(open(summary["outputs"]["manifest"]["path"]))
                 for summary in (single, parallel)]
    assert manifests[1]["source"]["runs"]["documents_read"] > 0
    assert manifests[1]["shapes"]["agno_v3"] > 0
    assert_same_result(*manifests)


def test_a_configuration_error_inside_a_worker_is_exit_2_and_writes_nothing(
        mongo_server, mongo_database, tmp_path):
    mongo_database.agno_sessions.insert_one({"session_id": "s", "created_at": 1733011200})
    result = run_job(DEC + ["--WORKERS", "2", "--OUTPUT_DIR", str(tmp_path / "out")],
                     env={"MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
                          "COLLECTION_NAME": "agno_sessions", "RUNS_COLLECTION": "no_such"})
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.summary["error"].startswith("configuration: RUNS_COLLECTION: no collection "
                                              "'no_such'")
    assert not list((tmp_path / "out").rglob("*.*"))


def start_a_long_parallel_run(tmp_path):
    """glue_job.py with WORKERS=2 on 3,000,000 sessions (minutes of work), its temporary
    files in a folder of its own: (the process, that folder)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "glue_job.py"), "--SIMULATED_SESSIONS", "3000000",
         "--WORKERS", "2", "--OUTPUT_DIR", str(tmp_path / "out")] + DEC,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, TMPDIR=str(temporary)))
    return process, temporary


def test_sigterm_ends_the_workers_and_removes_every_temporary_file(tmp_path):
    folder = tmp_path / "out" / "training_data" / "2024-12-01_to_2024-12-31"
    process, temporary = start_a_long_parallel_run(tmp_path)
    workers = []
    status, summary = stop_with_sigterm(process, lambda: list(temporary.rglob("slice-*")),
                                        lambda: workers.extend(_children(process.pid)))
    assert len(workers) >= 2
    assert status == 1 and "SIGTERM" in summary["error"]
    assert wait_until(lambda: not any(_alive(pid) for pid in workers), 10)
    assert not list(temporary.iterdir())
    assert not folder.exists() or not list(folder.iterdir())


def test_a_worker_killed_by_the_system_is_exit_1_naming_it(tmp_path):
    """What the kernel's out-of-memory killer does to a worker."""
    process, temporary = start_a_long_parallel_run(tmp_path)
    status, summary = when_ready(process, lambda: list(temporary.rglob("slice-*")),
                                 lambda: os.kill(_children(process.pid)[0], signal.SIGKILL))
    assert status == 1
    assert summary["error"].startswith("a worker process ended abruptly (killed, or out of "
                                       "memory) before slice 1 of 8")
    assert not list(temporary.iterdir())
    assert not list((tmp_path / "out").rglob("*.csv"))


def test_workers_end_when_their_parent_is_killed(tmp_path):
    process, temporary = start_a_long_parallel_run(tmp_path)
    try:
        assert wait_until(lambda: list(temporary.rglob("slice-*")))
        workers = _children(process.pid)
        assert len(workers) == 2
    finally:
        process.kill()
        process.communicate()
    assert wait_until(lambda: not any(_alive(pid) for pid in workers), 10)



def test_a_stopped_worker_fails_the_run_instead_of_holding_it_forever(tmp_path):
    """A worker stopped (SIGSTOP) while it reads a slice: after STOPPED_WORKER_LIMIT_S the
    run fails with one line naming it, and the stopped worker is killed, not left behind."""
    from utils.worker_pool import STOPPED_WORKER_LIMIT_S

    process, temporary = start_a_long_parallel_run(tmp_path)
    stopped = []

    def stop_a_worker():
        stopped.append(_children(process.pid)[0])
        os.kill(stopped[0], signal.SIGSTOP)
    status, summary = when_ready(process, lambda: list(temporary.rglob("slice-*")),
                                 stop_a_worker, STOPPED_WORKER_LIMIT_S + 60)
    assert status == 1
    assert summary["error"].startswith("worker process {} has been stopped".format(stopped[0]))
    assert wait_until(lambda: not _alive(stopped[0]), 10)
    assert not list(temporary.iterdir())


def test_sigterm_with_a_stopped_worker_ends_the_run_and_the_worker_promptly(tmp_path):
    process, temporary = start_a_long_parallel_run(tmp_path)
    workers = []

    def stop_a_worker():
        workers.extend(_children(process.pid))
        os.kill(workers[0], signal.SIGSTOP)
    status, summary = stop_with_sigterm(process, lambda: list(temporary.rglob("slice-*")),
                                        stop_a_worker)
    assert status == 1 and "SIGTERM" in summary["error"]
    assert wait_until(lambda: not any(_alive(pid) for pid in workers), 10)

def _children(pid: int):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/{}/stat".format(entry)) as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _alive(pid: int) -> bool:
    try:
        with open("/proc/{}/stat".format(pid)) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_file_with_two_workers_reports_what_lies_outside_the_range(tmp_path):
    lines = [json_util.dumps({"session_id": "s%d" % i, "created_at": 1733011200 + i * 86400 * 3,
                              "runs": []}) for i in range(40)]
    path = tmp_path / "sessions.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run_job(DEC + ["--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(path),
                            "--WORKERS", "2", "--OUTPUT_DIR", str(tmp_path / "o"),
                            "--ALLOW_EMPTY", "true"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.summary["rows_written"] == 11  # days 0, 3, ..., 30 of December
    assert result.summary["outside_range"] == {"documents": 29, "without_date": 0,
                                               "earliest": "2025-01-03",
                                               "latest": "2025-03-28"}


def slow_first_slice(slice_source, window, folder):
    """Slice 0 takes a while, so the slices after it finish first and wait on disk."""
    import time

    if window.index == 0:
        time.sleep(1.5)
    return RUN_SLICE(slice_source, window, folder)


def test_slices_waiting_on_disk_are_bounded_by_workers_plus_one(tmp_path, monkeypatch):
    """Disk: the CSV plus at most WORKERS + 1 slices, however late the first one is."""
    import tempfile

    from factories.bootstrap import python_shell_engine
    from factories.configuration import load_config
    from services.csv_writer import CsvWriter
    from services.dataset_job import run_job as run_dataset_job

    # The parent submits it; forked workers inherit the module as patched.
    monkeypatch.setattr(engine_workers, "run_slice", slow_first_slice)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    waiting = []
    append = CsvWriter.append_rows_of

    def counting_append(self, path, rows):
        waiting.append(len([name for name in os.listdir(os.path.dirname(path))
                            if name.startswith("slice-") and ".csv" in name]))
        return append(self, path, rows)

    monkeypatch.setattr(CsvWriter, "append_rows_of", counting_append)
    config = load_config(["glue_job.py", *DEC, "--SIMULATED_SESSIONS", "2000", "--WORKERS",
                          "2", "--OUTPUT_DIR", str(tmp_path / "out")], {})
    result = run_dataset_job(config, python_shell_engine(config)[0])
    assert result.stats.rows_written == 2000 and len(waiting) == 8
    assert max(waiting) <= 3, waiting
    assert waiting[0] == 3  # the later slices did finish first and wait
