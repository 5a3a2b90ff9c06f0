"""A publish interrupted at each of its steps (SIGTERM, and SIGKILL as a machine lost), with
an earlier result of the range present locally and in moto's S3: afterwards the range
always has a complete result, files and a manifest that agree, locally or in S3 or both,
and the summary of a stopped run says which."""

import hashlib
import json
import os
import subprocess
import sys

import boto3
import pytest

from tests.support.cli import ROOT

pytestmark = pytest.mark.integration

BUCKET = "interrupted"
RANGE = ["--START_DATE", "2024-12-01", "--END_DATE", "2024-12-31",
         "--REPOSITORY_TYPE", "simulated", "--SIMULATED_SESSIONS", "40"]


def job(arguments, env, signal_name="SIGTERM", kind="store", at=0):
    process = subprocess.run(
        [sys.executable, "-m", "tests.support.killed_publish", signal_name, kind, str(at), "--",
         *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    steps = [line for line in process.stderr.splitlines() if line.startswith("steps ")]
    lines = process.stdout.strip().splitlines()
    return (process.returncode, json.loads(lines[-1]) if lines else None,
            json.loads(steps[-1][6:]) if steps else None)


def complete_results(output_dir, prefix):
    """[(where, job run id)] of every complete result of the range."""
    folder = "{}/2024-12-01_to_2024-12-31".format(prefix)
    found = []
    local = os.path.join(output_dir, folder, "_manifest.json")
    if os.path.exists(local):
        manifest = json.load(open(local))
        if all(_sha(os.path.join(output_dir, output["key"])) == output["sha256"]
               for output in manifest["outputs"].values()):
            found.append(("local", manifest["job_run_id"]))
    s3 = boto3.client("s3")
    stored = {item["Key"] for item in s3.list_objects_v2(
        Bucket=BUCKET, Prefix=folder + "/").get("Contents", [])}
    if folder + "/_manifest.json" in stored:
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=folder + "/_manifest.json")[
            "Body"].read())
        if all(output["key"] in stored and hashlib.sha256(s3.get_object(
                Bucket=BUCKET, Key=output["key"])["Body"].read()).hexdigest() ==
               output["sha256"] for output in manifest["outputs"].values()):
            found.append(("s3", manifest["job_run_id"]))
    return found


def _sha(path):
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


@pytest.fixture
def bucket(aws):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return dict(os.environ, **aws)


def test_a_publish_interrupted_at_any_step_leaves_a_complete_result(bucket, tmp_path):
    env = bucket
    # How many steps a publish has: a run that is not interrupted counts them.
    status, summary, steps = job(RANGE + ["--S3_BUCKET", BUCKET, "--S3_PREFIX", "count",
                                          "--OUTPUT_DIR", str(tmp_path / "count")], env)
    assert status == 0, summary
    assert steps["store"] >= 8 and steps["local"] >= 2, steps
    checked = 0
    for signal_name in ("SIGTERM", "SIGKILL"):
        for kind in ("store", "local"):
            for at in range(1, steps[kind] + 1):
                prefix = "{}-{}-{}".format(signal_name.lower(), kind, at)
                out = str(tmp_path / prefix)
                common = RANGE + ["--S3_BUCKET", BUCKET, "--S3_PREFIX", prefix,
                                  "--OUTPUT_DIR", out]
                status, _, _ = job(common + ["--JOB_RUN_ID", "earlier"], env)
                assert status == 0
                assert complete_results(out, prefix) == [("local", "earlier"), ("s3", "earlier")]
                status, summary, _ = job(common + ["--JOB_RUN_ID", "later",
                                                   "--SIMULATION_SEED", "7"],
                                         env, signal_name, kind, at)
                left = complete_results(out, prefix)
                where = (signal_name, kind, at, status, left)
                assert left, where  # never no complete result
                assert all(run in ("earlier", "later") for _, run in left), where
                if signal_name == "SIGTERM":
                    # the summary tells the truth: success means the new result is
                    # complete everywhere; a stop means the earlier one is still whole
                    if status == 0:
                        assert left == [("local", "later"), ("s3", "later")], where
                    else:
                        assert status == 1 and "SIGTERM" in summary["error"], where
                        assert left == [("local", "earlier"), ("s3", "earlier")], where
                        assert not [n for n in os.listdir(os.path.join(
                            out, prefix, "2024-12-01_to_2024-12-31")) if n.endswith(".part")]
                checked += 1
    assert checked == 2 * (steps["store"] + steps["local"])
