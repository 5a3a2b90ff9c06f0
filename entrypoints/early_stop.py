"""A SIGTERM that arrives while the job is still starting (importing numpy, boto3, pymongo:
up to a second on a cold Glue worker) still ends with the summary line. Imported first by
the scripts, before anything heavy; the run's own handler replaces this one
(entrypoints/command_line.py)."""

import json
import os
import signal
import sys

STOPPED_WHILE_STARTING = {
    "success": False, "exit_status": 1,
    "error": "stopped by SIGTERM (a Glue stop or timeout) while the job was starting; "
             "nothing was read or written"}


def _stopped_while_starting(signum, frame):
    sys.stdout.write(json.dumps(STOPPED_WHILE_STARTING) + "\n")
    sys.stdout.flush()
    os._exit(1)  # an exception here would surface inside whatever module is importing


def install() -> None:
    try:
        signal.signal(signal.SIGTERM, _stopped_while_starting)
    except ValueError:  # not the main thread: the embedding application decides
        pass
