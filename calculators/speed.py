"""Speed columns (34-40), over the M runs with time_r > 0 and tot_r > 0."""

from typing import Dict

import numpy as np

from calculators.batch import RunArrays
from calculators.segments import safe_divide, seg_extreme, seg_sum
from config.thresholds import Thresholds


def speed_features(runs: RunArrays, th: Thresholds) -> Dict[str, np.ndarray]:
    """
    With tps_r = tot_r / time_r over the M runs with time_r > 0 and tot_r > 0 (a run that
    produced no tokens, such as a failed call, has no speed; every column 0 when M = 0):

    avg_tokens_per_second        = mean(tps)
    min_tokens_per_second        = min(tps)
    max_tokens_per_second        = max(tps)
    speed_inconsistency_ratio    = max(tps) / min(tps)
    inconsistent_speed_frequency = count(tps_r < SLOW_TOKENS_PER_SECOND
                                         or tps_r > FAST_TOKENS_PER_SECOND) / M
    temporal_chaos_score         = inconsistent_speed_frequency
    speed_anomaly_flag           = speed_inconsistency_ratio > SPEED_INCONSISTENCY_LIMIT
    """
    timed = (runs.time > 0) & (runs.total_tokens > 0)
    timed_runs = seg_sum(runs, timed)
    tps = np.zeros(len(runs.time))
    np.divide(runs.total_tokens, runs.time, out=tps, where=timed)
    min_tps = seg_extreme(runs, np.where(timed, tps, np.inf), np.minimum, empty=np.inf)
    max_tps = seg_extreme(runs, np.where(timed, tps, -np.inf), np.maximum, empty=-np.inf)
    has_timed = timed_runs > 0
    min_tps[~has_timed] = 0.0
    max_tps[~has_timed] = 0.0
    inconsistent = timed & ((tps < th.SLOW_TOKENS_PER_SECOND) | (tps > th.FAST_TOKENS_PER_SECOND))
    inconsistent_frequency = safe_divide(seg_sum(runs, inconsistent), timed_runs)
    ratio = safe_divide(max_tps, min_tps)
    return {
        "avg_tokens_per_second": safe_divide(seg_sum(runs, tps), timed_runs),
        "min_tokens_per_second": min_tps,
        "max_tokens_per_second": max_tps,
        "speed_inconsistency_ratio": ratio,
        "inconsistent_speed_frequency": inconsistent_frequency,
        "temporal_chaos_score": inconsistent_frequency,
        "speed_anomaly_flag": (ratio > th.SPEED_INCONSISTENCY_LIMIT).astype(np.float64),
    }
