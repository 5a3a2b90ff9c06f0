"""All 74 columns for a batch of sessions."""

from typing import Dict, List, Tuple, Union

import numpy as np

from calculators.batch import FrozenBatch
from calculators.columns import NUMERIC_COLUMNS
from calculators.execution_time import execution_time_features
from calculators.failures import failure_features
from calculators.session_time_volume import session_time_features, volume_features
from calculators.speed import speed_features
from calculators.tokens import token_features
from calculators.tool_calls import tool_call_features
from config.thresholds import Thresholds

NON_FINITE_FEATURE = "non_finite_feature"

FeatureColumns = Dict[str, Union[np.ndarray, List[str]]]


def compute_features(batch: FrozenBatch, thresholds: Thresholds,
                     warnings: dict) -> FeatureColumns:
    """Every column of COLUMNS for every session of the batch, as arrays of length S.

    When N = 0 every numeric column is 0. A value that overflowed to infinity or NaN (only
    possible with absurd stored metrics near 1e308) is written as 0 and counted as a
    `non_finite_feature` warning, so no NaN or inf ever reaches the file.
    """
    # Overflow is handled right below, so numpy need not warn about it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        numeric, text = _columns(batch, thresholds)

    no_runs = batch.runs.run_count == 0
    for name in NUMERIC_COLUMNS:
        values = numeric[name]
        values[no_runs] = 0.0
        bad = ~np.isfinite(values)
        if bad.any():
            warnings[NON_FINITE_FEATURE] = warnings.get(NON_FINITE_FEATURE, 0) + int(bad.sum())
            values[bad] = 0.0

    columns: FeatureColumns = dict(numeric)
    columns.update(text)
    columns.update(
        session_id=batch.session_id, agent_name=batch.agent_name,
        model_provider=batch.model_provider, model_id=batch.model_id,
        user_id=batch.user_id, schema=batch.schema)
    return columns


def _columns(batch: FrozenBatch, thresholds: Thresholds
             ) -> Tuple[Dict[str, np.ndarray], Dict[str, List[str]]]:
    runs = batch.runs
    numeric = {"total_runs": runs.run_count.astype(np.float64)}
    numeric.update(token_features(runs, thresholds))
    numeric.update(execution_time_features(runs, thresholds))
    numeric.update(tool_call_features(runs, thresholds))
    numeric.update(speed_features(runs, thresholds))
    numeric.update(failure_features(runs, thresholds))
    session_numeric, text = session_time_features(batch)
    numeric.update(session_numeric)
    numeric.update(volume_features(batch))
    return numeric, text
