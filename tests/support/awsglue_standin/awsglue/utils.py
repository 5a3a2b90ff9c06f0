"""Stand-in for awsglue.utils.getResolvedOptions, behaving like the real one: argparse's
parse_known_args over argv[1:], and an error for a requested name that is absent."""

import argparse
import json
import os


def getResolvedOptions(args, options):  # noqa: N802 - Glue's name
    parser = argparse.ArgumentParser()
    # Like awsglue, it declares Glue's own arguments itself, so asking for one of them as
    # well fails (argparse refuses the conflicting option).
    parser.add_argument("--job-bookmark-option", required=False)
    for reserved in ("--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION", "--TempDir"):
        parser.add_argument(reserved, required=False)
    for option in options:
        parser.add_argument("--" + option, required=True)
    parsed, _ = parser.parse_known_args(args[1:])
    log = os.environ.get("AWSGLUE_STANDIN_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(json.dumps(sorted(options)) + "\n")
    return vars(parsed)
