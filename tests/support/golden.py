"""Golden outputs: what the job writes for fixed inputs, kept in tests/golden/ byte for byte.

A refactoring must not change a byte of them; a deliberate change of the contract does, and
then `make golden` writes them anew (the diff shows what changed). Three corpora:

- simulated: 1,000 simulated sessions of every shape (Agno 1, 2, 3, team, half-migrated);
- file: a mongoexport of every shape, damaged documents and broken lines, with an Agno 3
  runs dump in shuffled order;
- fuzz: 1,500 damaged documents (tests/support/fuzz.py) through the file source.

Timings, run ids and local paths are taken out of the manifest; everything else stays. The
profile and drift of each corpus are kept too (a first run: no previous run to compare
with); the report, which shows its run's time, is not.

    python -m tests.support.golden write   # refresh tests/golden/
    python -m tests.support.golden check   # exit 1 naming the first file that differs
"""

import io
import json
import os
import random
import sys
import tempfile
from contextlib import redirect_stdout

from bson import json_util

import glue_job
from interfaces.values import JoinedSession
from repositories.simulated import SimulatedSessionRepository
from tests.support.cli import ROOT
from tests.support.documents import DEC_1, v1_session, v2_session
from tests.support.fuzz import DEC_RANGE, fuzz_documents

GOLDEN = os.path.join(ROOT, "tests", "golden")
RANGE = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31", "--JOB_RUN_ID", "golden",
         "--MAX_REJECT_RATIO", "1"]
_VOLATILE = ("started_at", "finished_at", "duration_seconds", "job_run_id")
# The report shows when and which run made it: its bytes are not kept.
_VOLATILE_OUTPUTS = ("report",)


def _jsonl(path, documents):
    with open(path, "w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(json_util.dumps(document) + "\n")


def _file_corpus(folder):
    items = list(SimulatedSessionRepository(400, 21).documents(DEC_RANGE))
    sessions = [i.document if isinstance(i, JoinedSession) else i for i in items]
    runs = [run for i in items if isinstance(i, JoinedSession) for run in i.run_documents]
    random.Random(5).shuffle(runs)
    sessions += [v2_session("v2-%d" % i, DEC_1 + 100 + i, runs=3) for i in range(3)]
    sessions += [v1_session("v1-%d" % i, DEC_1 + 200 + i) for i in range(3)]
    sessions += [{"session_id": "string-runs", "runs": "x", "created_at": DEC_1 + 300},
                 {"session_id": "=formula", "agent_data": {"name": "+cmd"}, "runs": [],
                  "created_at": DEC_1 + 301}]
    sessions_path = os.path.join(folder, "sessions.jsonl")
    _jsonl(sessions_path, sessions)
    with open(sessions_path, "a", encoding="utf-8") as handle:
        handle.write('{"session_id": "cut\n[1, 2]\n')
    runs_path = os.path.join(folder, "runs.jsonl")
    _jsonl(runs_path, runs)
    return ["--REPOSITORY_TYPE", "file", "--INPUT_PATH", sessions_path,
            "--RUNS_INPUT_PATH", runs_path]


def _fuzz_corpus(folder):
    path = os.path.join(folder, "fuzz.jsonl")
    _jsonl(path, fuzz_documents(1500, 8))
    return ["--REPOSITORY_TYPE", "file", "--INPUT_PATH", path]


CORPORA = {
    "simulated": lambda folder: ["--REPOSITORY_TYPE", "simulated", "--SIMULATED_SESSIONS",
                                 "1000", "--SIMULATION_SEED", "7"],
    "file": _file_corpus,
    "fuzz": _fuzz_corpus,
}


def produce(target, extra=()):
    """Runs every corpus (with `extra` parameters) and writes its outputs under
    target/<corpus>/."""
    for name, arguments_for in CORPORA.items():
        with tempfile.TemporaryDirectory() as work:
            arguments = arguments_for(work) + RANGE + ["--OUTPUT_DIR", os.path.join(work, "o"),
                                                       *extra]
            with redirect_stdout(io.StringIO()) as captured:
                status = glue_job.main(["glue_job.py"] + arguments, {"LOG_LEVEL": "ERROR"})
            summary = json.loads(captured.getvalue().strip().splitlines()[-1])
            if status != 0:
                raise RuntimeError("{}: {}".format(name, summary))
            os.makedirs(os.path.join(target, name), exist_ok=True)
            for output, where in summary["outputs"].items():
                if output in _VOLATILE_OUTPUTS:
                    continue
                with open(where["path"], "rb") as handle:
                    content = handle.read()
                if output == "manifest":
                    content = _stable_manifest(content, work)
                with open(os.path.join(target, name, os.path.basename(where["path"])),
                          "wb") as handle:
                    handle.write(content)


def _stable_manifest(content: bytes, work: str) -> bytes:
    manifest = json.loads(content)
    for key in _VOLATILE:
        manifest.pop(key, None)
    for name, output in manifest.get("outputs", {}).items():
        output.pop("path", None)
        if name in _VOLATILE_OUTPUTS:
            output.pop("sha256", None)
            output.pop("size", None)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    return text.replace(work, "<work>").encode()


def differences(expected, actual):
    """Relative paths that differ between two golden folders (missing on either side too)."""
    def files(root):
        return {os.path.relpath(os.path.join(folder, name), root)
                for folder, _, names in os.walk(root) for name in names}
    found = []
    for relative in sorted(files(expected) | files(actual)):
        paths = [os.path.join(root, relative) for root in (expected, actual)]
        if not all(os.path.exists(p) for p in paths):
            found.append(relative)
            continue
        with open(paths[0], "rb") as left, open(paths[1], "rb") as right:
            if left.read() != right.read():
                found.append(relative)
    return found


def main(command: str) -> int:
    if command == "write":
        produce(GOLDEN)
        return 0
    with tempfile.TemporaryDirectory() as actual:
        produce(actual)
        changed = differences(GOLDEN, actual)
    for relative in changed:
        print("golden output differs: tests/golden/{}".format(relative), file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "check"))
