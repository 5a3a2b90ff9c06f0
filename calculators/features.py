"""Every column for a batch of sessions, group by group as calculators/columns.py lists them."""

import numpy as np

from calculators.batch import FeatureColumns, FrozenBatch
from calculators.columns import GROUPS, NUMERIC_COLUMNS
from config.thresholds import Thresholds
from utils.counts import Counts

NON_FINITE_FEATURE = "non_finite_feature"


def compute_features(batch: FrozenBatch, thresholds: Thresholds,
                     warnings: Counts) -> FeatureColumns:
    """Every column for every session of the batch, as arrays (numbers) or lists (texts).

    A value that is not defined is NaN, written as null (contract 1.2, features.md section
    3). A value that overflowed to infinity (only possible with absurd stored metrics near
    1e308) is null too, counted as a `non_finite_feature` warning: no inf reaches a file.
    """
    columns: FeatureColumns = {}
    # Overflow is handled right below, so numpy need not warn about it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for group in GROUPS:
            columns.update(group.calculator(batch, thresholds))

    for name in NUMERIC_COLUMNS:
        values = columns[name]
        overflowed = np.isinf(values)
        if overflowed.any():
            warnings.add(NON_FINITE_FEATURE, int(overflowed.sum()))
            values[overflowed] = np.nan
    return columns
