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

    When N = 0 every numeric column is 0. A value that overflowed to infinity or NaN (only
    possible with absurd stored metrics near 1e308) is written as 0 and counted as a
    `non_finite_feature` warning, so no NaN or inf ever reaches the file.
    """
    columns: FeatureColumns = {}
    # Overflow is handled right below, so numpy need not warn about it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for group in GROUPS:
            columns.update(group.calculator(batch, thresholds))

    no_runs = batch.runs.run_count == 0
    for name in NUMERIC_COLUMNS:
        values = columns[name]
        values[no_runs] = 0.0
        bad = ~np.isfinite(values)
        if bad.any():
            warnings.add(NON_FINITE_FEATURE, int(bad.sum()))
            values[bad] = 0.0
    return columns
