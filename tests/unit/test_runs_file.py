"""The file source with RUNS_INPUT_PATH: a mongoexport of the runs collection, in any order."""

import datetime as dt
import json
import os
import random

import pytest
from bson import json_util

from interfaces.values import DateRange, JoinedSession
from repositories.file_repository import FileSessionRepository
from repositories.runs_file import RunsFile
from repositories.simulated import SimulatedSessionRepository
from tests.support.pipeline import feature_rows
from tests.unit.test_features_oracle import comparable

RANGE = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))
RELAXED = json_util.RELAXED_JSON_OPTIONS


def dump(path, documents, options=RELAXED):
    with open(path, "w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(json_util.dumps(document, json_options=options) + "\n")
    return str(path)


def simulated_items(count=300):
    return list(SimulatedSessionRepository(count, 11).documents(RANGE))


def test_shuffled_runs_dump_gives_the_rows_of_the_in_memory_join(tmp_path):
    items = simulated_items()
    sessions = [i.document if isinstance(i, JoinedSession) else i for i in items]
    runs = [run for i in items if isinstance(i, JoinedSession) for run in i.run_documents]
    random.Random(3).shuffle(runs)
    runs_path = dump(tmp_path / "runs.jsonl", runs, json_util.CANONICAL_JSON_OPTIONS)
    runs_file = RunsFile(runs_path, temporary_dir=str(tmp_path))
    repository = FileSessionRepository(dump(tmp_path / "sessions.jsonl", sessions),
                                       "created_at", runs_file, batch_size=37)
    read = list(repository.documents(RANGE))
    assert sum(isinstance(i, JoinedSession) for i in read) == sum(
        isinstance(i, JoinedSession) for i in items) > 50
    assert [comparable(row) for row in feature_rows(read)] == [
        comparable(row) for row in feature_rows(items)]
    described = repository.describe()["runs"]
    assert described["joined"] and described["file"] == runs_path
    assert described["documents_read"] == len(runs) == described["indexed"]
    # the index holds runs without their messages, and goes away with the repository
    assert all("messages" not in run["run_data"] for i in read if isinstance(i, JoinedSession)
               for run in i.run_documents)
    assert any(name.startswith("runs-index-") for name in os.listdir(tmp_path))
    repository.close()
    assert not any(name.startswith("runs-index-") for name in os.listdir(tmp_path))


def test_unreadable_runs_lines_are_skipped_counted_and_the_rest_joins(tmp_path):
    good = {"session_id": "s1", "run_id": "r1", "run_index": 0, "created_at": 1733011200,
            "run_data": {"run_id": "r1", "metrics": {"total_tokens": 9, "duration": 1}}}
    runs_path = tmp_path / "runs.jsonl"
    runs_path.write_text("\n".join([
        json_util.dumps(good), '{"session_id": "cut', "[1]", '{"run_id": "no session"}',
        '{"session_id": 5, "run_data": {}}', json_util.dumps(dict(good, run_id="big", run_data={
            "run_id": "big", "metrics": {"total_tokens": 2 ** 70}}))]) + "\n")
    runs_file = RunsFile(str(runs_path), temporary_dir=str(tmp_path))
    try:
        runs = list(runs_file.runs_of(["s1"]))
        assert [run["run_id"] for run in runs] == ["r1", "big"]
        assert runs[1]["run_data"]["metrics"]["total_tokens"] == 2 ** 70
        assert runs_file.describe()["unreadable_lines"] == {
            "invalid Extended JSON": 1, "no text session_id": 2, "not a JSON object": 1}
    finally:
        runs_file.close()


def test_a_lone_surrogate_in_an_id_is_a_key_like_any_other(tmp_path):
    """JSON may carry a lone UTF-16 surrogate (a legal \\ud800 escape), which SQLite cannot
    hold: a shuffled file, its parallel scan and a runs file all failed on it."""
    from repositories.file_repository import ScannedFileSlices, scan_in_parts
    from tests.support.documents import DEC_1, v2_session
    from tests.support.reading import read_all

    odd_id = "s-\ud800-x"
    sessions = [dict(v2_session("b", DEC_1 + 5), _id="id-b"),
                dict(v2_session(odd_id, DEC_1 + 1), _id="zz-\udfff"),
                dict(v2_session("a", DEC_1 + 1), _id="id-a")]  # shuffled: a spool sorts
    lines = [json.dumps(document) for document in sessions]  # \\ud800 escapes, as JSON has
    sessions_path = tmp_path / "sessions.jsonl"
    sessions_path.write_text("\n".join(lines) + "\n", encoding="ascii")
    runs_path = tmp_path / "runs.jsonl"
    runs_path.write_text(json.dumps({"session_id": odd_id, "run_index": 0, "run_data": {
        "run_id": "r", "status": "COMPLETED", "metrics": {"total_tokens": 9}}}) + "\n",
        encoding="ascii")
    repository = FileSessionRepository(str(sessions_path), "created_at",
                                       RunsFile(str(runs_path), temporary_dir=str(tmp_path)))
    read = read_all(repository, RANGE)
    ids = [(item.document if isinstance(item, JoinedSession) else item)["session_id"]
           for item in read]
    assert ids == ["a", odd_id, "b"]  # (created_at, _id) order: "id-a" < "zz-..."
    [joined] = [item for item in read if isinstance(item, JoinedSession)]
    assert joined.document["session_id"] == odd_id and len(joined.run_documents) == 1
    parts = scan_in_parts(str(sessions_path), RANGE, "created_at", 2, str(tmp_path), map)
    sliced = list(ScannedFileSlices(str(sessions_path), "created_at", parts).documents(RANGE))
    assert [document["session_id"] for document in sliced] == ["a", odd_id, "b"]


@pytest.mark.parametrize("encode", [
    lambda text: __import__("gzip").compress(text.encode()),
    lambda text: text.encode("utf-16")])
def test_a_runs_file_from_which_no_line_can_be_read_is_a_configuration_error(tmp_path, encode):
    """Gzipped or UTF-16, every line was skipped: exit 0 and every session without runs."""
    from config.errors import ConfigError

    line = json.dumps({"session_id": "s", "run_data": {"run_id": "r"}}) + "\n"
    path = tmp_path / "runs.jsonl"
    path.write_bytes(encode(line * 50))
    runs = RunsFile(str(path), temporary_dir=str(tmp_path))
    with pytest.raises(ConfigError) as error:
        list(runs.runs_of(["s"]))
    assert error.value.parameter == "RUNS_INPUT_PATH"
    assert "none of its" in str(error.value) and "\n" not in str(error.value)
    runs.close()


def test_an_empty_runs_file_is_no_error(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text("")
    assert list(RunsFile(str(path), temporary_dir=str(tmp_path)).runs_of(["s"])) == []


def test_a_temporary_folder_whose_name_holds_a_question_mark_or_a_hash(tmp_path):
    """The spool is opened read-only through an SQLite URI, which took `?` and `#` in the
    folder's name for its query."""
    from repositories.spool import TemporaryDatabase, open_spool

    folder = tmp_path / "tmp?mode=rw#x"
    folder.mkdir()
    database = TemporaryDatabase("spool", str(folder))
    database.connection.execute("CREATE TABLE t (x)")
    database.connection.execute("INSERT INTO t VALUES (7)")
    database.connection.commit()
    reader = open_spool(database.path, read_only=True)
    assert reader.execute("SELECT x FROM t").fetchall() == [(7,)]
    reader.close()
    database.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp?mode=rw#x"]
