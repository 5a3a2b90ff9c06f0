"""Agno agent sessions in MongoDB -> one row of features per session, as CSV, on S3.

Runs as an AWS Glue Python Shell job (Python 3.9) and locally: `python glue_job.py`, with
parameters as `--NAME value` job arguments or environment variables (README, Parameters).
Standard output ends with one JSON summary line; the exit status is 0 on success, 1 on a
runtime failure and 2 on a configuration error. spark_job.py is the same job on AWS Glue
for Spark.
"""

import sys

from entrypoints import early_stop

if __name__ == "__main__":
    early_stop.install()

from entrypoints.command_line import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
