"""A run's data profile, and its drift against the previous run and a reference.

The profile (`_profile.json`) is computed while the rows stream, from the column statistics
every engine already merges (services/column_statistics.py): per numeric column count,
nulls, zeros, min, max, mean, std, the quantiles, and its values counted per sketch slot
(logarithmic buckets of 1 % relative width, exact counts); per profiled text column the
distinct values (counted up to TEXT_DISTINCT_CAP) and the 10 most frequent. The slices of
WORKERS and Spark add up to the one-pass counts exactly.

Histograms are runs of whole slots, so a histogram over any such bins is exact and the same
for every engine. The bins are the reference's: its deciles, each cut at the end of the
slot that holds it (`reference_cuts`), at most 10 bins (fewer where deciles share a slot, as
in a 0/1 flag). The reference is the first run's profile, kept in
`{S3_PREFIX}/_state/reference_profile.json`, or any profile REFERENCE_PROFILE names.

Drift (`_drift.json`), per numeric column, over the reference's bins: the population
stability index PSI = sum (p_i - q_i) ln(p_i / q_i), with p the current shares and q the
previous run's (or the reference's), each share floored at PSI_FLOOR; the Jensen-Shannon
distance sqrt(JS divergence), natural logarithms, on the same shares without the floor;
and the change of the null rate. A column drifts when its PSI against the previous run
exceeds max(PSI_MINIMUM, chi2_0.95(B - 1) (1/n + 1/m)): under no change, n m / (n + m)
times PSI tends to a chi-square with B - 1 degrees of freedom (B bins, n and m values
counted), so that figure is what chance alone exceeds 5 % of the time, and 200 sessions a
day do not raise alarms while 50,000 do not hide them. The dataset drifts when half or
more of the comparable numeric columns do (comparable: two bins or more, values on both
sides).
"""

import math
from typing import Dict, List, Optional, Sequence

import numpy as np

from calculators.columns import NUMERIC_COLUMNS
from services.column_statistics import (
    PROFILED_TEXT,
    QUANTILE_RELATIVE_ERROR,
    SLOT_EDGES,
    SLOTS,
    TEXT_DISTINCT_CAP,
    ColumnStatistics,
)
from services.manifest import CONTRACT_VERSION

PROFILE_NAME = "_profile.json"
DRIFT_NAME = "_drift.json"
REPORT_NAME = "_report.html"
REFERENCE_NAME = "reference_profile.json"
LAST_PROFILE_NAME = "last_profile.json"
PROFILE_VERSION = 1
HISTOGRAM_BINS = 10
TOP_VALUES = 10
PSI_FLOOR = 1e-4
PSI_MINIMUM = 0.1
FEATURE_DRIFT = "feature_drift"
# The 95th percentile of the chi-square distribution by degrees of freedom (B - 1, B <= 10).
CHI_SQUARE_95 = {1: 3.841458820694124, 2: 5.991464547107979, 3: 7.814727903251178,
                 4: 9.487729036781154, 5: 11.070497693516351, 6: 12.591587243743977,
                 7: 14.067140449340169, 8: 15.50731305586545, 9: 16.918977604620448}


class ProfileError(ValueError):
    """A reference or earlier profile this job cannot compare with."""


def build_profile(statistics: ColumnStatistics, reference: Optional[dict] = None) -> dict:
    """The profile of the rows `statistics` counted; histograms over the reference's bins
    (over this profile's own deciles when there is no reference yet)."""
    summary = statistics.as_dict()
    numeric: Dict[str, dict] = {}
    for name in NUMERIC_COLUMNS:
        counts = statistics.slot_counts(name)
        found = summary[name]
        numeric[name] = {
            "count": statistics.defined(name), "nulls": found["nulls"], "zeros": found["zeros"],
            "min": _finite(found["min"]), "max": _finite(found["max"]),
            "mean": _finite(found["mean"]), "std": _finite(statistics.std(name)),
            **{label: _finite(value) for label, value in found.items()
               if label.startswith("p")},
            "slots": {str(slot): int(counts[slot]) for slot in np.flatnonzero(counts)},
        }
    profile = {"profile_version": PROFILE_VERSION, "contract": CONTRACT_VERSION,
               "rows": statistics.rows,
               "sketch": {"relative_error": QUANTILE_RELATIVE_ERROR, "slots": SLOTS},
               "numeric": numeric, "text": text_profile(statistics)}
    cuts_from = reference if reference is not None else profile
    for name in NUMERIC_COLUMNS:
        cuts = reference_cuts(slot_array(cuts_from, name))
        numeric[name]["histogram"] = {"edges": bin_edges(cuts),
                                      "counts": histogram(slot_array(profile, name), cuts)}
    return profile


def text_profile(statistics: ColumnStatistics) -> Dict[str, dict]:
    found = {}
    nulls = statistics.text_nulls()
    for name in PROFILED_TEXT:
        counts, capped = statistics.texts(name)
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_VALUES]
        found[name] = {"nulls": nulls.get(name, 0), "distinct": len(counts),
                       "distinct_capped_at": TEXT_DISTINCT_CAP if capped else None,
                       "top": [[value, count] for value, count in top]}
    return found


def slot_array(profile: dict, name: str) -> np.ndarray:
    """A profile's slot counts of a column as a dense array."""
    counts: np.ndarray = np.zeros(SLOTS, dtype=np.int64)
    for slot, count in profile["numeric"][name]["slots"].items():
        counts[int(slot)] = count
    return counts


def reference_cuts(counts: np.ndarray) -> List[int]:
    """The slots where the reference's bins start: 0, then after the slot of each decile
    (the value of rank floor(d (n - 1))), without repeats; the last bin runs to the end."""
    total = int(counts.sum())
    if not total:
        return [0]
    below = np.cumsum(counts)
    cuts = {0}
    for decile in range(1, HISTOGRAM_BINS):
        rank = math.floor(decile / HISTOGRAM_BINS * (total - 1))
        cuts.add(int(np.searchsorted(below, rank, side="right")) + 1)
    return sorted(cut for cut in cuts if cut < SLOTS)


def histogram(counts: np.ndarray, cuts: Sequence[int]) -> List[int]:
    bounds = list(cuts) + [SLOTS]
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    return [int(cumulative[end] - cumulative[start]) for start, end in zip(bounds, bounds[1:])]


def bin_edges(cuts: Sequence[int]) -> List[Optional[float]]:
    """The values where the bins meet, for people: the first bin starts at the lowest
    value, the last ends at the highest (None for those two ends)."""
    return [None] + [_finite(SLOT_EDGES[cut]) for cut in cuts[1:]] + [None]


def shares(counts: Sequence[int]) -> np.ndarray:
    total = float(sum(counts))
    return np.asarray(counts, dtype=np.float64) / total if total else np.zeros(len(counts))


def psi(current: Sequence[int], expected: Sequence[int]) -> float:
    """Population stability index of `current` against `expected` counts, shares floored
    at PSI_FLOOR."""
    p = np.maximum(shares(current), PSI_FLOOR)
    q = np.maximum(shares(expected), PSI_FLOOR)
    return float(np.sum((p - q) * np.log(p / q)))


def js_distance(current: Sequence[int], expected: Sequence[int]) -> float:
    """Jensen-Shannon distance (natural logarithms): sqrt((KL(p||m) + KL(q||m)) / 2)."""
    p, q = shares(current), shares(expected)
    middle = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        held = a > 0
        return float(np.sum(a[held] * np.log(a[held] / middle[held])))

    return math.sqrt(max((kl(p) + kl(q)) / 2, 0.0))


def psi_threshold(bins: int, current: int, previous: int) -> float:
    """What PSI chance alone exceeds 5 % of the time between samples of these sizes over
    `bins` bins, and never below PSI_MINIMUM."""
    chance = CHI_SQUARE_95[max(1, min(bins - 1, 9))] * (1 / current + 1 / previous)
    return max(PSI_MINIMUM, chance)


def drift(current: dict, previous: Optional[dict], reference: dict) -> dict:
    """Each numeric column's PSI and JS distance over the reference's bins, against the
    previous run and the reference; which columns drift, and whether the dataset does."""
    check_comparable(previous, "the previous run's profile")
    check_comparable(reference, "the reference profile")
    columns: Dict[str, dict] = {}
    drifting: List[str] = []
    psi_of: Dict[str, float] = {}
    comparable = 0
    for name in NUMERIC_COLUMNS:
        cuts = reference_cuts(slot_array(reference, name))
        now = histogram(slot_array(current, name), cuts)
        entry: Dict[str, object] = {"bins": len(cuts), "count": int(sum(now)),
                                    "null_rate": _rate(current, name)}
        reference_counts = histogram(slot_array(reference, name), cuts)
        if sum(now) and sum(reference_counts):
            entry["reference"] = {"psi": psi(now, reference_counts),
                                  "js_distance": js_distance(now, reference_counts)}
        if previous is not None:
            before = histogram(slot_array(previous, name), cuts)
            entry["previous_null_rate"] = _rate(previous, name)
            entry["null_rate_change"] = _difference(entry["null_rate"],
                                                    entry["previous_null_rate"])
            counted, counted_before = int(np.sum(now)), int(np.sum(before))
            if len(cuts) >= 2 and counted and counted_before:
                comparable += 1
                value = psi(now, before)
                threshold = psi_threshold(len(cuts), counted, counted_before)
                entry["previous"] = {"psi": value, "js_distance": js_distance(now, before),
                                     "threshold": threshold, "drifts": value > threshold}
                if value > threshold:
                    drifting.append(name)
                    psi_of[name] = value
        columns[name] = entry
    drifting.sort(key=lambda name: -psi_of[name])
    return {
        "rows": current["rows"],
        "previous_rows": previous["rows"] if previous is not None else None,
        "row_change": current["rows"] - previous["rows"] if previous is not None else None,
        "psi_floor": PSI_FLOOR, "psi_minimum": PSI_MINIMUM,
        "comparable_columns": comparable, "drifting_columns": drifting,
        "dataset_drifts": bool(comparable) and 2 * len(drifting) >= comparable,
        "columns": columns,
    }


def check_comparable(profile: Optional[dict], what: str) -> None:
    if profile is None:
        return
    sketch = profile.get("sketch") if isinstance(profile, dict) else None
    if (not isinstance(sketch, dict) or sketch.get("slots") != SLOTS
            or sketch.get("relative_error") != QUANTILE_RELATIVE_ERROR
            or not isinstance(profile.get("numeric"), dict)
            or any(name not in profile["numeric"] for name in NUMERIC_COLUMNS)):
        raise ProfileError("{} is not a profile of this job's columns and sketch (profile "
                           "version {}): replace it, or remove it to start again".format(
                               what, PROFILE_VERSION))


def _rate(profile: dict, name: str) -> Optional[float]:
    rows = profile["rows"]
    return profile["numeric"][name]["nulls"] / rows if rows else None


def _difference(value: Optional[object], before: Optional[object]) -> Optional[float]:
    if isinstance(value, float) and isinstance(before, float):
        return value - before
    return None


def _finite(value: Optional[float]) -> Optional[float]:
    return value if value is not None and math.isfinite(value) else None
