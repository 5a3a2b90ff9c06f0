"""Session time, volume and tool columns (from 51 on: calculators/columns.py)."""

from typing import Dict, List

import numpy as np

from calculators.batch import FeatureColumns, FrozenBatch
from calculators.column import INTEGER, REAL, TEXT, Column
from calculators.segments import (
    previous_in_session,
    safe_divide,
    seg_extreme,
    seg_mean,
    seg_sum,
    shifted,
)
from config.thresholds import Thresholds

_SECONDS_PER_DAY = 86400.0


SESSION_TIME_COLUMNS = (
    Column("session_start", TEXT, "",
           "earliest t_r; if no run has one, the session's `created_at`; ISO 8601 UTC "
           "YYYY-MM-DDTHH:MM:SSZ; empty if none"),
    Column("session_end", TEXT, "",
           "latest t_r; if none, the session's `updated_at`, else `created_at`; same format"),
    Column("session_duration_seconds", REAL, "seconds",
           "session_end - session_start (null if either is empty)"),
    Column("date", TEXT, "",
           "date of session_start, YYYY-MM-DD (empty if none)"),
    Column("hour_of_day", INTEGER, "hour",
           "hour of session_start, 0-23 UTC (null if none)"),
    Column("day_of_week", INTEGER, "weekday",
           "weekday of session_start, Monday = 0 (null if none)"),
    Column("avg_inter_run_gap_seconds", REAL, "seconds",
           "mean of t[i] - t[i-1] over consecutive runs that both have t (null if none)"),
    Column("max_inter_run_gap_seconds", REAL, "seconds",
           "max of the same gaps (null if none)"),
)


def session_time_features(batch: FrozenBatch, th: Thresholds) -> FeatureColumns:
    """SESSION_TIME_COLUMNS, as defined above. The ISO texts are floored to whole
    seconds; durations and gaps use the exact stored times."""
    runs = batch.runs
    t = runs.t
    earliest = seg_extreme(runs, t, np.fmin, empty=np.nan)
    latest = seg_extreme(runs, t, np.fmax, empty=np.nan)
    start = np.where(np.isnan(earliest), batch.created_at, earliest)
    end = np.where(np.isnan(latest),
                   np.where(np.isnan(batch.updated_at), batch.created_at, batch.updated_at),
                   latest)
    has_start = ~np.isnan(start)
    duration = np.where(has_start & ~np.isnan(end), end - start, np.nan)

    start_seconds = np.floor(np.where(has_start, start, 0.0))
    days = np.floor(start_seconds / _SECONDS_PER_DAY)
    hour = np.where(has_start, np.floor((start_seconds - days * _SECONDS_PER_DAY) / 3600.0),
                    np.nan)
    weekday = np.where(has_start, (days + 3) % 7, np.nan)  # 1970-01-01 was a Thursday

    previous = shifted(t)
    has_gap = previous_in_session(runs) & ~np.isnan(t) & ~np.isnan(previous)
    gaps = np.where(has_gap, t - previous, 0.0)
    gap_count = seg_sum(runs, has_gap)
    max_gap = seg_extreme(runs, np.where(has_gap, gaps, -np.inf), np.maximum, empty=-np.inf)
    max_gap[gap_count == 0] = np.nan

    start_text = iso_seconds(start)
    numeric = {
        "session_duration_seconds": duration,
        "hour_of_day": hour,
        "day_of_week": weekday,
        "avg_inter_run_gap_seconds": safe_divide(seg_sum(runs, gaps), gap_count),
        "max_inter_run_gap_seconds": max_gap,
    }
    numeric.update(
        session_start=start_text,
        session_end=iso_seconds(end),
        date=[value[:10] for value in start_text],
    )
    return numeric


VOLUME_COLUMNS = (
    Column("sum_input_tokens", REAL, "tokens",
           "sum(in)"),
    Column("sum_output_tokens", REAL, "tokens",
           "sum(out)"),
    Column("sum_total_tokens", REAL, "tokens",
           "sum(tot)"),
    Column("avg_input_tokens", REAL, "tokens",
           "mean(in)"),
    Column("avg_output_tokens", REAL, "tokens",
           "mean(out)"),
    Column("output_input_ratio", REAL, "ratio",
           "sum(out) / sum(in)"),
    Column("cache_read_tokens", REAL, "tokens",
           "sum(cache)"),
    Column("reasoning_tokens", REAL, "tokens",
           "sum(reason)"),
    Column("avg_time_to_first_token", REAL, "seconds",
           "mean of ttft_r over runs with ttft_r > 0 (null if none)"),
    Column("p95_execution_time", REAL, "seconds",
           "95th percentile of time, linear interpolation (numpy's default)"),
    Column("tool_error_count", INTEGER, "calls",
           "sum(tool_err)"),
    Column("tool_error_rate", REAL, "share of calls",
           "sum(tool_err) / sum(tools)"),
    Column("distinct_tools", INTEGER, "tools",
           "number of distinct non-null `tool_name` values (as text) over all runs"),
    Column("failed_runs", INTEGER, "runs",
           "count(failed_r)"),
    Column("cost", REAL, "USD",
           "sum(cost) over the runs that record one; null when none does (all of Agno 1.x)"),
    Column("duplicate_tool_calls", INTEGER, "calls",
           "sum(dup)"),
)


def volume_features(batch: FrozenBatch, th: Thresholds) -> Dict[str, np.ndarray]:
    """VOLUME_COLUMNS, as defined above."""
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
        "cost": recorded_sum(runs, runs.cost),
        "duplicate_tool_calls": seg_sum(runs, runs.duplicates),
    }


VERSION_COLUMNS = (
    Column("source_updated_at", TEXT, "",
           "the latest of the session's `updated_at` and, for Agno 3, the `updated_at` of its "
           "run documents, ISO 8601 UTC like session_start (empty if none): the version of "
           "the session this row reflects"),
)


def version_features(batch: FrozenBatch, th: Thresholds) -> FeatureColumns:
    """VERSION_COLUMNS, as defined above."""
    return {"source_updated_at": iso_seconds(batch.source_updated_at)}


def recorded_sum(runs, values: np.ndarray) -> np.ndarray:
    """The sum of the values runs recorded (not NaN); NaN (null) for a session where no run
    recorded one: an unknown cost is not a cost of 0."""
    recorded = ~np.isnan(values)
    total = seg_sum(runs, np.where(recorded, values, 0.0))
    total[seg_sum(runs, recorded) == 0] = np.nan
    return total


def segment_percentile(runs, values: np.ndarray, percent: float) -> np.ndarray:
    """Each session's percentile of `values` with linear interpolation, as np.percentile.

    Sorts once by (session, value); for N values the percentile sits at rank
    q = percent / 100 * (N - 1), between sorted[floor(q)] and sorted[floor(q) + 1].
    """
    result = np.full(runs.sessions, np.nan)
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
