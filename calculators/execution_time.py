"""Execution time columns (16-24)."""

from typing import Dict

import numpy as np

from calculators.batch import RunArrays
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


def execution_time_features(runs: RunArrays, th: Thresholds) -> Dict[str, np.ndarray]:
    """
    avg_execution_time       = mean(time)
    max_execution_time       = max(time)
    timeout_frequency        = count(timeout_r) / N
    extreme_time_frequency   = count(time_r > EXTREME_TIME_LIMIT) / N
    execution_time_cv        = std(time) / mean(time)                    (population std)
    time_explosion_events    = count of i >= 1 with time[i-1] > 0 and
                               time[i] > time[i-1] * TOKEN_SPIKE_MULTIPLIER
    infinite_loop_risk_score = timeout_frequency + extreme_time_frequency
    timeout_flag             = any timeout_r
    extreme_duration_flag    = max(time) > TIMEOUT_LIMIT
    """
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
