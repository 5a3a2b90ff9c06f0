"""The same job on AWS Glue for Spark (Glue 5.1: Spark 3.5, Python 3.11), for ranges too large
for one machine: the same parameters, summary line and exit statuses as glue_job.py, with
the range's time slices run as Spark tasks that read MongoDB with pymongo and write their
parts to S3 (services/engine_spark.py; README, "Which runtime").
"""

import sys

from entrypoints import early_stop

if __name__ == "__main__":
    early_stop.install()

from entrypoints.command_line import main, spark

if __name__ == "__main__":
    status = main(engine=spark)
    # A successful Glue for Spark script just ends; an exit status other than 0 fails the run.
    if status:
        sys.exit(status)
