"""Runs glue_job.py as a user would: a subprocess, parameters as arguments or environment."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JOB_PARAMETERS = ("MONGO_URI", "MONGO_SECRET_ID", "REPOSITORY_TYPE", "S3_BUCKET", "INPUT_PATH",
                  "START_DATE", "END_DATE", "OUTPUT_DIR", "THRESHOLDS", "DATE_FIELD",
                  "RUNS_COLLECTION", "RUNS_INPUT_PATH", "SESSION_SCHEMA", "COLLECTION_NAME",
                  "DATABASE_NAME")


class Completed:
    def __init__(self, process):
        self.returncode = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        lines = process.stdout.strip().splitlines()
        self.summary = json.loads(lines[-1]) if lines else None


def run_job(args=(), env=None, cwd=ROOT, script=None, timeout=300, python=sys.executable):
    environment = {k: v for k, v in os.environ.items() if k not in JOB_PARAMETERS}
    environment.update(env or {})
    process = subprocess.run([python, script or os.path.join(ROOT, "glue_job.py"), *args],
                             cwd=cwd, env=environment, capture_output=True, text=True,
                             timeout=timeout)
    return Completed(process)


def wait_until(condition, seconds: float = 60.0) -> bool:
    """Polls `condition()` until it holds or `seconds` pass; returns its last value."""
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return bool(condition())


def when_ready(process, ready, action, seconds: float = 60):
    """Waits until `ready()` holds for a running job (a subprocess.Popen with text pipes),
    calls `action()`, then waits `seconds` for the job to end; returns (exit status,
    summary). The job is killed if it outlives the test."""
    try:
        assert wait_until(ready), "the run never reached the expected point"
        action()
        stdout, _ = process.communicate(timeout=seconds)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, json.loads(stdout.strip().splitlines()[-1])


def stop_with_sigterm(process, started, before_signal=lambda: None):
    """Waits until `started()` holds for a running job, calls `before_signal`, sends
    SIGTERM; returns (exit status, summary)."""
    import signal

    def stop():
        before_signal()
        process.send_signal(signal.SIGTERM)
    return when_ready(process, started, stop)
