"""Speed columns (34-40), over the M runs with time_r > 0 and tot_r > 0."""

from typing import Dict

import numpy as np

from calculators.batch import FrozenBatch
from calculators.column import FLAG, REAL, Column
from calculators.segments import safe_divide, seg_extreme, seg_sum
from config.thresholds import Thresholds

SPEED_COLUMNS = (
    Column("avg_tokens_per_second", REAL, "tokens/s",
           "mean(tps)"),
    Column("min_tokens_per_second", REAL, "tokens/s",
           "min(tps)"),
    Column("max_tokens_per_second", REAL, "tokens/s",
           "max(tps)"),
    Column("speed_inconsistency_ratio", REAL, "ratio",
           "max(tps) / min(tps)"),
    Column("inconsistent_speed_frequency", REAL, "share of timed runs",
           "count(tps_r < SLOW_TOKENS_PER_SECOND or tps_r > FAST_TOKENS_PER_SECOND) / M"),
    Column("temporal_chaos_score", REAL, "share of timed runs",
           "inconsistent_speed_frequency"),
    Column("speed_anomaly_flag", FLAG, "0 or 1",
           "speed_inconsistency_ratio > SPEED_INCONSISTENCY_LIMIT"),
)


def speed_features(batch: FrozenBatch, th: Thresholds) -> Dict[str, np.ndarray]:
    """SPEED_COLUMNS, as defined above, over the M runs with time_r > 0 and tot_r > 0
    (tps_r = tot_r / time_r): a run that produced no tokens, such as a failed call, has
    no speed; when M = 0 every column is null but the flag, which is 0."""
    runs = batch.runs
    timed = (runs.time > 0) & (runs.total_tokens > 0)
    timed_runs = seg_sum(runs, timed)
    tps = np.zeros(len(runs.time))
    np.divide(runs.total_tokens, runs.time, out=tps, where=timed)
    min_tps = seg_extreme(runs, np.where(timed, tps, np.inf), np.minimum, empty=np.inf)
    max_tps = seg_extreme(runs, np.where(timed, tps, -np.inf), np.maximum, empty=-np.inf)
    has_timed = timed_runs > 0
    min_tps[~has_timed] = np.nan  # no timed run with tokens: no speed
    max_tps[~has_timed] = np.nan
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
