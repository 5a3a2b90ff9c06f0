"""The job, as glue_job.py runs it, with a signal sent to itself at a chosen step of its
publish: before the Nth call that changes the store (upload, copy, delete, replace), or
before the Nth rename of a local file into place. A SIGKILL there is a machine lost at that moment.

    python -m tests.support.killed_publish SIGNAL store|local N -- <job arguments>

Prints the number of steps of each kind it saw (on a run that was not killed), so a test
can first count the steps, then kill at each one.
"""

import json
import os
import signal
import sys

from entrypoints import command_line
from factories import bootstrap

CHANGES = ("upload", "copy", "delete", "replace")


class Killing:
    """Wraps a store: sends `signal_number` to this process before change number `at`."""

    def __init__(self, store, signal_number, at):
        self.store, self.signal_number, self.at, self.changes = store, signal_number, at, 0

    def __getattr__(self, name):
        attribute = getattr(self.store, name)
        if name not in CHANGES:
            return attribute

        def changing(*args, **kwargs):
            self.changes += 1
            if self.changes == self.at:
                os.kill(os.getpid(), self.signal_number)
            return attribute(*args, **kwargs)
        return changing


def main(argv):
    signal_name, kind, at = argv[1], argv[2], int(argv[3])
    job_arguments = argv[argv.index("--") + 1:]
    signal_number = getattr(signal, signal_name)
    counted = {"store": 0, "local": 0}

    real_replace = os.replace

    def replacing(source, target, *args, **kwargs):
        if str(source).endswith(".part"):  # a temporary file taking its final name
            counted["local"] += 1
            if kind == "local" and counted["local"] == at:
                os.kill(os.getpid(), signal_number)
        return real_replace(source, target, *args, **kwargs)

    os.replace = replacing
    built = bootstrap.python_shell_engine

    def engine_with_killing_store(config):
        engine, store = built(config)
        wrapped = Killing(store, signal_number, at if kind == "store" else 0)
        counted["wrapped"] = wrapped
        return engine, wrapped

    def runner(config):
        return command_line.run(config, engine_with_killing_store)

    status = command_line.main(["glue_job.py"] + job_arguments, engine=runner)
    wrapped = counted.pop("wrapped", None)
    counted["store"] = wrapped.changes if wrapped is not None else 0
    sys.stderr.write("steps " + json.dumps(counted) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
