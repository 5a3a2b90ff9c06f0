"""The whole job as a subprocess and in process, on the embedded simulated source and files."""

import datetime as dt
import json
import os
import pathlib
import subprocess
import sys

import pytest
from bson import json_util

import glue_job
from tests.support.cli import ROOT, run_job
from tests.support.documents import DEC_1, v1_session, v2_session

pytestmark = pytest.mark.integration


def test_default_run_writes_csv_and_manifest_and_is_byte_identical_when_repeated(tmp_path):
    first = run_job(["--OUTPUT_DIR", str(tmp_path / "one")])
    assert first.returncode == 0, first.stderr
    assert first.summary["success"] is True and first.summary["rows_written"] == 500
    assert first.summary["source"] == "simulated"  # made-up sessions say so
    today = dt.datetime.now(dt.timezone.utc).date()
    end = today - dt.timedelta(days=1)
    start = first.summary["start_date"]
    assert first.summary["end_date"] == str(end)
    data_path = tmp_path / "one" / "training_data" / "{}_to_{}".format(start, end) / (
        "conversations_{}_to_{}.csv".format(start, end))
    assert first.summary["outputs"]["csv"]["path"] == str(data_path)
    assert data_path.exists() and (data_path.parent / "_manifest.json").exists()
    assert len(data_path.read_text().splitlines()) == 501
    second = run_job(["--OUTPUT_DIR", str(tmp_path / "two")])
    assert second.returncode == 0
    assert data_path.read_bytes() == open(second.summary["outputs"]["csv"]["path"], "rb").read()


def test_reversed_dates_exit_2_with_one_line_naming_the_parameters(tmp_path):
    result = run_job(["--START_DATE", "2024-12-31", "--END_DATE", "2024-12-01",
                      "--OUTPUT_DIR", str(tmp_path)])
    assert result.returncode == 2
    assert result.summary == {"success": False, "exit_status": 2, "error": (
        "configuration: START_DATE/END_DATE: 2024-12-31 is after 2024-12-01; expected "
        "START_DATE on or before END_DATE")}
    assert len(result.stdout.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())


def test_environment_parameters_are_read(tmp_path):
    result = run_job(env={"SIMULATED_SESSIONS": "12", "START_DATE": "2024-12-01",
                          "END_DATE": "2024-12-02", "OUTPUT_DIR": str(tmp_path)})
    assert result.returncode == 0 and result.summary["rows_written"] == 12


def test_file_source_with_a_mongoexport_dump_and_a_broken_line(tmp_path):
    dump = tmp_path / "dump.jsonl"
    lines = [json_util.dumps(v2_session("s%d" % i, DEC_1 + i)) for i in range(30)]
    lines.append(json_util.dumps(v1_session("v1", DEC_1 + 99)))
    lines.insert(5, '{"session_id": "half-written", "runs": [')
    dump.write_text("\n".join(lines) + "\n")
    result = run_job(["--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(dump), "--START_DATE",
                      "2024-12-01", "--END_DATE", "2024-12-31", "--OUTPUT_DIR", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    assert (result.summary["documents_read"], result.summary["rows_written"],
            result.summary["rejects"]) == (32, 31, 1)
    rejects = result.summary["outputs"]["rejects"]["path"]
    assert json.loads(open(rejects).read()) == {
        "_id": None, "session_id": None, "reason": "invalid Extended JSON: JSONDecodeError",
        "line": 6}


def test_missing_input_file_exits_2(tmp_path):
    result = run_job(["--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(tmp_path / "nope.jsonl")])
    assert result.returncode == 2
    assert result.summary["error"].startswith("configuration: INPUT_PATH:")


def test_too_many_rejects_exit_1_without_a_manifest(tmp_path):
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(['{"runs": "x", "created_at": %d}' % DEC_1] * 3
                              + [json_util.dumps(v2_session("ok", DEC_1))]) + "\n")
    result = run_job(["--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(dump), "--START_DATE",
                      "2024-12-01", "--END_DATE", "2024-12-01", "--OUTPUT_DIR", str(tmp_path)])
    assert result.returncode == 1
    assert "3 of 4 documents rejected" in result.summary["error"]
    assert not list(tmp_path.rglob("_manifest.json"))
    # kept for inspection under their own name; no earlier result is touched
    [failed] = list(tmp_path.rglob("_rejects.failed.jsonl"))
    assert failed.read_text().count("\n") == 3 and str(failed) in result.summary["error"]
    assert not list(tmp_path.rglob("_rejects.jsonl")) and not list(tmp_path.rglob("*.csv"))


def test_in_process_run(tmp_path, capsys):
    status = glue_job.main(["glue_job.py", "--SIMULATED_SESSIONS", "40", "--START_DATE",
                            "2024-12-01", "--END_DATE", "2024-12-31"],
                           {"OUTPUT_DIR": str(tmp_path)})
    assert status == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["rows_written"] == 40 and summary["published"] is False
    manifest = json.loads((tmp_path / "training_data" / "2024-12-01_to_2024-12-31" /
                           "_manifest.json").read_text())
    assert manifest["source"]["type"] == "simulated"


def test_help_prints_the_parameters_and_touches_nothing(tmp_path):
    for flag in ("--help", "-h"):
        result = subprocess.run([sys.executable, "glue_job.py", flag, "--OUTPUT_DIR",
                                 str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0
        assert "--START_DATE" in result.stdout and "default: yesterday" in result.stdout
        assert not (tmp_path / "o").exists()


def test_a_file_outside_the_default_range_is_reported_and_never_empties_a_result(tmp_path):
    dump = tmp_path / "december.jsonl"
    dump.write_text("\n".join(json_util.dumps(v2_session("s%d" % i, DEC_1 + 86400 * i))
                              for i in range(5)) + "\n")
    file_source = ["--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(dump)]
    fresh = run_job(file_source + ["--OUTPUT_DIR", str(tmp_path / "fresh")])
    assert fresh.returncode == 0 and fresh.summary["rows_written"] == 0
    assert fresh.summary["outside_range"] == {"documents": 5, "without_date": 0,
                                              "earliest": "2024-12-01", "latest": "2024-12-05"}
    assert "--START_DATE 2024-12-01 --END_DATE 2024-12-05" in fresh.summary["note"]
    assert "nothing_selected" in fresh.stderr
    # the README's two commands in a row: `make run`, then the file without dates
    earlier = run_job(["--OUTPUT_DIR", str(tmp_path / "shared")])
    folder = pathlib.Path(earlier.summary["outputs"]["csv"]["path"]).parent
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    emptied = run_job(file_source + ["--OUTPUT_DIR", str(tmp_path / "shared")])
    assert emptied.returncode == 1
    assert "refusing to replace the earlier result" in emptied.summary["error"]
    assert emptied.summary["error"].endswith("set ALLOW_EMPTY=true if an empty range is expected")
    assert "--START_DATE 2024-12-01" in emptied.summary["error"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_file_in_order_streams_and_gives_what_the_same_file_shuffled_gives(tmp_path):
    import random

    from interfaces.values import JoinedSession
    from repositories.date_filter import sort_key
    from repositories.simulated import SimulatedSessionRepository
    from tests.support.fuzz import DEC_RANGE

    items = list(SimulatedSessionRepository(300, 4).documents(DEC_RANGE))
    sessions = [i.document if isinstance(i, JoinedSession) else i for i in items]
    sessions += [{"session_id": "string-runs", "runs": "x", "created_at": DEC_1 + 5000},
                 {"session_id": "no-id-runs", "runs": [{"metrics": {"input_tokens": "7"}}],
                  "created_at": DEC_1 + 5000}]
    sessions.sort(key=lambda d: sort_key(d.get("created_at"), d.get("_id")))
    runs = tmp_path / "runs.jsonl"
    runs.write_text("".join(json_util.dumps(run) + "\n" for i in items
                            if isinstance(i, JoinedSession) for run in i.run_documents))
    shuffled = list(sessions)
    random.Random(2).shuffle(shuffled)
    # Out of order only at its end: a reject and many rows go out before the read again.
    late = sessions[:-2] + [sessions[-1], sessions[-2]]
    results = {}
    for name, order in (("ordered", sessions), ("shuffled", shuffled), ("late", late)):
        dump = tmp_path / (name + ".jsonl")
        dump.write_text("".join(json_util.dumps(d) + "\n" for d in order))
        results[name] = run_job([
            "--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(dump), "--RUNS_INPUT_PATH",
            str(runs), "--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
            "--OUTPUT_DIR", str(tmp_path / name), "--LOG_LEVEL", "INFO"])
        assert results[name].returncode == 0, results[name].stderr
        # what the discarded first read wrote is gone: only the outputs are left
        assert sorted(p.name for p in (tmp_path / name).rglob("*")
                      if p.is_file() and "_state" not in p.parts) == sorted(
            os.path.basename(o["path"]) for o in results[name].summary["outputs"].values())
    ordered = results["ordered"]
    assert "streamed=true" in ordered.stderr and "read_again" not in ordered.stderr
    assert ordered.summary["rows_written"] == 301 and ordered.summary["rejects"] == 1
    for again in (results["shuffled"], results["late"]):
        assert "read_again" in again.stderr and "streamed=false" in again.stderr
        for output in ("csv", "rejects"):
            assert open(ordered.summary["outputs"][output]["path"], "rb").read() == \
                open(again.summary["outputs"][output]["path"], "rb").read()
    manifests = [json.load(open(r.summary["outputs"]["manifest"]["path"]))
                 for r in results.values()]
    for manifest in manifests:
        for volatile in ("started_at", "finished_at", "duration_seconds", "job_run_id", "outputs",
                         "configuration"):  # paths and times
            manifest.pop(volatile)
        manifest["source"].pop("path")
    assert manifests[0] == manifests[1] == manifests[2]
    assert manifests[0]["source"]["runs"]["sessions_with_runs"] > 50


def test_parquet_without_pyarrow_exits_2_with_one_line_and_writes_nothing(tmp_path):
    """Where pyarrow cannot be imported (a Python shell job without the analytics library
    set), OUTPUT_FORMAT=parquet fails before reading, naming the parameter and the fix."""
    script = tmp_path / "without_pyarrow.py"
    script.write_text(
        "import runpy, sys\n"
        "sys.modules['pyarrow'] = None  # what an interpreter without pyarrow does\n"
        "sys.modules['pyarrow.parquet'] = None\n"
        "sys.path.insert(0, {root!r})\n"
        "sys.argv[0] = {job!r}\n"
        "runpy.run_path({job!r}, run_name='__main__')\n".format(
            root=ROOT, job=os.path.join(ROOT, "glue_job.py")))
    result = run_job(["--OUTPUT_FORMAT", "parquet", "--OUTPUT_DIR", str(tmp_path / "out")],
                     script=str(script))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "OUTPUT_FORMAT" in line]
    assert len(errors) == 1 and "pyarrow" in errors[0] and "Traceback" not in result.stderr
    assert result.summary["success"] is False and result.summary["exit_status"] == 2
    assert not (tmp_path / "out").exists()
