"""Per-column min, mean and max over all rows, accumulated batch by batch for the manifest."""

from typing import Dict, Optional

import numpy as np

from calculators.batch import FeatureColumns
from calculators.columns import NUMERIC_COLUMNS


class ColumnStatistics:
    def __init__(self):
        self.rows = 0
        self._min = {name: np.inf for name in NUMERIC_COLUMNS}
        self._max = {name: -np.inf for name in NUMERIC_COLUMNS}
        self._sum = {name: 0.0 for name in NUMERIC_COLUMNS}

    def update(self, columns: FeatureColumns) -> None:
        count = len(columns["total_runs"])
        if not count:
            return
        self.rows += count
        with np.errstate(over="ignore"):  # a sum past 1e308 is reported as null (manifest)
            for name in NUMERIC_COLUMNS:
                values = columns[name]
                self._min[name] = min(self._min[name], float(values.min()))
                self._max[name] = max(self._max[name], float(values.max()))
                self._sum[name] += float(values.sum())

    def add(self, other: "ColumnStatistics") -> None:
        """Takes in the statistics of another part of the same rows (a slice). Min and
        max are exact; a mean may differ from one pass's in its last digits (the sums are
        added in another order)."""
        if not other.rows:
            return
        self.rows += other.rows
        for name in NUMERIC_COLUMNS:
            self._min[name] = min(self._min[name], other._min[name])
            self._max[name] = max(self._max[name], other._max[name])
            self._sum[name] += other._sum[name]

    def as_dict(self) -> Dict[str, Dict[str, Optional[float]]]:
        """{column: {min, mean, max}}; null (not 0) when there were no rows: an empty
        result has no statistics, and 0 would read as a measured value."""
        if not self.rows:
            return {name: {"min": None, "mean": None, "max": None} for name in NUMERIC_COLUMNS}
        return {name: {"min": self._min[name], "mean": self._sum[name] / self.rows,
                       "max": self._max[name]} for name in NUMERIC_COLUMNS}
