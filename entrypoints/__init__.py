"""The command line of both engines: glue_job.py and spark_job.py are shims over it."""
