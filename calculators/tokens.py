"""Token columns (6-15)."""

from typing import Dict

import numpy as np

from calculators.batch import FrozenBatch
from calculators.column import FLAG, INTEGER, REAL, Column
from calculators.segments import (
    only_runs,
    previous_in_session,
    safe_divide,
    seg_extreme,
    seg_max,
    seg_mean,
    seg_std,
    seg_sum,
    shifted,
)
from config.thresholds import Thresholds

TOKEN_COLUMNS = (
    Column("avg_total_tokens", REAL, "tokens",
           "mean(tot)"),
    Column("max_total_tokens", REAL, "tokens",
           "max(tot)"),
    Column("token_explosion_ratio", REAL, "ratio",
           "max(tot) / mean(tot)"),
    Column("output_explosion_ratio", REAL, "ratio",
           "max(out) / mean(out)"),
    Column("token_coefficient_variation", REAL, "ratio",
           "std(tot) / mean(tot), population std"),
    Column("token_spike_frequency", REAL, "share of runs",
           "count(tot_r > mean(tot) * TOKEN_SPIKE_MULTIPLIER) / N"),
    Column("max_token_growth_rate", REAL, "ratio",
           "over the K runs with tot_r > 0 only, in order (g[1..K]): max of g[i] / g[i-1] for i "
           ">= 2; null when K < 2"),
    Column("explosive_growth_events", INTEGER, "count",
           "count of those growth rates > EXPLOSIVE_GROWTH_THRESHOLD"),
    Column("extreme_token_flag", FLAG, "0 or 1",
           "max(tot) > EXTREME_TOKEN_LIMIT"),
    Column("mega_explosion_flag", FLAG, "0 or 1",
           "max(tot) > MEGA_EXPLOSION_LIMIT"),
)


def token_features(batch: FrozenBatch, th: Thresholds) -> Dict[str, np.ndarray]:
    """TOKEN_COLUMNS, as defined above. Growth rates are taken between consecutive runs
    that produced tokens, so the runs without tokens are dropped first (only_runs)."""
    runs = batch.runs
    tot = runs.total_tokens
    mean_tot = seg_mean(runs, tot)
    max_tot = seg_max(runs, tot)
    mean_out = seg_mean(runs, runs.out_tokens)
    spikes = seg_sum(runs, tot > (mean_tot * th.TOKEN_SPIKE_MULTIPLIER)[runs.session_of_run])

    # Growth is measured between consecutive runs that produced tokens: a failed call with
    # no tokens between two others neither breaks nor fakes a growth.
    producing = only_runs(runs, tot > 0)
    growth = producing.total_tokens
    has_rate = previous_in_session(producing)
    rate = np.full(len(growth), -np.inf)
    np.divide(growth, shifted(growth), out=rate, where=has_rate)
    max_rate = seg_extreme(producing, rate, np.maximum, empty=-np.inf)
    max_rate[max_rate == -np.inf] = np.nan  # fewer than two runs with tokens: no rate

    return {
        "avg_total_tokens": mean_tot,
        "max_total_tokens": max_tot,
        "token_explosion_ratio": safe_divide(max_tot, mean_tot),
        "output_explosion_ratio": safe_divide(seg_max(runs, runs.out_tokens), mean_out),
        "token_coefficient_variation": safe_divide(seg_std(runs, tot, mean_tot), mean_tot),
        "token_spike_frequency": safe_divide(spikes, runs.run_count),
        "max_token_growth_rate": max_rate,
        "explosive_growth_events": seg_sum(
            producing, has_rate & (rate > th.EXPLOSIVE_GROWTH_THRESHOLD)),
        "extreme_token_flag": (max_tot > th.EXTREME_TOKEN_LIMIT).astype(np.float64),
        "mega_explosion_flag": (max_tot > th.MEGA_EXPLOSION_LIMIT).astype(np.float64),
    }
