"""Session time, volume and tool columns (51-74)."""

from typing import Dict, List, Tuple

import numpy as np

from calculators.batch import FrozenBatch
from calculators.segments import (
    previous_in_session,
    safe_divide,
    seg_extreme,
    seg_mean,
    seg_sum,
    shifted,
)

_SECONDS_PER_DAY = 86400.0


def session_time_features(batch: FrozenBatch) -> Tuple[Dict[str, np.ndarray],
                                                       Dict[str, List[str]]]:
    """
    session_start             = earliest t_r, else the session's created_at (ISO 8601 UTC)
    session_end               = latest t_r, else updated_at, else created_at
    session_duration_seconds  = session_end - session_start (0 if either is missing)
    date, hour_of_day, day_of_week = of session_start (UTC, Monday = 0; empty or 0 if none)
    avg_inter_run_gap_seconds = mean of t[i] - t[i-1] over consecutive runs both with t
    max_inter_run_gap_seconds = max of the same gaps (0 if none)
    """
    runs = batch.runs
    t = runs.t
    earliest = seg_extreme(runs, t, np.fmin, empty=np.nan)
    latest = seg_extreme(runs, t, np.fmax, empty=np.nan)
    start = np.where(np.isnan(earliest), batch.created_at, earliest)
    end = np.where(np.isnan(latest),
                   np.where(np.isnan(batch.updated_at), batch.created_at, batch.updated_at),
                   latest)
    has_start = ~np.isnan(start)
    duration = np.where(has_start & ~np.isnan(end), end - start, 0.0)

    start_seconds = np.floor(np.where(has_start, start, 0.0))
    days = np.floor(start_seconds / _SECONDS_PER_DAY)
    hour = np.where(has_start, np.floor((start_seconds - days * _SECONDS_PER_DAY) / 3600.0), 0.0)
    weekday = np.where(has_start, (days + 3) % 7, 0.0)  # 1970-01-01 was a Thursday

    previous = shifted(t)
    has_gap = previous_in_session(runs) & ~np.isnan(t) & ~np.isnan(previous)
    gaps = np.where(has_gap, t - previous, 0.0)
    gap_count = seg_sum(runs, has_gap)
    max_gap = seg_extreme(runs, np.where(has_gap, gaps, -np.inf), np.maximum, empty=-np.inf)
    max_gap[gap_count == 0] = 0.0

    start_text = iso_seconds(start)
    numeric = {
        "session_duration_seconds": duration,
        "hour_of_day": hour,
        "day_of_week": weekday,
        "avg_inter_run_gap_seconds": safe_divide(seg_sum(runs, gaps), gap_count),
        "max_inter_run_gap_seconds": max_gap,
    }
    text = {
        "session_start": start_text,
        "session_end": iso_seconds(end),
        "date": [value[:10] for value in start_text],
    }
    return numeric, text


def volume_features(batch: FrozenBatch) -> Dict[str, np.ndarray]:
    """
    sum_input_tokens = sum(in)      sum_output_tokens = sum(out)    sum_total_tokens = sum(tot)
    avg_input_tokens = mean(in)     avg_output_tokens = mean(out)
    output_input_ratio = sum(out) / sum(in)
    cache_read_tokens = sum(cache)  reasoning_tokens = sum(reason)
    avg_time_to_first_token = mean of ttft_r over runs with ttft_r > 0 (0 if none)
    p95_execution_time = 95th percentile of time, linear interpolation
    tool_error_count = sum(tool_err)  tool_error_rate = sum(tool_err) / sum(tools)
    distinct_tools = distinct non-null tool_name values (as text) over all runs
    failed_runs = count(failed_r)   cost = sum(cost)   duplicate_tool_calls = sum(dup)
    """
    runs = batch.runs
    sum_in = seg_sum(runs, runs.in_tokens)
    sum_out = seg_sum(runs, runs.out_tokens)
    has_ttft = runs.ttft > 0
    tool_errors = seg_sum(runs, runs.tool_errors)
    return {
        "sum_input_tokens": sum_in,
        "sum_output_tokens": sum_out,
        "sum_total_tokens": seg_sum(runs, runs.total_tokens),
        "avg_input_tokens": seg_mean(runs, runs.in_tokens),
        "avg_output_tokens": seg_mean(runs, runs.out_tokens),
        "output_input_ratio": safe_divide(sum_out, sum_in),
        "cache_read_tokens": seg_sum(runs, runs.cache),
        "reasoning_tokens": seg_sum(runs, runs.reasoning),
        "avg_time_to_first_token": safe_divide(seg_sum(runs, np.where(has_ttft, runs.ttft, 0.0)),
                                               seg_sum(runs, has_ttft)),
        "p95_execution_time": segment_percentile(runs, runs.time, 95.0),
        "tool_error_count": tool_errors,
        "tool_error_rate": safe_divide(tool_errors, seg_sum(runs, runs.tools)),
        "distinct_tools": batch.distinct_tools,
        "failed_runs": seg_sum(runs, runs.failed),
        "cost": seg_sum(runs, runs.cost),
        "duplicate_tool_calls": seg_sum(runs, runs.duplicates),
    }


def segment_percentile(runs, values: np.ndarray, percent: float) -> np.ndarray:
    """Each session's percentile of `values` with linear interpolation, as np.percentile.

    Sorts once by (session, value); for N values the percentile sits at rank
    q = percent / 100 * (N - 1), between sorted[floor(q)] and sorted[floor(q) + 1].
    """
    result = np.zeros(runs.sessions)
    has_runs = runs.run_count > 0
    if not len(values):
        return result
    ordered = values[np.lexsort((values, runs.session_of_run))]
    n = runs.run_count[has_runs]
    rank = percent / 100.0 * (n - 1)
    below = np.floor(rank).astype(np.int64)
    above = np.minimum(below + 1, n - 1)
    fraction = rank - below
    first = runs.first_run[has_runs]
    low = ordered[first + below]
    high = ordered[first + above]
    result[has_runs] = low + (high - low) * fraction
    return result


def iso_seconds(seconds: np.ndarray) -> List[str]:
    """UTC epoch seconds as `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, floored); NaN as empty."""
    present = ~np.isnan(seconds)
    text = [""] * len(seconds)
    if present.any():
        stamps = np.floor(seconds[present]).astype(np.int64).astype("datetime64[s]")
        formatted = np.datetime_as_string(stamps, unit="s")
        for index, value in zip(np.flatnonzero(present).tolist(), formatted.tolist()):
            text[index] = value + "Z"
    return text
