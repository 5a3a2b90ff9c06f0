"""Runs glue_job.main in this process, then prints its peak RSS (MB) and seconds as JSON
on standard error's last line. Used by bench/run.py: `python bench/measure_rss.py ARGS...`.

Peak RSS is VmHWM of /proc/self/status: getrusage's ru_maxrss would also count the memory
of the parent this process was forked from, which Linux keeps across exec."""

import io
import json
import os
import resource
import sys
import time
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import glue_job  # noqa: E402


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    started = time.perf_counter()
    with redirect_stdout(io.StringIO()) as captured:
        status = glue_job.main(["glue_job.py", *sys.argv[1:]],
                               dict(os.environ, LOG_LEVEL="WARNING"))
    seconds = time.perf_counter() - started
    summary = json.loads(captured.getvalue().strip().splitlines()[-1])
    peak_mb = _peak_rss_mb()
    # The largest worker process of a WORKERS run (0 without workers).
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(json.dumps({"status": status, "seconds": seconds, "peak_rss_mb": peak_mb,
                      "children_peak_rss_mb": children_mb,
                      "rows": summary.get("rows_written")}), file=sys.stderr)


if __name__ == "__main__":
    main()
