"""Failure columns (41-48)."""

from typing import Dict

import numpy as np

from calculators.batch import FrozenBatch, RunArrays
from calculators.column import FLAG, INTEGER, REAL, Column
from calculators.segments import position_in_session, safe_divide, seg_extreme, seg_sum
from config.thresholds import Thresholds

FAILURE_COLUMNS = (
    Column("success_rate", REAL, "share of runs",
           "count(not failed_r) / N"),
    Column("failure_rate", REAL, "share of runs",
           "count(failed_r) / N"),
    Column("max_consecutive_failures", INTEGER, "runs",
           "longest run of consecutive failed runs"),
    Column("avg_errors_per_run", REAL, "errors",
           "sum(errors) / N, errors_r = tool_err_r + failed_r"),
    Column("total_errors", INTEGER, "errors",
           "sum(errors)"),
    Column("degradation_score", REAL, "difference of shares",
           "N >= 2: failure rate of runs[N//2:] minus failure rate of runs[:N//2]; else null"),
    Column("systematic_failure_flag", FLAG, "0 or 1",
           "failure_rate > FAILURE_RATE_THRESHOLD"),
    Column("complete_breakdown_flag", FLAG, "0 or 1",
           "success_rate < BREAKDOWN_THRESHOLD"),
)


def failure_features(batch: FrozenBatch, th: Thresholds) -> Dict[str, np.ndarray]:
    """FAILURE_COLUMNS, as defined above."""
    runs = batch.runs
    failed = runs.failed
    n = runs.run_count
    failures = seg_sum(runs, failed)
    failure_rate = safe_divide(failures, n)
    success_rate = safe_divide(n - failures, n)
    total_errors = seg_sum(runs, runs.tool_errors + failed)

    half: np.ndarray = n // 2
    in_second_half = position_in_session(runs) >= half[runs.session_of_run]
    late_failures = seg_sum(runs, failed * in_second_half)
    degradation = np.where(n >= 2, safe_divide(late_failures, n - half)
                           - safe_divide(failures - late_failures, half), np.nan)
    has_runs = (n > 0).astype(np.float64)
    return {
        "success_rate": success_rate,
        "failure_rate": failure_rate,
        "max_consecutive_failures": seg_extreme(runs, longest_streaks(runs), np.maximum,
                                                empty=0.0),
        "avg_errors_per_run": safe_divide(total_errors, n),
        "total_errors": total_errors,
        "degradation_score": degradation,
        "systematic_failure_flag": (failure_rate > th.FAILURE_RATE_THRESHOLD).astype(np.float64),
        "complete_breakdown_flag": (success_rate < th.BREAKDOWN_THRESHOLD) * has_runs,
    }


def longest_streaks(runs: RunArrays) -> np.ndarray:
    """At each run, the number of consecutive failed runs ending there within its session.

    With c = cumulative count of failures, the streak at i is c[i] minus c at the last
    break before it: a success (c there) or the session's first run (c there minus its own
    failure). Break values never decrease, so a running maximum finds the last one.
    """
    failed = runs.failed
    if not len(failed):
        return failed
    cumulative = np.cumsum(failed)
    breaks = np.where(failed == 0, cumulative, -1.0)
    starts = runs.first_run[runs.run_count > 0]
    breaks[starts] = cumulative[starts] - failed[starts]
    return cumulative - np.maximum.accumulate(breaks)
