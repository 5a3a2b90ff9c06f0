import datetime as dt
import hashlib
import json
import os

import pytest

from calculators.columns import COLUMN_NAMES, NUMERIC_COLUMNS
from config.errors import ConfigError
from factories.configuration import load_config
from interfaces.errors import PublishError, SourceError
from services.dataset_job import JobFailure, run_job
from services.engine_one_pass import OnePass
from services.run_outputs import staging_prefix_of
from tests.support.documents import DEC_1, v1_session, v2_session
from tests.unit.fakes import FakeRepository, FakeStore

PREFIX = "training_data/2024-12-01_to_2024-12-31"


def config_for(tmp_path, **env):
    base = {"START_DATE": "2024-12-01", "END_DATE": "2024-12-31", "OUTPUT_DIR": str(tmp_path),
            "JOB_RUN_ID": "jr_test"}
    base.update(env)
    return load_config(["glue_job.py"], base, today=dt.date(2025, 1, 15))


def documents(count=20, broken=0):
    docs = [v2_session("s%d" % i, DEC_1 + i) if i % 2 else v1_session("s%d" % i, DEC_1 + i)
            for i in range(count)]
    docs.extend({"session_id": "bad%d" % i, "runs": "oops"} for i in range(broken))
    return docs


def folder(tmp_path):
    return tmp_path / "training_data" / "2024-12-01_to_2024-12-31"


def test_rows_plus_rejects_equal_documents_and_the_manifest_says_so(tmp_path):
    result = run_job(config_for(tmp_path), OnePass(FakeRepository(documents(40, broken=1))))
    manifest = json.loads((folder(tmp_path) / "_manifest.json").read_text())
    counts = (manifest["documents_read"], manifest["rows_written"], manifest["rejects"])
    assert counts == (41, 40, 1)
    assert manifest["shapes"] == {"agno_v1": 20, "agno_v1_legacy": 0, "agno_v2": 20,
                                  "agno_v3": 0, "empty": 0}
    assert manifest["reject_reasons"] == {"runs is not a list": 1}
    assert manifest["columns"] == list(COLUMN_NAMES)
    quantiles = ("p1", "p5", "p25", "p50", "p75", "p95", "p99")
    assert manifest["column_statistics"]["total_runs"] == dict(
        {"nulls": 0, "zeros": 0, "min": 1, "mean": 1.0, "max": 1}, **dict.fromkeys(quantiles, 1))
    # one run each: no degradation (N < 2) anywhere, so no statistic but the null count
    assert manifest["column_statistics"]["degradation_score"] == dict(
        {"nulls": 40, "zeros": 0, "min": None, "mean": None, "max": None},
        **dict.fromkeys(quantiles))
    csv_lines = (folder(tmp_path) / "conversations_2024-12-01_to_2024-12-31.csv").read_text(
    ).splitlines()
    assert len(csv_lines) == 41
    rejects = [json.loads(line) for line in (folder(tmp_path) / "_rejects.jsonl").read_text(
    ).splitlines()]
    assert rejects == [{"_id": None, "session_id": "bad0", "reason": "runs is not a list"}]
    assert manifest["outputs"]["csv"]["sha256"] == result.outputs["csv"].sha256
    assert manifest["outputs"]["csv"]["size"] == os.path.getsize(result.outputs["csv"].path)


def test_same_input_same_bytes(tmp_path):
    run_job(config_for(tmp_path / "a"), OnePass(FakeRepository(documents())))
    run_job(config_for(tmp_path / "b"), OnePass(FakeRepository(documents())))
    name = "conversations_2024-12-01_to_2024-12-31.csv"
    assert (folder(tmp_path / "a") / name).read_bytes() == (folder(tmp_path / "b") / name
                                                             ).read_bytes()


def test_publishing_order_is_stage_withdraw_switch_then_manifest(tmp_path):
    store = FakeStore()
    config = config_for(tmp_path)
    staging = staging_prefix_of(config)
    run_job(config, OnePass(FakeRepository(documents(5, broken=0))), store)
    data = PREFIX + "/conversations_2024-12-01_to_2024-12-31.csv"
    state = "training_data/_state/"
    assert store.calls == [
        ("check", None),  # the bucket is checked before anything is read
        # the profiles this run's is compared with
        ("fetch", state + "reference_profile.json"), ("fetch", state + "last_profile.json"),
        # staged: nothing a reader sees has changed yet
        ("upload", staging + "/conversations_2024-12-01_to_2024-12-31.csv"),
        ("upload", staging + "/_profile.json"), ("upload", staging + "/_drift.json"),
        ("upload", staging + "/_report.html"),
        ("delete", PREFIX + "/_manifest.json"),
        # what contract 1.1 named them: no manifest of an earlier run may stay beside
        ("delete", PREFIX + "/manifest.json"), ("delete", PREFIX + "/rejects.jsonl"),
        ("delete", PREFIX + "/rejects.failed.jsonl"),
        # the other format's file of the range: a reader must find one result, not two
        ("delete", PREFIX + "/conversations_2024-12-01_to_2024-12-31.parquet"),
        ("delete", PREFIX + "/_rejects.jsonl"),
        ("copy", data), ("copy", PREFIX + "/_profile.json"), ("copy", PREFIX + "/_drift.json"),
        ("copy", PREFIX + "/_report.html"),
        ("upload", PREFIX + "/_manifest.json"),
        ("delete", staging + "/_drift.json"), ("delete", staging + "/_profile.json"),
        ("delete", staging + "/_report.html"),
        ("delete", staging + "/conversations_2024-12-01_to_2024-12-31.csv"),
        # once published, this run's profile is the next run's previous (and, the first
        # time, the reference)
        ("replace", state + "reference_profile.json"), ("replace", state + "last_profile.json")]
    manifest = json.loads(store.objects[PREFIX + "/_manifest.json"])
    assert manifest["outputs"]["csv"]["s3_uri"] == "s3://fake/" + data
    assert not [key for key in store.objects if "_staging" in key]


def snapshot(path):
    return {p.name: p.read_bytes() for p in path.iterdir()}


def test_too_many_rejects_fail_after_writing_them_and_publish_nothing(tmp_path):
    run_job(config_for(tmp_path, MAX_REJECT_RATIO="0.5"),
            OnePass(FakeRepository(documents(5, broken=1))))  # an earlier run, a reject
    before = snapshot(folder(tmp_path))
    store = FakeStore()
    with pytest.raises(JobFailure, match="2 of 12 documents rejected.*_rejects.failed.jsonl"):
        run_job(config_for(tmp_path, MAX_REJECT_RATIO="0.1"),
                OnePass(FakeRepository(documents(10, broken=2))), store)
    after = snapshot(folder(tmp_path))
    failed = after.pop("_rejects.failed.jsonl")
    assert failed.count(b"\n") == 2
    assert after == before  # the earlier CSV, rejects and manifest, byte for byte
    assert store.calls == [("check", None)]
    # the next good run publishes and clears the failed run's rejects
    run_job(config_for(tmp_path), OnePass(FakeRepository(documents(5))))
    assert not (folder(tmp_path) / "_rejects.failed.jsonl").exists()


def test_a_source_failure_leaves_the_earlier_outputs_exactly_as_they_were(tmp_path):
    run_job(config_for(tmp_path), OnePass(FakeRepository(documents(5))))  # an earlier good run
    before = snapshot(folder(tmp_path))
    assert "_manifest.json" in before
    with pytest.raises(SourceError):
        run_job(config_for(tmp_path), OnePass(FakeRepository(documents(5000), fail_after=4000)))
    assert snapshot(folder(tmp_path)) == before
    assert not [p for p in os.listdir(folder(tmp_path)) if p.endswith(".part")]


def test_an_unreachable_store_fails_before_anything_is_read(tmp_path):
    class RefusingStore(FakeStore):
        def check(self):
            raise PublishError("no AWS credentials found for s3://fake")

    repository = FakeRepository(documents(5), fail_after=0)  # reading would raise SourceError
    with pytest.raises(PublishError, match="no AWS credentials"):
        run_job(config_for(tmp_path), OnePass(repository), RefusingStore())


def test_temporary_files_of_dead_runs_are_removed_and_those_of_live_runs_kept(tmp_path):
    place = folder(tmp_path)
    place.mkdir(parents=True)
    data_name = "conversations_2024-12-01_to_2024-12-31.csv"
    dead = place / "{}.{}-0123abcd.part".format(data_name, 2 ** 22 + 12345)  # above pid_max
    live = place / "_manifest.json.{}-89abcdef.part".format(os.getppid())
    unrelated = place / "notes.part"
    for path in (dead, live, unrelated):
        path.write_text("x")
    run_job(config_for(tmp_path), OnePass(FakeRepository(documents(3))))
    assert not dead.exists() and live.exists() and unrelated.exists()


FAILURES = {
    "staging upload": lambda operation, key: operation == "upload" and "_staging" in key,
    "manifest withdrawal": lambda operation, key: operation == "delete" and key.endswith(
        "/_manifest.json"),
    "copy of the rows": lambda operation, key: operation == "copy",
    "a stale key's removal": lambda operation, key: operation == "delete" and key.endswith(
        "/_rejects.jsonl"),
    "manifest upload": lambda operation, key: operation == "upload" and key.endswith(
        "/_manifest.json"),
}


def complete_results(tmp_path, store):
    """Where the range has a complete result: a manifest whose outputs all match."""
    found = []
    local = folder(tmp_path) / "_manifest.json"
    if local.exists():
        manifest = json.loads(local.read_text())
        if all(hashlib.sha256((tmp_path / output["key"]).read_bytes()).hexdigest() ==
               output["sha256"] for output in manifest["outputs"].values()):
            found.append(("local", manifest["job_run_id"]))
    if PREFIX + "/_manifest.json" in store.objects:
        manifest = json.loads(store.objects[PREFIX + "/_manifest.json"])
        if all(hashlib.sha256(store.objects.get(output["key"], b"")).hexdigest() ==
               output["sha256"] for output in manifest["outputs"].values()):
            found.append(("s3", manifest["job_run_id"]))
    return found


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_publish_never_loses_the_last_complete_result(tmp_path, failure):
    """An earlier complete result exists; the new run's store fails at a step of the
    publish: exit 1, and a complete result of the range (files and manifest that agree)
    is left locally or in S3, and the error says which."""
    store = FakeStore()
    run_job(config_for(tmp_path, JOB_RUN_ID="earlier", MAX_REJECT_RATIO="0.5"),
            OnePass(FakeRepository(documents(5, broken=1))), store)
    assert complete_results(tmp_path, store) == [("local", "earlier"), ("s3", "earlier")]
    store._failing = FAILURES[failure]
    with pytest.raises(PublishError) as raised:
        run_job(config_for(tmp_path, JOB_RUN_ID="later"),
                OnePass(FakeRepository(documents(9))), store)
    left = complete_results(tmp_path, store)
    assert ("local", "earlier") in left  # the local result changes only after S3's switch
    if failure in ("staging upload", "manifest withdrawal"):  # S3 untouched too
        assert left == [("local", "earlier"), ("s3", "earlier")]
    else:
        assert left == [("local", "earlier")]
    if failure == "staging upload":
        assert "nothing was published" in str(raised.value)
    else:
        assert "S3 holds no complete result of the range until a run succeeds" in str(
            raised.value) and "earlier local result in" in str(raised.value)
    assert not [p for p in os.listdir(folder(tmp_path)) if p.endswith(".part")]
    assert not [key for key in store.objects if "_staging" in key]


def test_an_empty_range_is_a_header_only_csv_and_a_manifest(tmp_path):
    run_job(config_for(tmp_path), OnePass(FakeRepository([])))
    csv_text = (folder(tmp_path) / "conversations_2024-12-01_to_2024-12-31.csv").read_text()
    assert csv_text.count("\n") == 1 and csv_text.startswith("session_id,agent_name,")
    manifest = json.loads((folder(tmp_path) / "_manifest.json").read_text())
    assert manifest["documents_read"] == 0 and manifest["rows_written"] == 0
    # no rows, no statistics: null, never a 0 that reads as measured
    statistics = manifest["column_statistics"]
    assert list(statistics) == list(NUMERIC_COLUMNS)  # text columns have none
    assert all(values == dict({"nulls": 0, "zeros": 0, "min": None, "mean": None, "max": None},
                              **dict.fromkeys(("p1", "p5", "p25", "p50", "p75", "p95", "p99")))
               for values in statistics.values())


def agno3_sessions_without_their_runs(count):
    return [{"session_id": "s%d" % i, "session_type": "agent", "created_at": DEC_1 + i,
             "agent_data": {"name": "A"}} for i in range(count)]


def test_half_the_sessions_without_runs_and_no_join_is_a_named_warning(tmp_path, caplog):
    caplog.set_level("WARNING", logger="services.dataset_job")
    docs = agno3_sessions_without_their_runs(3) + documents(3)
    result = run_job(config_for(tmp_path), OnePass(FakeRepository(docs)))
    assert result.stats.warnings["sessions_without_runs"] == 3
    manifest = json.loads((folder(tmp_path) / "_manifest.json").read_text())
    assert manifest["warnings"]["sessions_without_runs"] == 3
    assert "RUNS_COLLECTION" in caplog.text and "Agno 3" in caplog.text


def test_fewer_than_half_without_runs_or_a_joined_runs_source_is_no_warning(tmp_path):
    docs = agno3_sessions_without_their_runs(2) + documents(3)
    assert "sessions_without_runs" not in run_job(
        config_for(tmp_path), OnePass(FakeRepository(docs))).stats.warnings
    joined = FakeRepository(agno3_sessions_without_their_runs(4),
                            description={"type": "fake", "runs": {"joined": True}})
    assert "sessions_without_runs" not in run_job(config_for(tmp_path),
                                                  OnePass(joined)).stats.warnings


def test_an_output_folder_that_leads_outside_output_dir_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "training_data").symlink_to(outside)
    with pytest.raises(ConfigError, match="outside"):
        run_job(config_for(tmp_path / "out"), OnePass(FakeRepository(documents(2))))
    assert list(outside.iterdir()) == []


def test_the_manifest_echoes_the_configuration_without_secrets_and_defines_each_column(
        tmp_path):
    config = config_for(tmp_path, MONGO_URI="mongodb://reader:Pa55word@db.example:27017/",
                        REPOSITORY_TYPE="simulated")
    run_job(config, OnePass(FakeRepository(documents(2))))
    text = (folder(tmp_path) / "_manifest.json").read_text()
    manifest = json.loads(text)
    assert "Pa55word" not in text
    echoed = manifest["configuration"]
    assert echoed["MONGO_URI"] == "***" and echoed["START_DATE"] == "2024-12-01"
    assert echoed["THRESHOLDS"]["TIMEOUT_LIMIT"] == 60.0 and echoed["S3_BUCKET"] is None
    assert manifest["column_definitions"]["avg_tokens_per_second"] == {
        "position": 34, "type": "real", "unit": "tokens/s", "definition": "mean(tps)"}


def test_an_empty_result_does_not_replace_a_non_empty_one_unless_allowed(tmp_path):
    run_job(config_for(tmp_path), OnePass(FakeRepository(documents(4))))  # 4 rows
    before = snapshot(folder(tmp_path))
    with pytest.raises(JobFailure,
                       match="earlier result of 2024-12-01_to_2024-12-31 .4 rows, local"):
        run_job(config_for(tmp_path), OnePass(FakeRepository([])))
    assert snapshot(folder(tmp_path)) == before
    run_job(config_for(tmp_path, ALLOW_EMPTY="true"), OnePass(FakeRepository([])))
    manifest = json.loads((folder(tmp_path) / "_manifest.json").read_text())
    assert manifest["rows_written"] == 0


def test_an_earlier_non_empty_result_in_s3_counts_too(tmp_path):
    store = FakeStore()
    store.objects[PREFIX + "/_manifest.json"] = json.dumps({"rows_written": 9}).encode()
    with pytest.raises(JobFailure, match=r"\(9 rows, in S3\)"):
        run_job(config_for(tmp_path), OnePass(FakeRepository([])), store)
    assert ("upload", PREFIX + "/_manifest.json") not in store.calls


def test_metadata_of_contract_1_1_is_withdrawn_and_still_guards_an_earlier_result(tmp_path):
    """Before contract 1.2 the manifest and rejects were manifest.json and rejects.jsonl,
    which readers of the folder took for data. A run withdraws them, locally and in S3;
    until then an earlier result under those names is not replaced by an empty one."""
    store = FakeStore()
    legacy = folder(tmp_path)
    legacy.mkdir(parents=True)
    (legacy / "manifest.json").write_text(json.dumps({"rows_written": 7}))
    store.objects[PREFIX + "/manifest.json"] = json.dumps({"rows_written": 7}).encode()
    with pytest.raises(JobFailure, match=r"earlier result of .* \(7 rows, local\)"):
        run_job(config_for(tmp_path), OnePass(FakeRepository([])), store)
    (legacy / "rejects.jsonl").write_text("{}\n")
    run_job(config_for(tmp_path), OnePass(FakeRepository(documents(3))), store)
    assert sorted(p.name for p in legacy.iterdir()) == [
        "_drift.json", "_manifest.json", "_profile.json", "_report.html",
        "conversations_2024-12-01_to_2024-12-31.csv"]
    assert sorted(key for key in store.objects if key.startswith(PREFIX)) == [
        PREFIX + "/" + name for name in ("_drift.json", "_manifest.json", "_profile.json",
                                         "_report.html",
                                         "conversations_2024-12-01_to_2024-12-31.csv")]


@pytest.mark.parametrize("odd_id", [float("nan"), float("inf"), float("-inf")])
def test_a_reject_whose_id_is_nan_or_infinite_is_strict_json(tmp_path, odd_id):
    run_job(config_for(tmp_path, MAX_REJECT_RATIO="1"),
            OnePass(FakeRepository([{"_id": odd_id, "session_id": odd_id, "runs": "x"}])))

    def refuse(constant):
        raise ValueError("not strict JSON: " + constant)

    [line] = (folder(tmp_path) / "_rejects.jsonl").read_text().splitlines()
    reject = json.loads(line, parse_constant=refuse)
    assert reject["_id"] == reject["session_id"] == str(odd_id)


@pytest.mark.parametrize("output_format", ["csv", "parquet"])
def test_the_manifest_is_a_contract_a_table_can_be_built_from(tmp_path, output_format):
    if output_format == "parquet":
        pytest.importorskip("pyarrow")
    store = FakeStore()
    run_job(config_for(tmp_path, OUTPUT_FORMAT=output_format),
            OnePass(FakeRepository(documents(6))), store)
    uploaded = store.objects[PREFIX + "/_manifest.json"]
    manifest = json.loads(uploaded)
    assert manifest["contract"] == "1.2"
    assert manifest["format"]["name"] == output_format
    assert manifest["format"]["undefined_values"] == "null"
    by_name = {column["name"]: column for column in manifest["schema"]}
    assert [column["name"] for column in manifest["schema"]] == list(COLUMN_NAMES)
    assert by_name["session_start"]["athena_type"] == "timestamp"
    assert by_name["date"]["arrow_type"] == "date32[day]"
    assert (by_name["timeout_flag"]["arrow_type"], by_name["timeout_flag"]["athena_type"],
            by_name["timeout_flag"]["nullable"]) == ("int8", "tinyint", False)
    # one run each: degradation (N < 2) is null in every row, and may be
    assert by_name["degradation_score"]["nulls"] == 6 and by_name["degradation_score"]["nullable"]
    assert all(column["nulls"] == 0 for column in manifest["schema"] if not column["nullable"])
    assert (output_format == "csv") == ("formula_guard" in manifest["format"])
    # nothing in it names a place on the machine that wrote it
    assert str(tmp_path).encode() not in uploaded
    assert (folder(tmp_path) / "_manifest.json").read_bytes() == uploaded
