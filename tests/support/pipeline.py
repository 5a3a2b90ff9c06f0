"""Runs documents through the job's normalisation and vectorised calculators, in memory."""

from calculators.batch import SessionBatch
from calculators.columns import COLUMN_NAMES
from calculators.features import compute_features
from calculators.normalise import RejectedDocument, add_session
from config.thresholds import Thresholds
from utils.counts import Counts


def feature_rows(documents, thresholds=None, forced_shape=None, warnings=None):
    """[row dict or RejectedDocument] per document, in order."""
    thresholds = thresholds or Thresholds()
    warnings = Counts() if warnings is None else warnings
    batch = SessionBatch()
    placement = []
    for document in documents:
        try:
            add_session(document, batch, forced_shape, warnings)
        except RejectedDocument as reject:
            placement.append(reject)
        else:
            placement.append(len(batch) - 1)
    columns = compute_features(batch.freeze(), thresholds, warnings)
    rows = []
    for where in placement:
        if isinstance(where, RejectedDocument):
            rows.append(where)
        else:
            rows.append({name: _plain(columns[name][where]) for name in COLUMN_NAMES})
    return rows


def _plain(value):
    return value if isinstance(value, str) else float(value)
