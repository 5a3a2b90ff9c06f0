"""Per-session reductions over flattened runs (R runs of S sessions, with offsets).

Sums use bincount over the session index, so sessions with no runs get 0. Max and min use
`reduceat` over the starts of the non-empty sessions only: reduceat of an empty segment
would return the next element instead of an identity. A value that is not defined (a mean,
max, min or share over no runs, a ratio over 0) is NaN, written as null (contract 1.2).
"""

import numpy as np

from calculators.batch import RUN_FIELDS, RunArrays


def seg_sum(runs: RunArrays, values: np.ndarray) -> np.ndarray:
    # float64 always: bincount over no runs at all would give integers
    return np.bincount(runs.session_of_run, weights=values,
                       minlength=runs.sessions).astype(np.float64, copy=False)


def seg_mean(runs: RunArrays, values: np.ndarray) -> np.ndarray:
    """sum / N, NaN (null) for a session with no runs."""
    return safe_divide(seg_sum(runs, values), runs.run_count)


def seg_extreme(runs: RunArrays, values: np.ndarray, ufunc,
                empty: float = np.nan) -> np.ndarray:
    """`ufunc` (np.maximum, np.minimum, np.fmax, np.fmin) over each session's runs; `empty`
    (NaN: null) for a session with none."""
    result: np.ndarray = np.full(runs.sessions, empty, dtype=np.float64)
    has_runs = runs.run_count > 0
    if len(values):
        result[has_runs] = ufunc.reduceat(values, runs.first_run[has_runs])
    return result


def seg_max(runs: RunArrays, values: np.ndarray) -> np.ndarray:
    return seg_extreme(runs, values, np.maximum)


def seg_std(runs: RunArrays, values: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Population standard deviation (ddof 0), two-pass for accuracy."""
    deviation = values - mean[runs.session_of_run]
    return np.sqrt(safe_divide(seg_sum(runs, deviation * deviation), runs.run_count))


def safe_divide(numerator, denominator) -> np.ndarray:
    """numerator / denominator, and NaN (null: not defined) where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def previous_in_session(runs: RunArrays) -> np.ndarray:
    """Mask over runs: True where run i has a run i-1 in the same session (i >= 1)."""
    mask: np.ndarray = np.ones(len(runs.session_of_run), dtype=bool)
    starts = runs.first_run[runs.run_count > 0]
    mask[starts] = False
    return mask


def shifted(values: np.ndarray) -> np.ndarray:
    """values[i-1] at position i (position 0 gets 0; mask it with previous_in_session)."""
    out = np.empty_like(values)
    if len(values):
        out[0] = 0.0
        out[1:] = values[:-1]
    return out


def position_in_session(runs: RunArrays) -> np.ndarray:
    """Index of each run within its session, 0 for the first."""
    return np.arange(len(runs.session_of_run)) - runs.first_run[runs.session_of_run]


def only_runs(runs: RunArrays, keep: np.ndarray) -> RunArrays:
    """The same sessions with only the runs where `keep` is True (a session may keep none)."""
    return RunArrays.from_counts(
        np.bincount(runs.session_of_run[keep], minlength=runs.sessions).astype(np.int64),
        {name: getattr(runs, name)[keep] for name in RUN_FIELDS})
