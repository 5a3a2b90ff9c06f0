"""Bad input, faults and secrets: the job keeps working, loses nothing, publishes nothing
half-done and never shows a credential."""

import csv
import hashlib
import io
import json
import os
import pathlib
import resource
import signal
import subprocess
import sys
import tempfile

import pytest
from bson import json_util
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculators.columns import COLUMN_NAMES
from tests.support.cli import ROOT, run_job, stop_with_sigterm, wait_until
from tests.support.fuzz import fuzz_documents, storable_in_ferretdb

pytestmark = pytest.mark.integration

DEC = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31", "--MAX_REJECT_RATIO", "1"]
DEC_1 = 1733011200


def assert_clean_csv(path, rows):
    text = open(path, encoding="utf-8").read()
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert len(parsed) == rows + 1
    assert all(len(line) == len(COLUMN_NAMES) for line in parsed)
    numeric = [value for line in parsed[1:] for value in line[4:48]]
    assert not {"nan", "inf", "-inf", "NaN"} & set(numeric)


def write_jsonl(path, documents):
    with open(path, "w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(json_util.dumps(document) + "\n")
    return str(path)


def test_ten_thousand_damaged_documents_through_the_file_source(tmp_path):
    dump = write_jsonl(tmp_path / "fuzz.jsonl", fuzz_documents(10_000, seed=11))
    result = run_job(["--REPOSITORY_TYPE", "file", "--INPUT_PATH", dump, "--OUTPUT_DIR",
                      str(tmp_path / "out"), *DEC])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    summary = result.summary
    assert summary["documents_read"] == 10_000
    assert summary["rows_written"] + summary["rejects"] == 10_000
    assert summary["rejects"] > 100 and summary["rows_written"] > 5000
    assert_clean_csv(summary["outputs"]["csv"]["path"], summary["rows_written"])
    rejects = open(summary["outputs"]["rejects"]["path"]).read().splitlines()
    assert len(rejects) == summary["rejects"]
    assert all(json.loads(line)["reason"] for line in rejects)


def test_damaged_documents_through_mongodb(mongo_server, mongo_database, tmp_path):
    documents = [storable_in_ferretdb(d) for d in fuzz_documents(2_000, seed=12, max_nesting=30)]
    for start in range(0, len(documents), 1000):
        mongo_database.sessions.insert_many(documents[start:start + 1000])
    result = run_job(DEC, env={"MONGO_URI": mongo_server, "DATABASE_NAME": mongo_database.name,
                               "COLLECTION_NAME": "sessions", "OUTPUT_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    summary = result.summary
    assert summary["documents_read"] == 2_000
    assert summary["rows_written"] + summary["rejects"] == 2_000
    assert_clean_csv(summary["outputs"]["csv"]["path"], summary["rows_written"])


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=25)
documents = st.one_of(
    json_values,
    st.fixed_dictionaries({"created_at": st.just(DEC_1)}, optional={
        "runs": json_values, "memory": json_values, "session_id": json_values,
        "agent_data": json_values, "user_id": json_values, "updated_at": json_values}),
    st.fixed_dictionaries({"created_at": st.just(DEC_1), "runs": st.lists(
        st.dictionaries(st.sampled_from(["metrics", "tools", "status", "events", "content",
                                         "created_at", "model"]), json_values), max_size=5)}),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(documents, min_size=1, max_size=25))
def test_any_json_document_is_a_row_or_a_reject(tmp_path, docs):
    import glue_job

    folder = pathlib.Path(tempfile.mkdtemp(dir=str(tmp_path)))
    lines = [json.dumps(doc, allow_nan=True) for doc in docs]
    dump = folder / "d.jsonl"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    selected = sum(1 for d in docs if isinstance(d, dict) and d.get("created_at") == DEC_1)
    unselected_objects = sum(1 for d in docs if isinstance(d, dict)) - selected
    status = glue_job.main(["glue_job.py", "--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(dump),
                            "--OUTPUT_DIR", str(folder / "out"), *DEC], {})
    assert status == 0
    manifest = json.load(open(next((folder / "out").rglob("_manifest.json"))))
    assert manifest["documents_read"] == len(docs) - unselected_objects
    assert manifest["rows_written"] + manifest["rejects"] == manifest["documents_read"]
    assert_clean_csv(str(folder / "out" / manifest["outputs"]["csv"]["key"]),
                     manifest["rows_written"])



hostile_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10 ** 400), 10 ** 400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=12),  # surrogates too
    st.sampled_from(["12\x1c", "9" * 3000 + "x", "\ufeff", "\x00", "$numberLong"]),
    st.builds(lambda depth: "[" * depth + "]" * depth, st.integers(900, 960)).map(json.loads))
hostile_values = st.recursive(
    hostile_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=6), children, max_size=3)),
    max_leaves=12)
hostile_sessions = st.fixed_dictionaries(
    {"created_at": st.just(DEC_1)},
    optional={"_id": hostile_values, "session_id": hostile_values, "runs": st.one_of(
        hostile_values, st.lists(st.dictionaries(st.sampled_from(
            ["metrics", "tools", "status", "created_at", "run_index"]), hostile_values),
            max_size=4)), "agent_data": hostile_values, "user_id": hostile_values})
hostile_runs = st.fixed_dictionaries(
    {"session_id": st.one_of(st.sampled_from(["s0", "s1"]), hostile_values)},
    optional={"run_index": hostile_values, "metrics": hostile_values,
              "created_at": hostile_values, "status": hostile_values})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(hostile_sessions, min_size=1, max_size=12),
       st.lists(hostile_runs, max_size=8))
def test_hostile_values_through_every_file_path_are_rows_or_rejects_and_agree(tmp_path, docs,
                                                                              runs):
    """Arbitrary values (every JSON type, nesting the decoder takes, 400-digit integers,
    control characters, lone surrogates, a BOM) at every field the job reads, through the
    file in order, shuffled, with WORKERS, and with a runs file: exit 0, rows + rejects =
    documents, and the first three give the same rows."""
    import glue_job

    folder = pathlib.Path(tempfile.mkdtemp(dir=str(tmp_path)))
    # distinct times, so the reversed file is out of order and goes through the spool
    lines = [json.dumps(dict(doc, created_at=DEC_1 + index), allow_nan=True)
             for index, doc in enumerate(docs)]
    paths = {"in_order": folder / "in_order.jsonl", "shuffled": folder / "shuffled.jsonl",
             "runs": folder / "runs.jsonl"}
    paths["in_order"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths["shuffled"].write_text("\n".join(reversed(lines)) + "\n", encoding="utf-8")
    paths["runs"].write_text("".join(json.dumps(run, allow_nan=True) + "\n" for run in runs)
                             or "{}\n", encoding="utf-8")
    rows = {}
    for name, source, extra in (("in_order", "in_order", []), ("shuffled", "shuffled", []),
                                ("workers", "shuffled", ["--WORKERS", "2"]),
                                ("runs", "in_order", ["--RUNS_INPUT_PATH", str(paths["runs"])])):
        out = folder / name
        status = glue_job.main(["glue_job.py", "--REPOSITORY_TYPE", "file", "--INPUT_PATH",
                                str(paths[source]), "--OUTPUT_DIR", str(out), *DEC, *extra], {})
        if name == "runs" and status == 2:
            continue  # a runs file none of whose lines can be read is a configuration error
        assert status == 0, name
        manifest = json.load(open(next(out.rglob("_manifest.json"))))
        assert manifest["documents_read"] == len(docs), name
        assert manifest["rows_written"] + manifest["rejects"] == len(docs), name
        data = out / manifest["outputs"]["csv"]["key"]
        assert_clean_csv(str(data), manifest["rows_written"])
        rows[name] = sorted(data.read_text(encoding="utf-8").splitlines())
    assert rows["in_order"] == rows["shuffled"] == rows["workers"]

def test_output_dir_that_cannot_be_a_folder_is_a_configuration_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_job(["--OUTPUT_DIR", str(blocker / "out")])
    assert result.returncode == 2
    assert result.summary["error"].startswith("configuration: OUTPUT_DIR:")


def run_with_file_size_limit(out, sessions: int, limit: int):
    """The job in a process whose files cannot grow past `limit` bytes: a full disk."""
    def small_file_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    process = subprocess.run(
        [sys.executable, os.path.join(ROOT, "glue_job.py"), "--SIMULATED_SESSIONS", str(sessions),
         "--OUTPUT_DIR", str(out), "--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"],
        capture_output=True, text=True, preexec_fn=small_file_limit, timeout=300)
    assert process.returncode == 1
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_a_full_disk_exits_1_and_leaves_no_partial_file(tmp_path):
    out = tmp_path / "out"
    summary = run_with_file_size_limit(out, 3000, 200_000)
    assert summary["error"].startswith("cannot write the outputs under ")
    assert "File too large" in summary["error"]
    assert [p.name for p in out.rglob("*") if p.is_file()] == []



def test_a_tmpdir_too_small_for_the_runs_index_is_one_line_not_a_traceback(tmp_path):
    """The runs file's index (in TMPDIR) grows past what the disk allows."""
    sessions = tmp_path / "sessions.jsonl"
    runs = tmp_path / "runs.jsonl"
    sessions.write_text("".join(json.dumps({
        "session_id": "s%d" % i, "session_type": "agent", "created_at": DEC_1 + i,
        "agent_data": {"name": "A"}}) + "\n" for i in range(50)))
    runs.write_text("".join(json.dumps({
        "session_id": "s%d" % (i % 50), "run_id": "r%d" % i, "created_at": DEC_1 + i,
        "status": "COMPLETED", "content": "x" * 2000,
        "metrics": {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}}) + "\n"
        for i in range(2000)))

    def small_file_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    process = subprocess.run(
        [sys.executable, os.path.join(ROOT, "glue_job.py"), "--REPOSITORY_TYPE", "file",
         "--INPUT_PATH", str(sessions), "--RUNS_INPUT_PATH", str(runs),
         "--OUTPUT_DIR", str(tmp_path / "out"), "--START_DATE", "2024-12-01",
         "--END_DATE", "2024-12-31"],
        capture_output=True, text=True, preexec_fn=small_file_limit, timeout=120,
        env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert process.returncode == 1
    summary = json.loads(process.stdout.strip().splitlines()[-1])
    assert summary["error"].startswith("cannot index RUNS_INPUT_PATH {} under {}".format(
        runs, tmp_path)), summary
    assert "point TMPDIR at a larger disk" in summary["error"]
    assert "Traceback" not in process.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("runs-index")]

def test_a_folder_without_room_for_the_rows_fails_before_reading(tmp_path):
    """Ten billion simulated sessions need about 4.7 TB: more than this disk has free. The
    run fails at once, naming the folder, the space needed and the space free."""
    out = tmp_path / "out"
    result = run_job(["--SIMULATED_SESSIONS", "10000000000", "--OUTPUT_DIR", str(out),
                      "--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31"], timeout=60)
    assert result.returncode == 1
    error = result.summary["error"]
    assert error.startswith("not enough free space in {}: 10,000,000,000 documents need about "
                            "4.7 TB".format(out / "training_data" / "2024-12-01_to_2024-12-31"))
    assert " is free; " in error
    assert [p.name for p in out.rglob("*") if p.is_file()] == []


def test_two_runs_of_the_same_range_at_once_the_second_fails_and_the_result_matches(tmp_path):
    """Two runs of one range into one OUTPUT_DIR from different inputs: the one that comes
    second fails with one line naming the first (a lock file, `_run.lock`), and the folder
    holds one run's CSV with that run's manifest, never one run's rows under the other's
    manifest."""
    command = [sys.executable, os.path.join(ROOT, "glue_job.py"), "--OUTPUT_DIR",
               str(tmp_path / "shared"), "--START_DATE", "2024-12-01", "--END_DATE",
               "2024-12-31"]
    runs = [subprocess.Popen(command + ["--SIMULATED_SESSIONS", str(sessions)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for sessions in (20000, 20)]
    outputs = [run.communicate(timeout=300) for run in runs]
    statuses = [run.returncode for run in runs]
    assert 0 in statuses, outputs[0][1][-2000:]
    folder = tmp_path / "shared" / "training_data" / "2024-12-01_to_2024-12-31"
    for run, (stdout, _) in zip(runs, outputs):
        if run.returncode:
            error = json.loads(stdout.strip().splitlines()[-1])["error"]
            assert error.startswith("another run of 2024-12-01_to_2024-12-31 is writing to "
                                    "{}: process ".format(folder)), error
    data_name = "conversations_2024-12-01_to_2024-12-31.csv"
    manifest = json.loads((folder / "_manifest.json").read_text())
    assert manifest["outputs"]["csv"]["sha256"] == hashlib.sha256(
        (folder / data_name).read_bytes()).hexdigest()
    assert manifest["rows_written"] == len((folder / data_name).read_text().splitlines()) - 1
    assert sorted(p.name for p in folder.iterdir()) == [
        "_drift.json", "_manifest.json", "_profile.json", "_report.html", data_name]


PASSWORD = "pl4nted-Pa55word"


@pytest.mark.parametrize("uri, source, status, names", [
    ("mongodb://reader:%s@127.0.0.1:1/" % PASSWORD, "environment", 1, "127.0.0.1:1"),
    ("mongodb://reader:%s@127.0.0.1:notaport/" % PASSWORD, "argument", 2, "MONGO_URI"),
    ("mongodb://reader:%s@127.0.0.1:notaport/" % PASSWORD, "environment", 2, "MONGO_URI"),
    ("mongodb+srv://reader:%s@no-such-cluster.invalid/" % PASSWORD, "argument", 1,
     "no-such-cluster.invalid"),
])
def test_a_password_never_reaches_output(uri, source, status, names, tmp_path):
    args = ["--MONGO_URI", uri] if source == "argument" else []
    env = {"MONGO_URI": uri} if source == "environment" else {}
    result = run_job(args + ["--OUTPUT_DIR", str(tmp_path), "--LOG_LEVEL", "DEBUG"], env=env)
    assert result.returncode == status, result.stdout
    assert names in result.summary["error"]
    assert PASSWORD not in result.stdout + result.stderr


# Each password, and the part of it a careless parser would show as the host.
ODD_PASSWORDS = (("Pr3fix#Rest", "Pr3fix"), ("qa?b=c9", "qa?b"), ("pw@ss@word", "pw@ss"),
                 ("xq/y9secret", "xq/y9"), ("100%25sure", "100%25"), ("se cret", "se cret"))


@pytest.mark.parametrize("password, planted", ODD_PASSWORDS)
def test_a_password_of_any_shape_never_reaches_any_output(password, planted, tmp_path, aws):
    """Unescaped # ? @ / in a password, which pymongo takes, cut a URL parser's host list
    in the middle of the password: the error and the manifest showed its first part as the
    host. The same URI pasted into MONGO_SECRET_ID by mistake was echoed unmasked."""
    import boto3

    uri = "mongodb://reader:{}@127.0.0.1:1/?serverSelectionTimeoutMS=500".format(password)
    result = run_job(["--MONGO_URI", uri, "--OUTPUT_DIR", str(tmp_path), "--LOG_LEVEL",
                      "DEBUG"], env=aws, timeout=120)
    assert result.returncode in (1, 2), result.stdout
    outputs = result.stdout + result.stderr
    assert password not in outputs and planted not in outputs
    # The whole URI in MONGO_SECRET_ID: a local run, the simulated source, the echo masked.
    boto3.client("s3").create_bucket(Bucket="echo-check")
    result = run_job(["--MONGO_SECRET_ID", uri, "--REPOSITORY_TYPE", "simulated",
                      "--SIMULATED_SESSIONS", "3", "--S3_BUCKET", "echo-check",
                      "--OUTPUT_DIR", str(tmp_path / "echo"), *DEC], env=aws)
    assert result.returncode == 0, result.stderr[-2000:]
    stored = [boto3.client("s3").get_object(Bucket="echo-check", Key=item["Key"])["Body"].read()
              for item in boto3.client("s3").list_objects_v2(Bucket="echo-check")["Contents"]]
    local = [p.read_bytes() for p in (tmp_path / "echo").rglob("*") if p.is_file()]
    for content in stored + local + [(result.stdout + result.stderr).encode()]:
        assert password.encode() not in content


def test_the_hosts_are_cut_from_the_uri_as_pymongo_cuts_them():
    from factories.mongo_connection import host_label, tls_settings

    assert host_label("mongodb://reader:Pr3fix#Rest@db1:27017,db2/?tls=true") == "db1:27017,db2"
    assert host_label("mongodb+srv://u:a?b=c@cluster0.example.net/") == "cluster0.example.net"
    assert host_label("mongodb://h:1/") == "h:1" and host_label("mongodb://h") == "h"
    assert tls_settings("mongodb://u:p#q@h/?tls=true&tlsCAFile=/ca.pem") == (True, True)
    assert tls_settings("mongodb+srv://u:p@h/") == (True, False)


def test_secrets_manager_failure_names_the_secret_not_its_value(aws, tmp_path):
    import boto3
    boto3.client("secretsmanager").create_secret(
        Name="prod/bad", SecretString="postgres://u:%s@h/db" % PASSWORD)
    result = run_job(["--OUTPUT_DIR", str(tmp_path)], env=dict(aws, MONGO_SECRET_ID="prod/bad"))
    assert result.returncode == 2
    assert "prod/bad" in result.summary["error"]
    assert PASSWORD not in result.stdout + result.stderr


def test_manifest_and_summary_hold_no_password(mongo_server, mongo_database, tmp_path):
    if "@" in mongo_server:
        pytest.skip("MONGO_TEST_URI carries its own credentials")
    from tests.support.documents import v2_session
    mongo_database.sessions.insert_many([v2_session("s%d" % i, DEC_1 + i) for i in range(3)])
    uri = mongo_server.replace("mongodb://", "mongodb://") + "?appName=x"
    result = run_job(DEC, env={"MONGO_URI": uri, "DATABASE_NAME": mongo_database.name,
                               "COLLECTION_NAME": "sessions", "OUTPUT_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    manifest = open(result.summary["outputs"]["manifest"]["path"]).read()
    assert "mongodb://" not in manifest and "mongodb://" not in result.stdout




def test_a_full_disk_on_the_run_metadata_names_the_file(tmp_path):
    """The CSV fits; the profile, written next (before the manifest), does not."""
    out = tmp_path / "out"
    summary = run_with_file_size_limit(out, 3, 8_000)
    folder = out / "training_data" / "2024-12-01_to_2024-12-31"
    assert summary["error"] == "cannot write {}: File too large".format(folder / "_profile.json")
    assert not (folder / "_manifest.json").exists() and not list(out.rglob("*.part"))
    assert not list(out.rglob("*_state*"))


def test_sigterm_stops_cleans_up_reports_and_keeps_the_earlier_result(tmp_path):
    arguments = ["--OUTPUT_DIR", str(tmp_path), "--START_DATE", "2024-12-01",
                 "--END_DATE", "2024-12-31"]
    earlier = run_job(arguments + ["--SIMULATED_SESSIONS", "50"])
    assert earlier.returncode == 0
    folder = tmp_path / "training_data" / "2024-12-01_to_2024-12-31"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "glue_job.py"), "--SIMULATED_SESSIONS", "2000000"]
        + arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    status, summary = stop_with_sigterm(process, lambda: list(folder.glob("*.part")))
    assert status == 1
    assert summary["success"] is False and "SIGTERM" in summary["error"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_temporary_files_left_by_a_killed_run_are_removed_by_the_next(tmp_path):
    arguments = ["--OUTPUT_DIR", str(tmp_path), "--START_DATE", "2024-12-01",
                 "--END_DATE", "2024-12-31"]
    folder = tmp_path / "training_data" / "2024-12-01_to_2024-12-31"
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "glue_job.py"), "--SIMULATED_SESSIONS", "2000000"]
        + arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: list(folder.glob("*.part")))
    process.kill()
    process.wait()
    left = list(folder.glob("*.part"))
    assert left, "SIGKILL leaves the run's temporary file behind"
    assert run_job(arguments + ["--SIMULATED_SESSIONS", "20"]).returncode == 0
    assert not list(folder.glob("*.part"))


def test_sigterm_while_the_job_is_still_starting_ends_with_the_summary_line(tmp_path):
    """Glue may stop a job while Python is still importing numpy, boto3 and pymongo."""
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "glue_job.py"),
                                "--OUTPUT_DIR", str(tmp_path / "out")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the moment the script's first lines have run: SIGTERM (15) is caught
    status, summary = stop_with_sigterm(process, lambda: _catches_sigterm(process.pid))
    assert status == 1
    assert summary["success"] is False and "SIGTERM" in summary["error"]


def _catches_sigterm(pid):
    try:
        with open("/proc/{}/status".format(pid)) as handle:
            caught = next(line for line in handle if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


def test_nesting_as_deep_as_the_decoder_accepts_is_read_alike_in_order_shuffled_and_in_workers(
        tmp_path):
    """950 levels: Python's JSON decoder takes them; the spool of a shuffled file and the
    runs index pickle them with the room that needs, so every path gives the same rows."""
    deep = "[" * 950 + "]" * 950
    sessions = [json.dumps({"session_id": "s%d" % i, "created_at": DEC_1 + i,
                            "runs": [{"metrics": {"input_tokens": i + 1}}]}) for i in range(6)]
    sessions[3] = ('{"session_id": "deep", "created_at": %d, "agent_data": {"name": "A", '
                   '"x": %s}, "runs": [{"metrics": {"input_tokens": 4}, "deep": %s}]}'
                   % (DEC_1 + 3, deep, deep))
    in_order = tmp_path / "in_order.jsonl"
    in_order.write_text("\n".join(sessions) + "\n")
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("\n".join(reversed(sessions)) + "\n")
    runs = tmp_path / "runs.jsonl"
    runs.write_text('{"session_id": "s1", "created_at": %d, "deep": %s}\n' % (DEC_1, deep))
    outputs = {}
    for name, path, extra in (("in_order", in_order, []), ("shuffled", shuffled, []),
                              ("workers", shuffled, ["--WORKERS", "2"]),
                              ("runs", in_order, ["--RUNS_INPUT_PATH", str(runs)])):
        result = run_job(["--REPOSITORY_TYPE", "file", "--INPUT_PATH", str(path),
                          "--OUTPUT_DIR", str(tmp_path / name), *DEC, *extra])
        assert result.returncode == 0, (name, result.summary)
        assert (result.summary["rows_written"], result.summary["rejects"]) == (6, 0), name
        outputs[name] = open(result.summary["outputs"]["csv"]["path"], "rb").read()
        manifest = json.load(open(result.summary["outputs"]["manifest"]["path"]))
    assert outputs["shuffled"] == outputs["in_order"] == outputs["workers"]
    # the last run's: the deep run document was indexed, not skipped
    assert (manifest["source"]["runs"]["indexed"],
            manifest["source"]["runs"]["unreadable_lines"]) == (1, {})
