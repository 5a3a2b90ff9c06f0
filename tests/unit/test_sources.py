"""The source registry: a new source is one module and one entry. This test adds one, a
list of sessions in memory, by writing only that: its entry below and one registration."""

import io
import json
import os
from contextlib import redirect_stdout

import pytest

from config.errors import ConfigError
from entrypoints import command_line
from factories.configuration import for_spark, load_config
from factories.sources import SOURCES
from factories.sources.entry import Prepared, SourceEntry
from interfaces.ports import SessionRepository
from tests.support.documents import DEC_1, v1_session, v2_session

# --- the whole of the new source ---------------------------------------------------------


class InMemorySessions(SessionRepository):
    def __init__(self, count: int):
        self.count = count

    def documents(self, window):
        for number in range(self.count):
            created = DEC_1 + number * 3600
            if window.start_seconds <= created < window.end_exclusive_seconds:
                make = v2_session if number % 2 else v1_session
                yield make("mem-%03d" % number, created)

    def describe(self):
        return {"type": "in_memory", "sessions": self.count}


IN_MEMORY = SourceEntry(
    name="in_memory",
    build=lambda config: InMemorySessions(config.simulated_sessions),
    slice_repository=lambda config, prepared: InMemorySessions(prepared),
    prepare_slices=lambda config, pool, work_folder: Prepared(data=config.simulated_sessions),
    runs_on_spark=False, not_on_spark_because="its sessions live in the driver's memory")

# ------------------------------------------------------------------------------------------


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(SOURCES, IN_MEMORY.name, IN_MEMORY)


def run(argv):
    with redirect_stdout(io.StringIO()) as out:
        status = command_line.main(["glue_job.py", *argv], {})
    return status, json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_registered_source_runs_in_one_pass_and_in_worker_processes(registered, tmp_path,
                                                                      workers):
    status, summary = run(["--REPOSITORY_TYPE", "in_memory", "--SIMULATED_SESSIONS", "30",
                           "--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
                           "--WORKERS", workers, "--OUTPUT_DIR", str(tmp_path)])
    assert status == 0, summary
    assert (summary["source"], summary["rows_written"]) == ("in_memory", 30)
    manifest_path = os.path.join(os.path.dirname(summary["outputs"]["csv"]["path"]),
                                 "_manifest.json")
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    assert manifest["source"]["type"] == "in_memory"
    with open(summary["outputs"]["csv"]["path"]) as handle:
        ids = [line.split(",", 1)[0] for line in handle.read().splitlines()[1:]]
    assert ids == ["mem-%03d" % number for number in range(30)]


def test_an_unregistered_source_is_refused_with_the_registered_names(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(["glue_job.py", "--REPOSITORY_TYPE", "in_memory"], {})
    assert str(error.value) == ("REPOSITORY_TYPE: 'in_memory'; expected one of auto, mongo, "
                                "file, simulated")


def test_spark_refuses_a_source_that_says_it_cannot_run_there(registered):
    config = load_config(["glue_job.py", "--REPOSITORY_TYPE", "in_memory"], {})
    with pytest.raises(ConfigError) as error:
        for_spark(config)
    assert str(error.value) == ("REPOSITORY_TYPE: in_memory; expected mongo or simulated on "
                                "Spark (its sessions live in the driver's memory)")


def test_input_path_chooses_the_file_source_and_is_refused_beside_another_source(tmp_path):
    """A file named and then ignored would give made-up sessions where the user expects
    theirs."""
    path = tmp_path / "sessions.jsonl"
    path.write_text("{}\n")
    config = load_config(["glue_job.py"], {"INPUT_PATH": str(path)})
    assert config.repository_type == "file"
    for other in ({"REPOSITORY_TYPE": "simulated"}, {"MONGO_URI": "mongodb://db:27017"}):
        with pytest.raises(ConfigError, match="INPUT_PATH only with REPOSITORY_TYPE=file"):
            load_config(["glue_job.py"], dict(other, INPUT_PATH=str(path)))
