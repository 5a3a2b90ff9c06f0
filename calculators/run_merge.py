"""Agno 3: a session's runs from the runs collection, merged with runs still embedded in it.

Agno's 3.0 migration copies the embedded `runs` of a session into the runs collection and
leaves the embedded list in place, so one run can be stored twice. Agno's own reader
(`merge_runs_table_with_legacy_blob`) decides which copy counts and in what order, and the
dataset must see the same runs Agno shows its users:

1. the run documents are ordered by (`run_index`, `created_at`), a missing `run_index`
   counting 0 (stable, so ties keep the order the source returned);
2. with no embedded runs, those runs are the session's runs;
3. otherwise walk the embedded list in its stored order, taking the collection's copy of an
   entry whose `run_id` is in the collection; then append the collection's runs whose
   `run_id` the list did not name. A run without a `run_id` cannot be matched: Agno drops it
   here, and so do we, counting the warning `run_without_run_id`.

A run document whose `run_data` is not an object holds no run Agno can read: it is skipped
and counted as `unusable_run_document`. A `run_data` without `status` takes the run
document's `status`.
"""

import math
from typing import List, Mapping, Optional, Sequence

from utils.counts import Counts
from utils.timestamps import epoch_seconds

RUN_WITHOUT_RUN_ID = "run_without_run_id"
UNUSABLE_RUN_DOCUMENT = "unusable_run_document"


class MergeRejected(Exception):
    """The embedded runs cannot be interpreted (not a list, or an entry not an object)."""


def _order_number(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        try:
            return float(value)
        except OverflowError:  # a whole number past a double's range (JSON allows it)
            return math.inf if value > 0 else -math.inf
    return 0.0


def collection_runs(run_documents: Sequence[Mapping], warnings: Counts) -> List[dict]:
    """The `run_data` of each usable run document, in (run_index, created_at) order."""
    keyed = []
    for position, run_document in enumerate(run_documents):
        run_data = run_document.get("run_data") if isinstance(run_document, dict) else None
        if not isinstance(run_data, dict):
            warnings.add(UNUSABLE_RUN_DOCUMENT)
            continue
        if run_data.get("status") is None and run_document.get("status") is not None:
            run_data = dict(run_data, status=run_document["status"])
        created_at = epoch_seconds(run_document.get("created_at"))
        keyed.append(((_order_number(run_document.get("run_index")),
                       created_at if created_at is not None else 0.0, position), run_data))
    keyed.sort(key=lambda pair: pair[0])
    return [run_data for _, run_data in keyed]


def merge_runs(table_runs: List[dict], embedded: Optional[object], warnings: Counts) -> List[dict]:
    """Agno 3's merge of the runs collection's runs with a session's embedded `runs`."""
    if embedded is None or (type(embedded) is list and not embedded):
        return table_runs
    if type(embedded) is not list:
        raise MergeRejected("runs is not a list")
    by_run_id = {}
    for run in table_runs:
        run_id = run.get("run_id")
        if run_id is not None:
            by_run_id[_hashable(run_id)] = run  # the last copy wins, as in Agno
    merged = []
    embedded_ids = set()
    for run in embedded:
        if not isinstance(run, dict):
            raise MergeRejected("a run is not an object")
        run_id = run.get("run_id")
        if run_id is None:
            warnings.add(RUN_WITHOUT_RUN_ID)
            continue
        key = _hashable(run_id)
        embedded_ids.add(key)
        merged.append(by_run_id.get(key, run))
    for run in table_runs:
        run_id = run.get("run_id")
        if run_id is None:
            warnings.add(RUN_WITHOUT_RUN_ID)
            continue
        if _hashable(run_id) not in embedded_ids:
            merged.append(run)
    return merged


def _hashable(value):
    """run_id as a dictionary key (Agno writes text; anything else is compared as text)."""
    return value if type(value) is str else ("non-text", repr(value))
