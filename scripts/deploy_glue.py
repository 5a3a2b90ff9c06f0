"""Deploys the job to AWS Glue: uploads script and wheel, creates or updates the job, and
with --schedule a SCHEDULED trigger. Run `make package` first.

    python scripts/deploy_glue.py --role-arn arn:aws:iam::123456789012:role/GlueJobRole \\
        --bucket my-glue-assets --schedule "cron(0 3 * * ? *)" \\
        --arg MONGO_SECRET_ID=prod/agno/mongo --arg S3_BUCKET=my-training-data

`--engine pythonshell` (the default) deploys glue_job.py as a Python shell job (Python
3.9); `--engine spark` deploys spark_job.py as a Glue 5.1 Spark job (`glueetl`, Python
3.11) with `--worker-type` and `--workers`.

boto3 takes credentials, region and endpoint (AWS_ENDPOINT_URL) from the environment.
"""

import argparse
import glob
import json
import os
import re
import sys
from typing import Dict, List, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from config.parameters import BY_NAME as PARAMETERS  # noqa: E402
from utils.secrets import mask_uri, passwords_in  # noqa: E402

DEFAULT_JOB_NAME = "extract-conversations-job"
# What Glue's analytics library set lacks, pinned for Python 3.9.
ADDITIONAL_MODULES = "pymongo==4.18.3,certifi==2026.5.20"
# The same for Glue 5.1 (Python 3.11): current releases.
SPARK_ADDITIONAL_MODULES = "pymongo==4.20.1,certifi==2026.10.19.post1"
SPARK_GLUE_VERSION = "5.1"
SCRIPTS = {"pythonshell": "glue_job.py", "spark": "spark_job.py"}
_CRON = re.compile(r"^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$")


class DeployError(Exception):
    pass


def parse_arguments(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job-name", default=DEFAULT_JOB_NAME)
    parser.add_argument("--role-arn", required=True, help="IAM role the job runs as")
    parser.add_argument("--bucket", required=True, help="bucket for the script and the wheel")
    parser.add_argument("--prefix", help="key prefix for them (default glue/<job-name>/)")
    parser.add_argument("--schedule", help='Glue cron expression in UTC, e.g. "cron(0 3 * * ? *)"')
    parser.add_argument("--engine", choices=sorted(SCRIPTS), default="pythonshell",
                        help="pythonshell: one process (WORKERS=auto uses its vCPUs); spark: "
                             "Glue for Spark, for ranges beyond one machine")
    parser.add_argument("--max-capacity", type=float, default=0.0625, choices=(0.0625, 1.0),
                        help="pythonshell DPUs: 0.0625 (1 GB) or 1 (16 GB, 4 vCPUs)")
    parser.add_argument("--worker-type", default="G.1X", choices=("G.1X", "G.2X", "G.4X", "G.8X"),
                        help="spark: worker type (G.1X: 4 vCPUs, 16 GB)")
    parser.add_argument("--workers", type=int, default=2,
                        help="spark: number of workers, the driver included (at least 2)")
    parser.add_argument("--timeout", type=int, default=15, help="minutes")
    parser.add_argument("--max-retries", type=int, default=3)
    parser.add_argument("--connection", help="Glue connection for VPC access")
    parser.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE",
                        help="a job parameter stored as a default argument (repeatable)")
    parser.add_argument("--dist", default=os.path.join(ROOT, "dist"))
    parser.add_argument("--dry-run", action="store_true", help="print the definitions only")
    arguments = parser.parse_args(argv)
    if arguments.schedule and not _CRON.match(arguments.schedule):
        parser.error("--schedule must look like cron(Minutes Hours Day-of-month Month "
                     "Day-of-week Year), in UTC")
    if arguments.workers < 2:
        parser.error("--workers must be at least 2 (a driver and one executor)")
    arguments.prefix = (arguments.prefix or "glue/{}/".format(arguments.job_name)).strip("/")
    return arguments


def job_parameters(pairs: List[str]) -> Dict[str, str]:
    """--arg NAME=VALUE pairs as Glue default arguments; refuses plaintext passwords."""
    parameters = {}
    for pair in pairs:
        name, has_equals, value = pair.partition("=")
        if not has_equals or name not in PARAMETERS:
            raise DeployError("--arg {!r}: expected NAME=VALUE with NAME among {}".format(
                mask_uri(pair), ", ".join(PARAMETERS)))
        if passwords_in(value):
            raise DeployError("--arg {}: the URI holds a password, which would be stored in "
                              "plain text in the job definition; put it in Secrets Manager "
                              "and pass --arg MONGO_SECRET_ID=<secret id>".format(name))
        parameters["--" + name] = value
    return parameters


def artifacts(dist: str, engine: str = "pythonshell") -> Dict[str, str]:
    wheels = sorted(glob.glob(os.path.join(dist, "*-py3-none-any.whl")))
    script = os.path.join(dist, SCRIPTS[engine])
    if len(wheels) != 1 or not os.path.isfile(script):
        raise DeployError("{} must hold {} and exactly one wheel: run `make package`"
                          .format(dist, SCRIPTS[engine]))
    return {"wheel": wheels[0], "script": script}


def job_definition(arguments: argparse.Namespace, script_uri: str, wheel_uri: str) -> dict:
    """The whole job, as create_job takes it (update_job resets what it is not given)."""
    spark = getattr(arguments, "engine", "pythonshell") == "spark"
    default_arguments = {
        "--extra-py-files": wheel_uri,
        "--additional-python-modules": SPARK_ADDITIONAL_MODULES if spark else ADDITIONAL_MODULES,
        "--job-language": "python",
    }
    if not spark:
        default_arguments["library-set"] = "analytics"
    default_arguments.update(job_parameters(arguments.arg))
    definition = {
        "Name": arguments.job_name,
        "Description": "Agno sessions in MongoDB -> per-session feature CSV on S3",
        "Role": arguments.role_arn,
        "DefaultArguments": default_arguments,
        "ExecutionProperty": {"MaxConcurrentRuns": 1},
        "Timeout": arguments.timeout,
        "MaxRetries": arguments.max_retries,
    }
    if spark:
        definition.update({
            "Command": {"Name": "glueetl", "ScriptLocation": script_uri, "PythonVersion": "3"},
            "GlueVersion": SPARK_GLUE_VERSION, "WorkerType": arguments.worker_type,
            "NumberOfWorkers": arguments.workers})
    else:
        definition.update({
            "Command": {"Name": "pythonshell", "ScriptLocation": script_uri,
                        "PythonVersion": "3.9"},
            "MaxCapacity": arguments.max_capacity, "GlueVersion": "3.0"})
    if arguments.connection:
        definition["Connections"] = {"Connections": [arguments.connection]}
    return definition


def trigger_definition(arguments: argparse.Namespace) -> dict:
    return {"Name": "{}-schedule".format(arguments.job_name), "Type": "SCHEDULED",
            "Schedule": arguments.schedule, "StartOnCreation": True,
            "Actions": [{"JobName": arguments.job_name}],
            "Description": "Runs {} on a schedule (UTC)".format(arguments.job_name)}


def deploy(arguments: argparse.Namespace, s3=None, glue=None) -> dict:
    files = artifacts(arguments.dist, arguments.engine)
    wheel_key = "{}/{}".format(arguments.prefix, os.path.basename(files["wheel"]))
    script_key = "{}/{}".format(arguments.prefix, SCRIPTS[arguments.engine])
    script_uri = "s3://{}/{}".format(arguments.bucket, script_key)
    wheel_uri = "s3://{}/{}".format(arguments.bucket, wheel_key)
    job = job_definition(arguments, script_uri, wheel_uri)
    trigger = trigger_definition(arguments) if arguments.schedule else None
    plan = {"upload": {files["script"]: script_uri, files["wheel"]: wheel_uri}, "job": job,
            "trigger": trigger}
    if arguments.dry_run:
        return plan
    if s3 is None or glue is None:
        import boto3
        s3, glue = s3 or boto3.client("s3"), glue or boto3.client("glue")
    s3.upload_file(files["script"], arguments.bucket, script_key,
                   ExtraArgs={"ContentType": "text/x-python", "ServerSideEncryption": "AES256"})
    s3.upload_file(files["wheel"], arguments.bucket, wheel_key,
                   ExtraArgs={"ContentType": "application/zip", "ServerSideEncryption": "AES256"})
    upsert_job(glue, job)
    if trigger is not None:
        upsert_trigger(glue, trigger)
    return plan


def upsert_job(glue, job: dict) -> str:
    try:
        glue.get_job(JobName=job["Name"])
    except glue.exceptions.EntityNotFoundException:
        glue.create_job(**job)
        return "created"
    update = {key: value for key, value in job.items() if key != "Name"}
    glue.update_job(JobName=job["Name"], JobUpdate=update)
    return "updated"


def upsert_trigger(glue, trigger: dict) -> str:
    try:
        glue.get_trigger(Name=trigger["Name"])
    except glue.exceptions.EntityNotFoundException:
        glue.create_trigger(**trigger)
        return "created"
    update = {key: trigger[key] for key in ("Name", "Description", "Schedule", "Actions")}
    glue.update_trigger(Name=trigger["Name"], TriggerUpdate=update)
    return "updated"


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = parse_arguments(argv)
    try:
        plan = deploy(arguments)
    except DeployError as error:
        print("deploy: {}".format(error), file=sys.stderr)
        return 2
    print(json.dumps(plan, indent=2))
    if not arguments.dry_run:
        print("deployed job {}{}".format(arguments.job_name, " with schedule {}".format(
            arguments.schedule) if arguments.schedule else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
