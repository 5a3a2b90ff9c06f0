"""Deploys the job to AWS Glue: uploads script and wheel, creates or updates the job, and
with --schedule a SCHEDULED trigger. Run `make package` first.

    python scripts/deploy_glue.py --role-arn arn:aws:iam::123456789012:role/GlueJobRole \\
        --bucket my-glue-assets --schedule "cron(0 3 * * ? *)" \\
        --arg MONGO_SECRET_ID=prod/agno/mongo --arg S3_BUCKET=my-training-data

With `--schedule` the job keeps one dataset up to date: OUTPUT_LAYOUT=partitioned and
OUTPUT_FORMAT=parquet unless `--arg` says otherwise, and no fixed dates. `--table
DATABASE.TABLE` also creates or updates a Glue Data Catalog table over that dataset, with
partition projection on `dt`, so Athena queries it with no partitions to add.

`--engine pythonshell` (the default) deploys glue_job.py as a Python shell job (Python
3.9); `--engine spark` deploys spark_job.py as a Glue for Spark job (`glueetl`; Glue 6.0,
Spark 4.1.1 and Python 3.13 unless `--glue-version 5.1`) with `--worker-type` and
`--workers`, under a name of its own. A deploy never turns an existing job of one engine
into the other unless `--replace` says so.

boto3 takes credentials and region from the environment, and its endpoint from
AWS_ENDPOINT_URL (boto3 1.28 and later).
"""

import argparse
import glob
import json
import os
import re
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from config.parameters import BY_NAME as PARAMETERS  # noqa: E402
from utils.secrets import mask_uri, passwords_in  # noqa: E402

DEFAULT_JOB_NAMES = {"pythonshell": "extract-conversations-job",
                     "spark": "extract-conversations-spark-job"}
DEFAULT_JOB_NAME = DEFAULT_JOB_NAMES["pythonshell"]
# What Glue's analytics library set lacks, pinned for Python 3.9.
ADDITIONAL_MODULES = "pymongo==4.18.3,certifi==2026.5.20"
# The same for Glue for Spark (Python 3.11 and 3.13): current releases.
SPARK_ADDITIONAL_MODULES = "pymongo==4.20.1,certifi==2026.10.19.post1"


class GlueRuntime(NamedTuple):
    """What a Glue for Spark version runs: the tests build the same (scripts/glue_runtime.sh)."""

    python: str
    spark: str


SPARK_RUNTIMES = {"6.0": GlueRuntime(python="3.13", spark="4.1.1"),
                  "5.1": GlueRuntime(python="3.11", spark="3.5.6")}
SPARK_GLUE_VERSION = "6.0"
SCRIPTS = {"pythonshell": "glue_job.py", "spark": "spark_job.py"}
# Minutes: the README sizes a 1-DPU Python shell run of 20 million sessions at about 25
# minutes; a Spark run is for what is larger (a backfill of months).
DEFAULT_TIMEOUTS = {"pythonshell": 60, "spark": 180}
# Where a Glue job may write: /tmp has about 14 GiB free; the working folder is unknown.
GLUE_OUTPUT_DIR = "/tmp/conversation-features"


# A scheduled job keeps one dataset up to date; unless told otherwise, in Parquet.
SCHEDULED_DEFAULTS = {"--OUTPUT_LAYOUT": "partitioned", "--OUTPUT_FORMAT": "parquet"}
FIRST_PROJECTED_DAY = "2020-01-01"


class DeployError(Exception):
    pass


def parse_arguments(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job-name", help="default: {} (pythonshell), {} (spark)".format(
        DEFAULT_JOB_NAMES["pythonshell"], DEFAULT_JOB_NAMES["spark"]))
    parser.add_argument("--role-arn", required=True, help="IAM role the job runs as")
    parser.add_argument("--bucket", required=True, help="bucket for the script and the wheel")
    parser.add_argument("--prefix", help="key prefix for them (default glue/<job-name>/)")
    parser.add_argument("--schedule", help='Glue cron expression in UTC, e.g. "cron(0 3 * * ? *)"')
    parser.add_argument("--engine", choices=sorted(SCRIPTS), default="pythonshell",
                        help="pythonshell: one process (WORKERS=auto uses its vCPUs); spark: "
                             "Glue for Spark, for ranges beyond one machine")
    parser.add_argument("--glue-version", choices=sorted(SPARK_RUNTIMES),
                        default=SPARK_GLUE_VERSION,
                        help="spark: 6.0 (Spark 4.1.1, Python 3.13) or 5.1 (Spark 3.5.6, "
                             "Python 3.11)")
    parser.add_argument("--replace", action="store_true",
                        help="allow replacing an existing job of the same name that runs the "
                             "other engine (its whole definition is overwritten)")
    parser.add_argument("--max-capacity", type=float, default=0.0625, choices=(0.0625, 1.0),
                        help="pythonshell DPUs: 0.0625 (1 GB) or 1 (16 GB, 4 vCPUs)")
    parser.add_argument("--worker-type", default="G.1X", choices=("G.1X", "G.2X", "G.4X", "G.8X"),
                        help="spark: worker type (G.1X: 4 vCPUs, 16 GB)")
    parser.add_argument("--workers", type=int, default=2,
                        help="spark: number of workers, the driver included (at least 2)")
    parser.add_argument("--timeout", type=int, help="minutes (default: {} pythonshell, {} "
                        "spark)".format(DEFAULT_TIMEOUTS["pythonshell"],
                                        DEFAULT_TIMEOUTS["spark"]))
    parser.add_argument("--max-retries", type=int, default=3)
    parser.add_argument("--connection", help="Glue connection for VPC access")
    parser.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE",
                        help="a job parameter stored as a default argument (repeatable)")
    parser.add_argument("--table", metavar="DATABASE.TABLE",
                        help="also create or update a Glue Data Catalog table over the "
                             "partitioned dataset (S3_BUCKET/S3_PREFIX), with partition "
                             "projection on dt")
    parser.add_argument("--first-day", default=FIRST_PROJECTED_DAY,
                        help="--table: the first day partition projection lists "
                             "(default %(default)s); the last is today")
    parser.add_argument("--dist", default=os.path.join(ROOT, "dist"))
    parser.add_argument("--dry-run", action="store_true", help="print the definitions only")
    arguments = parser.parse_args(argv)
    if arguments.schedule:
        problem = cron_problem(arguments.schedule)
        if problem:
            parser.error("--schedule {!r}: {}".format(arguments.schedule, problem))
    if arguments.workers < 2:
        parser.error("--workers must be at least 2 (a driver and one executor)")
    if arguments.timeout is not None and arguments.timeout < 1:
        parser.error("--timeout must be a whole number of minutes >= 1")
    arguments.job_name = arguments.job_name or DEFAULT_JOB_NAMES[arguments.engine]
    arguments.timeout = arguments.timeout or DEFAULT_TIMEOUTS[arguments.engine]
    arguments.prefix = (arguments.prefix or "glue/{}/".format(arguments.job_name)).strip("/")
    return arguments


_CRON = re.compile(r"^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$")
MIN_SCHEDULE_MINUTES = 5


def cron_problem(expression: str) -> Optional[str]:
    """What Glue would refuse in a schedule, or None: six fields, one of day-of-month and
    day-of-week `?` (Glue takes no schedule that gives both), and no two runs closer than
    5 minutes."""
    match = _CRON.match(expression)
    if not match:
        return "must look like cron(Minutes Hours Day-of-month Month Day-of-week Year), in UTC"
    minutes, hours, day_of_month, _, day_of_week, _ = match.groups()
    if (day_of_month == "?") == (day_of_week == "?"):
        return ("exactly one of Day-of-month and Day-of-week must be `?` (e.g. "
                "cron(0 3 * * ? *) daily, cron(0 3 ? * MON *) on Mondays)")
    try:
        fired = sorted(_cron_values(minutes, 0, 59))
    except ValueError:
        return "the Minutes field {!r} is not a cron field Glue reads".format(minutes)
    gaps = [later - earlier for earlier, later in zip(fired, fired[1:])]
    if not re.match(r"^\d+$", hours):
        # Over more than one hour, the hour's last run is followed by the next hour's first.
        gaps.append(fired[0] + 60 - fired[-1])
    if gaps and min(gaps) < MIN_SCHEDULE_MINUTES:
        return "runs {} minute(s) apart; Glue runs a schedule at most every {} minutes".format(
            min(gaps), MIN_SCHEDULE_MINUTES)
    return None


def _cron_values(field: str, low: int, high: int) -> Set[int]:
    """The values one numeric cron field selects: lists of `*`, `a`, `a-b`, each with an
    optional `/step`."""
    values: Set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (int(part) for part in base.split("-", 1))
        else:
            first = int(base)
            last = high if step_text else first
        if step < 1 or not low <= first <= last <= high:
            raise ValueError(item)
        values.update(range(first, last + 1, step))
    return values


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
    spark = arguments.engine == "spark"
    if spark:
        # pyspark puts only .zip, .egg and .jar files of --py-files (where Glue passes
        # --extra-py-files) on the executors' path, never a wheel; a wheel listed in
        # --additional-python-modules is pip-installed on the driver and every executor.
        default_arguments = {
            "--additional-python-modules": "{},{}".format(wheel_uri, SPARK_ADDITIONAL_MODULES),
            "--job-language": "python",
        }
    else:
        default_arguments = {
            "--extra-py-files": wheel_uri,
            "--additional-python-modules": ADDITIONAL_MODULES,
            "--job-language": "python",
            "library-set": "analytics",
        }
    default_arguments["--OUTPUT_DIR"] = GLUE_OUTPUT_DIR
    given = job_parameters(arguments.arg)
    if arguments.schedule:
        dated = sorted(name[2:] for name in ("--START_DATE", "--END_DATE") if name in given)
        if dated:
            raise DeployError("--schedule with --arg {}: a scheduled run reads what changed "
                              "since the last one; fixed dates would read the same days "
                              "every time (run a backfill by hand instead)".format(
                                  " and ".join(dated)))
        default_arguments.update(SCHEDULED_DEFAULTS)
    default_arguments.update(given)
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
            "GlueVersion": arguments.glue_version, "WorkerType": arguments.worker_type,
            "NumberOfWorkers": arguments.workers})
    else:
        definition.update({
            "Command": {"Name": "pythonshell", "ScriptLocation": script_uri,
                        "PythonVersion": "3.9"},
            "MaxCapacity": arguments.max_capacity, "GlueVersion": "3.0"})
    if arguments.connection:
        definition["Connections"] = {"Connections": [arguments.connection]}
    return definition


def table_definition(arguments: argparse.Namespace, job: dict) -> Tuple[str, dict]:
    """(database, TableInput) of the catalog table over the job's partitioned dataset:
    the columns and types of the column registry for the job's OUTPUT_FORMAT, `dt` a
    projected date partition (no partitions to add, ever), and the contract version."""
    from services.column_types import STORAGE
    from services.manifest import CONTRACT_VERSION
    from tooling.ddl import check_names

    job_arguments = job["DefaultArguments"]
    if job_arguments.get("--OUTPUT_LAYOUT") != "partitioned":
        raise DeployError("--table describes the partitioned dataset: pass --schedule, or "
                          "--arg OUTPUT_LAYOUT=partitioned")
    bucket = job_arguments.get("--S3_BUCKET")
    if not bucket:
        raise DeployError("--table needs the dataset's bucket: --arg S3_BUCKET=...")
    prefix = job_arguments.get("--S3_PREFIX", PARAMETERS["S3_PREFIX"].default(None)).strip("/")
    location = "s3://{}/{}/".format(bucket, prefix) if prefix else "s3://{}/".format(bucket)
    try:
        check_names(arguments.table, location)
    except ValueError as error:
        raise DeployError(str(error)) from None
    if "." not in arguments.table:
        raise DeployError("--table: DATABASE.TABLE, not {!r}".format(arguments.table))
    database, name = arguments.table.split(".")
    output_format = job_arguments.get("--OUTPUT_FORMAT", "csv")
    parquet = output_format == "parquet"
    columns = [{"Name": column, "Type": storage.athena_parquet if parquet else "string"}
               for column, storage in STORAGE.items()]
    if parquet:
        storage_descriptor = {
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary":
                          "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}
    else:
        # Athena's quoting-aware CSV SerDe reads text: tooling/ddl.py types it in a view.
        name += "_csv_text"
        storage_descriptor = {
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                          "Parameters": {"separatorChar": ",", "quoteChar": '"'}}}
    parameters = {
        "EXTERNAL": "TRUE", "classification": output_format,
        "contract_version": CONTRACT_VERSION,
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "{},NOW".format(arguments.first_day),
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": location + "dt=${dt}/",
    }
    if parquet:
        parameters["parquet.compression"] = "ZSTD"
    else:
        parameters["skip.header.line.count"] = "1"
    table = {
        "Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": parameters,
        "PartitionKeys": [{"Name": "dt", "Type": "date"}],
        "StorageDescriptor": dict(storage_descriptor, Columns=columns, Location=location),
    }
    return database, table


def upsert_table(glue, database: str, table: dict) -> str:
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": database})
    try:
        glue.get_table(DatabaseName=database, Name=table["Name"])
    except glue.exceptions.EntityNotFoundException:
        glue.create_table(DatabaseName=database, TableInput=table)
        return "created"
    glue.update_table(DatabaseName=database, TableInput=table)
    return "updated"


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
    table = table_definition(arguments, job) if arguments.table else None
    plan = {"upload": {files["script"]: script_uri, files["wheel"]: wheel_uri}, "job": job,
            "trigger": trigger, "table": table and {"database": table[0], "table": table[1]}}
    if arguments.dry_run:
        return plan
    if s3 is None or glue is None:
        import boto3
        s3, glue = s3 or boto3.client("s3"), glue or boto3.client("glue")
    existing = existing_engine(glue, job["Name"])
    other_engine = existing and existing != job["Command"]["Name"]
    if other_engine and not arguments.replace:
        raise DeployError("job {} exists and runs {}, not {}: deploying would replace its "
                          "whole definition; choose another --job-name, or pass --replace to "
                          "replace it".format(job["Name"], existing, job["Command"]["Name"]))
    s3.upload_file(files["script"], arguments.bucket, script_key,
                   ExtraArgs={"ContentType": "text/x-python", "ServerSideEncryption": "AES256"})
    s3.upload_file(files["wheel"], arguments.bucket, wheel_key,
                   ExtraArgs={"ContentType": "application/zip", "ServerSideEncryption": "AES256"})
    if other_engine:
        # Replaced whole (delete, then create): nothing of the other engine's definition
        # survives. The old job's run history goes with it.
        glue.delete_job(JobName=job["Name"])
    upsert_job(glue, job)
    if trigger is not None:
        upsert_trigger(glue, trigger)
    if table is not None:
        upsert_table(glue, *table)
    return plan


def existing_engine(glue, name: str) -> Optional[str]:
    """The `Command.Name` (pythonshell, glueetl) of the job called `name`, if there is one."""
    try:
        return glue.get_job(JobName=name)["Job"].get("Command", {}).get("Name") or ""
    except glue.exceptions.EntityNotFoundException:
        return None


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
