"""Per-column statistics over all rows, accumulated batch by batch for the manifest: how
many values are null and how many are zero, and min, mean and max over the defined ones."""

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
        self._defined = {name: 0 for name in NUMERIC_COLUMNS}
        self._zeros = {name: 0 for name in NUMERIC_COLUMNS}

    def update(self, columns: FeatureColumns) -> None:
        count = len(columns["total_runs"])
        if not count:
            return
        self.rows += count
        with np.errstate(over="ignore"):  # a sum past 1e308 is reported as null (manifest)
            for name in NUMERIC_COLUMNS:
                values = columns[name]
                defined = values[~np.isnan(values)]
                if not len(defined):
                    continue
                self._defined[name] += len(defined)
                self._zeros[name] += int(np.count_nonzero(defined == 0))
                self._min[name] = min(self._min[name], float(defined.min()))
                self._max[name] = max(self._max[name], float(defined.max()))
                self._sum[name] += float(defined.sum())

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
            self._defined[name] += other._defined[name]
            self._zeros[name] += other._zeros[name]

    def as_dict(self) -> Dict[str, Dict[str, Optional[float]]]:
        """{column: {nulls, zeros, min, mean, max}}; min, mean and max over the defined
        values, null (not 0) when there are none: 0 would read as a measured value."""
        statistics: Dict[str, Dict[str, Optional[float]]] = {}
        for name in NUMERIC_COLUMNS:
            defined = self._defined[name]
            statistics[name] = {
                "nulls": self.rows - defined, "zeros": self._zeros[name],
                "min": self._min[name] if defined else None,
                "mean": self._sum[name] / defined if defined else None,
                "max": self._max[name] if defined else None}
        return statistics
