"""A deployed Glue for Spark job run here as Glue runs it: the job definition read back from
(moto's) Glue, the files it names fetched from S3, its `--additional-python-modules`
pip-installed into a fresh virtualenv on top of that Glue version's Python and Spark
(scripts/glue_runtime.sh), and its script started by `spark-submit` in a folder outside the
repository, with `PYTHONPATH` cleared. Nothing of the repository is importable there."""

import os
import subprocess
from typing import Dict, List, Mapping, NamedTuple

from tests.support.cli import ROOT, Completed

# Glue's own arguments for every run (a real run adds a few more).
GLUE_RUN_ARGUMENTS = {"--JOB_ID": "j_spark", "--job-bookmark-option": "job-bookmark-disable",
                      "--TempDir": "s3://aws-glue-temporary/spark"}


class GlueRuntime(NamedTuple):
    python: str  # the runtime's interpreter
    site: str  # its site-packages, holding pyspark


def glue_runtime(version: str) -> GlueRuntime:
    """The Python + pyspark that Glue `version` provides, built once."""
    site = subprocess.run([os.path.join(ROOT, "scripts", "glue_runtime.sh"), version],
                          check=True, capture_output=True, text=True).stdout.strip()
    return GlueRuntime(os.path.join(ROOT, ".tools", "glue-" + version, "bin", "python"), site)


def fetch(s3, uri: str, folder: str) -> str:
    bucket, key = uri[len("s3://"):].split("/", 1)
    path = os.path.join(folder, os.path.basename(key))
    s3.download_file(bucket, key, path)
    return path


def job_environment(job: Mapping, s3, runtime: GlueRuntime, folder: str) -> str:
    """A virtualenv with what Glue installs for `job` on each node, on top of the runtime;
    returns its python."""
    home = os.path.join(folder, "node")
    subprocess.run([runtime.python, "-m", "venv", home], check=True)
    python = os.path.join(home, "bin", "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                         "['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(site, "glue-runtime.pth"), "w") as handle:
        handle.write(runtime.site + "\n")  # Glue's own pyspark, below what the job installs
    modules = [fetch(s3, item, folder) if item.startswith("s3://") else item
               for item in job["DefaultArguments"].get("--additional-python-modules",
                                                       "").split(",") if item]
    if modules:
        subprocess.run([python, "-m", "pip", "install", "--quiet", *modules], check=True)
    return python


def spark_submit(job: Mapping, s3, runtime: GlueRuntime, folder: str,
                 run_arguments: Mapping[str, str], env: Mapping[str, str],
                 timeout: float = 600) -> Completed:
    """`spark-submit` of the job's script with the job's default arguments, Glue's own and
    `run_arguments` on top (as "Run with parameters" does), from `folder`."""
    python = job_environment(job, s3, runtime, folder)
    script = fetch(s3, job["Command"]["ScriptLocation"], folder)
    submit: List[str] = [os.path.join(runtime.site, "pyspark", "bin", "spark-submit"),
                         "--master", "local[2]", "--conf", "spark.ui.enabled=false"]
    extra = job["DefaultArguments"].get("--extra-py-files")
    if extra:
        submit += ["--py-files", ",".join(fetch(s3, uri, folder) for uri in extra.split(","))]
    arguments: Dict[str, str] = dict(job["DefaultArguments"], **GLUE_RUN_ARGUMENTS)
    arguments["--JOB_NAME"] = job["Name"]
    arguments.update(run_arguments)
    submit.append(script)
    for name, value in arguments.items():
        submit += [name, value]
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("PYTHON", "PYSPARK", "SPARK", "VIRTUAL_ENV"))}
    environment.update(env, PYTHONPATH="", PYSPARK_PYTHON=python,
                       PYSPARK_DRIVER_PYTHON=python,
                       SPARK_HOME=os.path.join(runtime.site, "pyspark"),
                       PATH=os.pathsep.join((os.path.dirname(python), environment["PATH"])))
    process = subprocess.run(submit, cwd=folder, env=environment, capture_output=True,
                             text=True, timeout=timeout)
    return Completed(process)

