"""The job packaged and run the way Glue runs it, and deployed against moto's Glue."""

import json
import os
import shutil
import subprocess
import sys

import boto3
import pytest
from botocore.stub import Stubber

from tests.support.cli import ROOT, run_job

pytestmark = pytest.mark.integration

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import deploy_glue  # noqa: E402

GLUE_ARGS = ["--JOB_NAME", "extract-conversations-job", "--JOB_ID", "j_123",
             "--JOB_RUN_ID", "jr_abc", "--job-bookmark-option", "job-bookmark-disable",
             "--TempDir", "s3://aws-glue-temporary/admin", "--enable-metrics", "true",
             "--START_DATE", "2024-12-01", "--END_DATE", "2024-12-07",
             "--SIMULATED_SESSIONS", "25"]


def _python39():
    found = subprocess.run([os.path.join(ROOT, "scripts", "find_python39.sh")],
                           capture_output=True, text=True).stdout.strip()
    return found or sys.executable


@pytest.fixture(scope="module")
def installed_python(dist, tmp_path_factory):
    """A fresh virtualenv as Glue's Python shell has it: Python 3.9 where it exists, the
    analytics library set's boto3 1.21 and numpy 1.22, and the wheel."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([_python39(), "-m", "venv", str(home)], check=True)
    python = str(home / "bin" / "python")
    [wheel] = [p for p in os.listdir(dist) if p.endswith(".whl")]
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(dist / wheel),
                    "boto3==1.21.*", "numpy==1.22.4"], check=True)
    return python


def test_glues_boto3_reaches_the_endpoint_the_environment_names(dist, installed_python, aws,
                                                                 tmp_path):
    """boto3 1.21 ignores AWS_ENDPOINT_URL (it arrived in 1.28): the job reads it itself."""
    version = subprocess.run([installed_python, "-c", "import boto3; print(boto3.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version.startswith("1.21.")
    boto3.client("s3").create_bucket(Bucket="glue-shell-out")
    elsewhere = tmp_path / "glue-tmp"
    elsewhere.mkdir()
    shutil.copy(dist / "glue_job.py", elsewhere / "glue_job.py")
    result = run_job(GLUE_ARGS + ["--REPOSITORY_TYPE", "simulated", "--S3_BUCKET",
                                  "glue-shell-out", "--OUTPUT_DIR", str(tmp_path / "out")],
                     cwd=str(elsewhere), script=str(elsewhere / "glue_job.py"),
                     python=installed_python, env=dict(aws, PYTHONPATH=""))
    assert result.returncode == 0, result.stderr[-2000:]
    keys = [item["Key"] for item in boto3.client("s3").list_objects_v2(
        Bucket="glue-shell-out")["Contents"]]
    assert "training_data/2024-12-01_to_2024-12-07/_manifest.json" in keys


def test_the_wheel_holds_every_package(dist):
    import zipfile
    [wheel] = [p for p in os.listdir(dist) if p.endswith(".whl")]
    assert wheel.endswith("-py3-none-any.whl")
    names = zipfile.ZipFile(dist / wheel).namelist()
    for package in ("config", "interfaces", "repositories", "repositories/simulated",
                    "services", "calculators", "factories", "factories/sources", "entrypoints",
                    "utils"):
        assert package + "/__init__.py" in names
    assert not any(name.startswith(("tests/", "tooling/")) for name in names)


def test_copied_script_runs_from_the_wheel_without_awsglue(dist, installed_python, tmp_path):
    elsewhere = tmp_path / "glue-tmp"
    elsewhere.mkdir()
    shutil.copy(dist / "glue_job.py", elsewhere / "glue_job.py")
    result = run_job(GLUE_ARGS + ["--OUTPUT_DIR", str(tmp_path / "out")], cwd=str(elsewhere),
                     script=str(elsewhere / "glue_job.py"), python=installed_python,
                     env={"PYTHONPATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.summary["job_run_id"] == "jr_abc" and result.summary["rows_written"] == 25


def test_workers_auto_from_the_wheel_gives_the_one_process_csv(dist, installed_python,
                                                                tmp_path):
    """As a 1-DPU Python shell job runs it: the copied script, the wheel, Python 3.9 where
    it exists, WORKERS=auto."""
    elsewhere = tmp_path / "glue-tmp"
    elsewhere.mkdir()
    shutil.copy(dist / "glue_job.py", elsewhere / "glue_job.py")
    csvs = []
    for workers in ("1", "auto"):
        # Glue passes each argument once: a run's value replaces the job's default
        arguments = [value if previous != "--SIMULATED_SESSIONS" else "3000"
                     for previous, value in zip([None] + GLUE_ARGS, GLUE_ARGS)]
        arguments += ["--WORKERS", workers, "--OUTPUT_DIR", str(tmp_path / workers)]
        result = run_job(arguments, cwd=str(elsewhere), script=str(elsewhere / "glue_job.py"),
                         python=installed_python, env={"PYTHONPATH": ""})
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.summary["rows_written"] == 3000
        csvs.append(open(result.summary["outputs"]["csv"]["path"], "rb").read())
    assert csvs[1] == csvs[0]


def test_copied_script_uses_glues_resolver_when_present(dist, installed_python, tmp_path):
    elsewhere = tmp_path / "glue-tmp"
    elsewhere.mkdir()
    shutil.copy(dist / "glue_job.py", elsewhere / "glue_job.py")
    log = tmp_path / "resolver.log"
    result = run_job(GLUE_ARGS + ["--OUTPUT_DIR", str(tmp_path / "out")], cwd=str(elsewhere),
                     script=str(elsewhere / "glue_job.py"), python=installed_python,
                     env={"PYTHONPATH": os.path.join(ROOT, "tests", "support", "awsglue_standin"),
                          "AWSGLUE_STANDIN_LOG": str(log)})
    assert result.returncode == 0, result.stderr
    assert json.loads(log.read_text()) == ["END_DATE", "OUTPUT_DIR", "SIMULATED_SESSIONS",
                                           "START_DATE"]
    assert result.summary["job_run_id"] == "jr_abc" and result.summary["rows_written"] == 25


def deploy_arguments(dist, *extra):
    return deploy_glue.parse_arguments([
        "--role-arn", "arn:aws:iam::123456789012:role/GlueJobRole", "--bucket", "glue-assets",
        "--dist", str(dist), *extra])


def test_deploy_creates_job_and_schedule(aws, dist):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="glue-assets")
    arguments = deploy_arguments(dist, "--schedule", "cron(0 3 * * ? *)",
                                 "--arg", "MONGO_SECRET_ID=prod/agno/mongo",
                                 "--arg", "S3_BUCKET=training-data", "--connection", "vpc-conn")
    deploy_glue.deploy(arguments)
    glue = boto3.client("glue")
    job = glue.get_job(JobName="extract-conversations-job")["Job"]
    assert job["Command"] == {
        "Name": "pythonshell", "PythonVersion": "3.9",
        "ScriptLocation": "s3://glue-assets/glue/extract-conversations-job/glue_job.py"}
    wheel_uri = job["DefaultArguments"]["--extra-py-files"]
    assert wheel_uri.startswith("s3://glue-assets/glue/extract-conversations-job/")
    assert wheel_uri.endswith("-py3-none-any.whl")
    assert job["DefaultArguments"]["--additional-python-modules"].startswith("pymongo==4.18.3")
    assert job["DefaultArguments"]["library-set"] == "analytics"
    assert job["DefaultArguments"]["--MONGO_SECRET_ID"] == "prod/agno/mongo"
    assert (job["MaxCapacity"], job["Timeout"], job["MaxRetries"]) == (0.0625, 60, 3)
    assert job["DefaultArguments"]["--OUTPUT_DIR"] == "/tmp/conversation-features"
    assert job["Connections"] == {"Connections": ["vpc-conn"]}
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="glue-assets")["Contents"]}
    assert keys == {"glue/extract-conversations-job/glue_job.py", wheel_uri.split("/", 3)[3]}
    trigger = glue.get_trigger(Name="extract-conversations-job-schedule")["Trigger"]
    assert trigger["Type"] == "SCHEDULED" and trigger["Schedule"] == "cron(0 3 * * ? *)"
    assert trigger["Actions"] == [{"JobName": "extract-conversations-job"}]
    # a scheduled job keeps one dataset: day partitions, in Parquet, with no fixed dates
    assert job["DefaultArguments"]["--OUTPUT_LAYOUT"] == "partitioned"
    assert job["DefaultArguments"]["--OUTPUT_FORMAT"] == "parquet"
    assert not {"--START_DATE", "--END_DATE"} & set(job["DefaultArguments"])
    with pytest.raises(deploy_glue.DeployError, match="fixed dates would read the same days"):
        deploy_glue.deploy(deploy_arguments(dist, "--schedule", "cron(0 3 * * ? *)",
                                            "--arg", "START_DATE=2024-12-01"))
    csv_job = deploy_arguments(dist, "--schedule", "cron(0 3 * * ? *)", "--dry-run",
                               "--arg", "OUTPUT_FORMAT=csv")
    assert deploy_glue.deploy(csv_job)["job"]["DefaultArguments"]["--OUTPUT_FORMAT"] == "csv"


def test_deploy_with_a_table_catalogs_the_dataset_that_duckdb_reads_with_its_types(
        aws, dist, tmp_path, moto_server):
    """--table: a Glue table over the partitioned dataset, dt projected (type date, range
    ending at NOW, a location template), columns from the registry, the contract version;
    the job's partitions, read through httpfs, have exactly the table's types."""
    from services.manifest import CONTRACT_VERSION
    from tests.integration.test_partitioned_dataset import httpfs
    from tests.integration.test_readers import DUCKDB_TYPES

    duckdb = pytest.importorskip("duckdb")
    s3 = boto3.client("s3")
    for bucket in ("glue-assets", "training-data"):
        s3.create_bucket(Bucket=bucket)
    deploy_glue.deploy(deploy_arguments(dist, "--schedule", "cron(0 3 * * ? *)",
                                        "--table", "analytics.conversation_features",
                                        "--arg", "S3_BUCKET=training-data",
                                        "--arg", "S3_PREFIX=features"))
    glue = boto3.client("glue")
    table = glue.get_table(DatabaseName="analytics", Name="conversation_features")["Table"]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "date"}]
    assert {key: value for key, value in table["Parameters"].items()
            if key.startswith(("projection.", "storage."))} == {
        "projection.enabled": "true", "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd", "projection.dt.range": "2020-01-01,NOW",
        "projection.dt.interval": "1", "projection.dt.interval.unit": "DAYS",
        "storage.location.template": "s3://training-data/features/dt=${dt}/"}
    assert table["Parameters"]["contract_version"] == CONTRACT_VERSION
    assert table["StorageDescriptor"]["Location"] == "s3://training-data/features/"
    columns = [(column["Name"], column["Type"]) for column in
               table["StorageDescriptor"]["Columns"]]
    assert len(columns) == 75 and columns[0] == ("session_id", "string")

    for day in ("2024-12-02T03:00:00Z", "2024-12-03T03:00:00Z"):
        result = run_job(["--REPOSITORY_TYPE", "simulated", "--SIMULATED_SESSIONS", "30",
                          "--SIMULATED_NOW", day, "--OUTPUT_LAYOUT", "partitioned",
                          "--OUTPUT_FORMAT", "parquet", "--S3_BUCKET", "training-data",
                          "--S3_PREFIX", "features", "--OUTPUT_DIR", str(tmp_path)], env=aws)
        assert result.returncode == 0, result.stderr
    connection = duckdb.connect()
    httpfs(connection, moto_server.endpoint)
    described = connection.execute(
        "DESCRIBE SELECT * FROM read_parquet('s3://training-data/features/dt=*/*.parquet', "
        "hive_partitioning = true, hive_types = {'dt': DATE})").fetchall()
    assert [(name, kind) for name, kind, *_ in described] == [
        (name, DUCKDB_TYPES[kind]) for name, kind in columns] + [("dt", "DATE")]
    assert deploy_glue.upsert_table(glue, "analytics", table_input(table)) == "updated"
    with pytest.raises(deploy_glue.DeployError, match="describes the partitioned dataset"):
        deploy_glue.deploy(deploy_arguments(dist, "--dry-run", "--table", "analytics.t",
                                            "--arg", "S3_BUCKET=training-data"))
    with pytest.raises(deploy_glue.DeployError, match="needs the dataset's bucket"):
        deploy_glue.deploy(deploy_arguments(dist, "--dry-run", "--table", "analytics.t",
                                            "--schedule", "cron(0 3 * * ? *)"))


def table_input(table):
    """A TableInput from what get_table returned (the fields create_table takes)."""
    return {key: table[key] for key in ("Name", "TableType", "Parameters", "PartitionKeys",
                                        "StorageDescriptor")}


def test_deploy_with_the_spark_engine_creates_a_glue_6_0_spark_job(aws, dist):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="glue-assets")
    arguments = deploy_arguments(dist, "--engine", "spark", "--job-name", "features-spark",
                                 "--schedule", "cron(0 4 * * ? *)",
                                 "--arg", "MONGO_SECRET_ID=prod/agno/mongo")
    deploy_glue.deploy(arguments)
    job = boto3.client("glue").get_job(JobName="features-spark")["Job"]
    assert job["Command"] == {
        "Name": "glueetl", "PythonVersion": "3",
        "ScriptLocation": "s3://glue-assets/glue/features-spark/spark_job.py"}
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"]) == ("6.0", "G.1X", 2)
    assert job["Timeout"] == 180
    assert "MaxCapacity" not in job or not job["MaxCapacity"]
    arguments = job["DefaultArguments"]
    # The wheel is pip-installed on every node; pyspark would not put it on the executors'
    # path from --extra-py-files.
    wheel, modules = arguments["--additional-python-modules"].split(",", 1)
    assert wheel.startswith("s3://glue-assets/glue/features-spark/")
    assert wheel.endswith("-py3-none-any.whl")
    assert modules == deploy_glue.SPARK_ADDITIONAL_MODULES
    assert "--extra-py-files" not in arguments
    assert "library-set" not in arguments  # a Python shell setting
    assert arguments["--MONGO_SECRET_ID"] == "prod/agno/mongo"
    assert arguments["--OUTPUT_DIR"] == "/tmp/conversation-features"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="glue-assets")["Contents"]}
    assert "glue/features-spark/spark_job.py" in keys and wheel.split("/", 3)[3] in keys
    trigger = boto3.client("glue").get_trigger(Name="features-spark-schedule")["Trigger"]
    assert trigger["Actions"] == [{"JobName": "features-spark"}]
    # The pinned pymongo is the one the tests ran with on Python 3.11.
    import pymongo
    assert "pymongo=={},".format(pymongo.__version__) in deploy_glue.SPARK_ADDITIONAL_MODULES


def test_spark_dry_run_shows_glue_6_and_a_name_of_its_own(dist, capsys):
    assert deploy_glue.main(["--role-arn", "arn:aws:iam::1:role/r", "--bucket", "glue-assets",
                             "--dist", str(dist), "--engine", "spark", "--dry-run"]) == 0
    job = json.loads(capsys.readouterr().out)["job"]
    assert job["GlueVersion"] == "6.0" and job["Command"]["Name"] == "glueetl"
    assert job["Name"] == "extract-conversations-spark-job" != deploy_glue.DEFAULT_JOB_NAME
    older = deploy_glue.parse_arguments(["--role-arn", "r", "--bucket", "b", "--engine",
                                         "spark", "--glue-version", "5.1"])
    assert deploy_glue.job_definition(older, "s3://b/s.py", "s3://b/w.whl")["GlueVersion"] == "5.1"


def test_a_deploy_never_turns_a_python_shell_job_into_a_spark_job_unless_told(aws, dist):
    boto3.client("s3").create_bucket(Bucket="glue-assets")
    glue = boto3.client("glue")
    deploy_glue.deploy(deploy_arguments(dist, "--job-name", "features"))
    shell = glue.get_job(JobName="features")["Job"]
    with pytest.raises(deploy_glue.DeployError, match="runs pythonshell, not glueetl.*--replace"):
        deploy_glue.deploy(deploy_arguments(dist, "--job-name", "features", "--engine", "spark"))
    assert glue.get_job(JobName="features")["Job"] == shell
    deploy_glue.deploy(deploy_arguments(dist, "--job-name", "features", "--engine", "spark",
                                        "--replace"))
    assert glue.get_job(JobName="features")["Job"]["Command"]["Name"] == "glueetl"


@pytest.mark.parametrize("schedule, problem", [
    ("cron(0 3 * * ? *)", None),
    ("cron(0 3 ? * MON-FRI *)", None),
    ("cron(0/5 * * * ? *)", None),
    ("cron(15 3 1 * ? *)", None),
    ("cron(0 3 * * * *)", "exactly one of Day-of-month and Day-of-week"),
    ("cron(0 3 ? * ? *)", "exactly one of Day-of-month and Day-of-week"),
    ("cron(* * * * ? *)", "1 minute(s) apart"),
    ("cron(0/2 * * * ? *)", "2 minute(s) apart"),
    ("cron(0,3 4 * * ? *)", "3 minute(s) apart"),
    ("cron(58 * * * ? *)", None),
    ("cron(0,58 * * * ? *)", "2 minute(s) apart"),
    ("cron(0,58 3 * * ? *)", None),
    ("cron(0 3 * *)", "must look like cron("),
    ("cron(x 3 * * ? *)", "not a cron field"),
])
def test_schedules_follow_glues_rules(schedule, problem):
    found = deploy_glue.cron_problem(schedule)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_an_existing_job_gets_the_full_definition_on_update(dist):
    glue = boto3.client("glue", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")
    arguments = deploy_arguments(dist)
    job = deploy_glue.job_definition(arguments, "s3://b/k/glue_job.py", "s3://b/k/x.whl")
    with Stubber(glue) as stub:
        stub.add_response("get_job", {"Job": {"Name": job["Name"]}},
                          {"JobName": "extract-conversations-job"})
        expected_update = {k: v for k, v in job.items() if k != "Name"}
        stub.add_response("update_job", {"JobName": job["Name"]},
                          {"JobName": job["Name"], "JobUpdate": expected_update})
        assert deploy_glue.upsert_job(glue, job) == "updated"
        stub.assert_no_pending_responses()
    assert {"Command", "DefaultArguments", "Role", "MaxCapacity"} <= set(expected_update)


def test_a_plaintext_password_is_refused(dist, capsys):
    status = deploy_glue.main(["--role-arn", "arn:aws:iam::1:role/r", "--bucket", "glue-assets",
                               "--dist", str(dist), "--dry-run",
                               "--arg", "MONGO_URI=mongodb://app:Sup3rSecret@db.internal/"])
    assert status == 2
    error = capsys.readouterr().err
    assert "MONGO_SECRET_ID" in error and "Sup3rSecret" not in error


def test_dry_run_prints_the_plan_and_calls_nothing(dist, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    assert deploy_glue.main(["--role-arn", "arn:aws:iam::1:role/r", "--bucket", "glue-assets",
                             "--dist", str(dist), "--dry-run"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["job"]["Command"]["Name"] == "pythonshell" and plan["trigger"] is None


def test_unknown_parameters_are_refused(dist):
    with pytest.raises(deploy_glue.DeployError, match="expected NAME=VALUE"):
        deploy_glue.deploy(deploy_arguments(dist, "--arg", "MONGO_URL=x", "--dry-run"))


