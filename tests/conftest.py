"""Shared fixtures: the real servers the integration tests need, started here.

MONGO_TEST_URI points the MongoDB tests at another server (mongod, Atlas, DocumentDB)
instead of the FerretDB these fixtures build and start.
"""

import os
import shutil
import subprocess
import sys
import uuid

import pytest
from hypothesis import settings

from tests.support.cli import ROOT
from tests.support.servers import FerretDB, MotoServer, S3Proxy

# CI explores the same examples on every run, so a red build is reproducible; locally
# each run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

AWS_TEST_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory):
    uri = os.environ.get("MONGO_TEST_URI")
    if uri:
        yield uri
        return
    server = FerretDB(str(tmp_path_factory.mktemp("ferretdb"))).start()
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture
def mongo_database(mongo_server):
    """A fresh database on the test server, dropped afterwards."""
    from pymongo import MongoClient

    client = MongoClient(mongo_server, serverSelectionTimeoutMS=10000)
    name = "test_" + uuid.uuid4().hex[:10]
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3proxy_server(tmp_path_factory):
    server = S3Proxy(str(tmp_path_factory.mktemp("s3proxy"))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """Environment for boto3 clients, in process and in subprocesses, to reach moto."""
    moto_server.reset()
    env = dict(AWS_TEST_ENV, AWS_ENDPOINT_URL=moto_server.endpoint)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(scope="session")
def dist(tmp_path_factory):
    """What `make package` ships: the wheel, glue_job.py and spark_job.py, in a folder."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), ROOT],
                   check=True, capture_output=True)
    for script in ("glue_job.py", "spark_job.py"):
        shutil.copy(os.path.join(ROOT, script), out / script)
    for leftover in ("build", "conversation_features_job.egg-info"):
        shutil.rmtree(os.path.join(ROOT, leftover), ignore_errors=True)
    return out


@pytest.fixture(scope="session")
def spark(moto_server):
    """One local Spark for every test (its JVM, once started, keeps the environment it
    started with): local[2,4], two task threads and up to four attempts of a task, as a
    cluster retries. The executors' Python processes take their environment from the JVM,
    started here: the project on PYTHONPATH, and moto's endpoint and keys for boto3."""
    from pyspark.sql import SparkSession

    saved = dict(os.environ)
    os.environ.update(AWS_TEST_ENV, AWS_ENDPOINT_URL=moto_server.endpoint,
                      PYSPARK_PYTHON=sys.executable,
                      PYTHONPATH=os.pathsep.join(p for p in (ROOT, saved.get("PYTHONPATH")) if p))
    session = (SparkSession.builder.master("local[2,4]").appName("job-tests")
               .config("spark.ui.enabled", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        os.environ.clear()
        os.environ.update(saved)
