"""Per-column statistics over all rows, accumulated batch by batch for the manifest: how
many values are null and how many are zero, min, mean and max over the defined ones, and
quantiles from a sketch of bounded size.

The quantile sketch counts the values in logarithmic buckets: a value v != 0 falls in
bucket ceil(ln|v| / ln g) of its sign, g = (1 + a) / (1 - a), and the bucket stands for
2 g^i / (g + 1), within a relative error `a` (QUANTILE_RELATIVE_ERROR) of every value in
it (the DDSketch construction). Counts add, so the slices of WORKERS and Spark merge into
exactly the sketch of one pass, in a fixed 3 MB whatever the number of rows.
"""

import math
from typing import Dict, List, Optional, Tuple

import numpy as np

from calculators.batch import FeatureColumns
from calculators.column import FLAG, INTEGER
from calculators.columns import COLUMNS, NUMERIC_COLUMNS, TEXT_COLUMNS

QUANTILE_RELATIVE_ERROR = 0.01
QUANTILES = (("p1", 0.01), ("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75),
             ("p95", 0.95), ("p99", 0.99))
_GAMMA = (1 + QUANTILE_RELATIVE_ERROR) / (1 - QUANTILE_RELATIVE_ERROR)
_LOG_GAMMA = math.log(_GAMMA)
# Magnitudes from 1e-12 to 1e20 get buckets of their own; smaller and larger ones share the
# first and last (a quantile is then still clamped to the exact min and max).
_LOWEST = math.floor(math.log(1e-12) / _LOG_GAMMA)
_HIGHEST = math.ceil(math.log(1e20) / _LOG_GAMMA)
_BUCKETS = _HIGHEST - _LOWEST + 1  # per sign
# Whole-number columns get whole-number quantiles: within 1 % of a whole number below 50,
# rounding gives it exactly.
_WHOLE = frozenset(column.name for column in COLUMNS if column.dtype in (INTEGER, FLAG))
_COLUMN_OFFSETS = (np.arange(len(NUMERIC_COLUMNS)) * 2 * _BUCKETS)[:, None]
# A column's values in ascending order of sketch slots: negatives from the largest
# magnitude, zero, then positives. Slot s holds the values between SLOT_EDGES[s] and
# SLOT_EDGES[s + 1] (zero's slot, between the smallest magnitudes, holds exactly 0); a
# histogram whose bins are runs of whole slots is counted exactly from the sketch.
SLOTS = 2 * _BUCKETS + 1
_LEVEL_BOUNDS = np.exp(np.arange(_LOWEST - 1, _HIGHEST + 1) * _LOG_GAMMA)
SLOT_EDGES = tuple(float(edge) for edge in np.concatenate(
    [-_LEVEL_BOUNDS[::-1], _LEVEL_BOUNDS]))
ZERO_SLOT = _BUCKETS
# Text columns profiled by their values (the three times are text only in the CSV): at
# most TEXT_DISTINCT_CAP distinct values are counted per column.
PROFILED_TEXT = tuple(sorted(TEXT_COLUMNS - {"session_start", "session_end",
                                             "source_updated_at"}))
TEXT_DISTINCT_CAP = 10_000


class ColumnStatistics:
    def __init__(self):
        self.rows = 0
        self._min = {name: np.inf for name in NUMERIC_COLUMNS}
        self._max = {name: -np.inf for name in NUMERIC_COLUMNS}
        self._sum = {name: 0.0 for name in NUMERIC_COLUMNS}
        self._defined = {name: 0 for name in NUMERIC_COLUMNS}
        self._zeros = {name: 0 for name in NUMERIC_COLUMNS}
        self._empty_texts = {name: 0 for name in TEXT_COLUMNS}
        # For the standard deviation: each column's mean and sum of squared deviations,
        # merged batch by batch (Chan et al.), stable where sums of squares are not.
        self._mean = {name: 0.0 for name in NUMERIC_COLUMNS}
        self._m2 = {name: 0.0 for name in NUMERIC_COLUMNS}
        self._texts: Dict[str, Dict[str, int]] = {name: {} for name in PROFILED_TEXT}
        self._texts_capped = {name: False for name in PROFILED_TEXT}
        # [column, sign (0: positive, 1: negative), bucket]
        self._buckets: np.ndarray = np.zeros((len(NUMERIC_COLUMNS), 2, _BUCKETS), dtype=np.int64)

    def update(self, columns: FeatureColumns) -> None:
        count = len(columns["total_runs"])
        if not count:
            return
        self.rows += count
        for name in TEXT_COLUMNS:
            if name in columns:
                self._empty_texts[name] += list(columns[name]).count("")
        for name in PROFILED_TEXT:
            if name in columns:
                self._count_texts(name, columns[name])
        with np.errstate(over="ignore", invalid="ignore"):  # past 1e308: null (manifest)
            for name in NUMERIC_COLUMNS:
                values = columns[name]
                defined = values[~np.isnan(values)]
                if not len(defined):
                    continue
                batch_mean = float(defined.mean())
                self._merge_moments(name, len(defined), batch_mean,
                                    float(np.square(defined - batch_mean).sum()))
                self._defined[name] += len(defined)
                self._zeros[name] += int(np.count_nonzero(defined == 0))
                self._min[name] = min(self._min[name], float(defined.min()))
                self._max[name] = max(self._max[name], float(defined.max()))
                self._sum[name] += float(defined.sum())
        self._count_buckets(columns, count)

    def _merge_moments(self, name: str, count: int, mean: float, m2: float) -> None:
        """Adds `count` values of this mean and sum of squared deviations (taken before
        `_defined` counts them)."""
        before = self._defined[name]
        total = before + count
        delta = mean - self._mean[name]
        self._mean[name] += delta * count / total
        self._m2[name] += m2 + delta * delta * before * count / total

    def _count_texts(self, name: str, values) -> None:
        """Counts each value; once TEXT_DISTINCT_CAP values are known, new ones are not
        counted (the profile says the count is capped)."""
        counts = self._texts[name]
        for value in values:
            if not value:
                continue
            known = counts.get(value)
            if known is not None:
                counts[value] = known + 1
            elif len(counts) < TEXT_DISTINCT_CAP:
                counts[value] = 1
            else:
                self._texts_capped[name] = True

    def _count_buckets(self, columns: FeatureColumns, count: int) -> None:
        """One bincount over every numeric column of the batch; nulls and zeros go to a
        last slot that is dropped (zeros are counted apart)."""
        values = np.empty((len(NUMERIC_COLUMNS), count))
        for position, name in enumerate(NUMERIC_COLUMNS):
            values[position] = columns[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            bucket = np.ceil(np.log(np.abs(values)) * (1 / _LOG_GAMMA))
        np.clip(bucket, _LOWEST, _HIGHEST, out=bucket)
        slot = bucket + (_COLUMN_OFFSETS + (values < 0) * _BUCKETS - _LOWEST)
        slot[np.isnan(values) | (values == 0)] = self._buckets.size
        counts = np.bincount(slot.astype(np.int64).ravel(), minlength=self._buckets.size + 1)
        self._buckets += counts[:-1].reshape(self._buckets.shape)

    def add(self, other: "ColumnStatistics") -> None:
        """Takes in the statistics of another part of the same rows (a slice). Counts, min
        and max are exact; a mean may differ from one pass's in its last digits (the sums
        are added in another order)."""
        if not other.rows:
            return
        self.rows += other.rows
        for name in NUMERIC_COLUMNS:
            self._min[name] = min(self._min[name], other._min[name])
            self._max[name] = max(self._max[name], other._max[name])
            self._sum[name] += other._sum[name]
            if other._defined[name]:
                self._merge_moments(name, other._defined[name], other._mean[name],
                                    other._m2[name])
            self._defined[name] += other._defined[name]
            self._zeros[name] += other._zeros[name]
        self._buckets += other._buckets
        for name in TEXT_COLUMNS:
            self._empty_texts[name] += other._empty_texts[name]
        for name in PROFILED_TEXT:
            counts = self._texts[name]
            self._texts_capped[name] |= other._texts_capped[name]
            for value, count in other._texts[name].items():
                if value in counts:
                    counts[value] += count
                elif len(counts) < TEXT_DISTINCT_CAP:
                    counts[value] = count
                else:
                    self._texts_capped[name] = True

    def as_dict(self) -> Dict[str, Dict[str, Optional[float]]]:
        """{column: {nulls, zeros, min, mean, max, p1 ... p99}}, over the defined values,
        null (not 0) when there are none: 0 would read as a measured value."""
        statistics: Dict[str, Dict[str, Optional[float]]] = {}
        for position, name in enumerate(NUMERIC_COLUMNS):
            defined = self._defined[name]
            statistics[name] = {
                "nulls": self.rows - defined, "zeros": self._zeros[name],
                "min": self._min[name] if defined else None,
                "mean": self._sum[name] / defined if defined else None,
                "max": self._max[name] if defined else None}
            statistics[name].update(self._quantiles(position, name))
        return statistics

    def std(self, name: str) -> Optional[float]:
        """The population standard deviation of the defined values (None without any)."""
        defined = self._defined[name]
        if not defined or not math.isfinite(self._m2[name]):
            return None
        return math.sqrt(max(self._m2[name], 0.0) / defined)

    def slot_counts(self, name: str) -> np.ndarray:
        """The column's defined values counted per sketch slot, in ascending order (SLOTS
        of them; SLOT_EDGES says where each lies): exact, and the same for any split of
        the rows."""
        position = NUMERIC_COLUMNS.index(name)
        positive, negative = self._buckets[position]
        return np.concatenate([negative[::-1], [self._zeros[name]], positive])

    def texts(self, name: str) -> Tuple[Dict[str, int], bool]:
        """(count of each value, whether values beyond TEXT_DISTINCT_CAP went uncounted)."""
        return self._texts[name], self._texts_capped[name]

    def defined(self, name: str) -> int:
        return self._defined[name]

    def text_nulls(self) -> Dict[str, int]:
        """{text column: rows where it is empty (null in Parquet, an empty cell in CSV)}."""
        return dict(self._empty_texts)

    def _quantiles(self, position: int, name: str) -> Dict[str, Optional[float]]:
        """For each q, the value of rank floor(q (n - 1)) among the n defined values (0
        first), within QUANTILE_RELATIVE_ERROR of it, and never beyond the exact min and
        max; a whole number in a whole-number column."""
        defined = self._defined[name]
        if not defined:
            return {label: None for label, _ in QUANTILES}
        below = np.cumsum(self.slot_counts(name))
        levels = np.arange(_LOWEST, _HIGHEST + 1)
        representative = 2 * np.exp(levels * _LOG_GAMMA) / (_GAMMA + 1)
        values: List[float] = list(-representative[::-1]) + [0.0] + list(representative)
        found: Dict[str, Optional[float]] = {}
        for label, q in QUANTILES:
            rank = math.floor(q * (defined - 1))
            index = int(np.searchsorted(below, rank, side="right"))
            value = min(max(values[index], self._min[name]), self._max[name])
            found[label] = float(round(value)) if name in _WHOLE else float(value)
        return found
