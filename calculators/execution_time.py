"""Execution time columns (16-24)."""

from typing import Dict

import numpy as np

from calculators.batch import FrozenBatch
from calculators.column import FLAG, INTEGER, REAL, Column
from calculators.segments import (
    previous_in_session,
    safe_divide,
    seg_max,
    seg_mean,
    seg_std,
    seg_sum,
    shifted,
)
from config.thresholds import Thresholds

EXECUTION_TIME_COLUMNS = (
    Column("avg_execution_time", REAL, "seconds",
           "mean(time)"),
    Column("max_execution_time", REAL, "seconds",
           "max(time)"),
    Column("timeout_frequency", REAL, "share of runs",
           "count(timeout_r) / N"),
    Column("extreme_time_frequency", REAL, "share of runs",
           "count(time_r > EXTREME_TIME_LIMIT) / N"),
    Column("execution_time_cv", REAL, "ratio",
           "std(time) / mean(time), population std"),
    Column("time_explosion_events", INTEGER, "count",
           "count of i >= 1 with time[i-1] > 0 and time[i] > time[i-1] * TOKEN_SPIKE_MULTIPLIER"),
    Column("infinite_loop_risk_score", REAL, "score",
           "timeout_frequency + extreme_time_frequency"),
    Column("timeout_flag", FLAG, "0 or 1",
           "any timeout_r"),
    Column("extreme_duration_flag", FLAG, "0 or 1",
           "max(time) > TIMEOUT_LIMIT"),
)


def execution_time_features(batch: FrozenBatch, th: Thresholds) -> Dict[str, np.ndarray]:
    """EXECUTION_TIME_COLUMNS, as defined above."""
    runs = batch.runs
    time = runs.time
    mean_time = seg_mean(runs, time)
    max_time = seg_max(runs, time)
    timeouts = seg_sum(runs, runs.timeout)
    timeout_frequency = safe_divide(timeouts, runs.run_count)
    extreme_time_frequency = safe_divide(seg_sum(runs, time > th.EXTREME_TIME_LIMIT),
                                         runs.run_count)
    previous = shifted(time)
    explosions = (previous_in_session(runs) & (previous > 0)
                  & (time > previous * th.TOKEN_SPIKE_MULTIPLIER))
    return {
        "avg_execution_time": mean_time,
        "max_execution_time": max_time,
        "timeout_frequency": timeout_frequency,
        "extreme_time_frequency": extreme_time_frequency,
        "execution_time_cv": safe_divide(seg_std(runs, time, mean_time), mean_time),
        "time_explosion_events": seg_sum(runs, explosions),
        "infinite_loop_risk_score": timeout_frequency + extreme_time_frequency,
        "timeout_flag": (timeouts > 0).astype(np.float64),
        "extreme_duration_flag": (max_time > th.TIMEOUT_LIMIT).astype(np.float64),
    }
