"""Agno 3: attaching each session's run documents, one batch of sessions at a time.

Every source joins the same way: take BATCH_SIZE sessions in their (DATE_FIELD, _id)
order, ask the runs source once for the runs of all their `session_id`s, and hand each
session on with its runs (a JoinedSession) or as it was when it has none. Memory is bounded
by one batch of sessions and their runs, never by the runs collection. How the runs are
merged with runs still embedded in the session is the calculators' business
(calculators/run_merge.py), so every source gives the same rows.
"""

import logging
from typing import Dict, Iterable, Iterator, List, Mapping, Optional

from config import constants
from interfaces.ports import RunsSource
from interfaces.values import JoinedSession, SourceItem

logger = logging.getLogger(__name__)


def agno_runs_collection(sessions_collection: str) -> str:
    """The runs collection Agno 3 pairs with a sessions collection when the application
    names none: `agno_runs` beside `agno_sessions`, else `<sessions collection>_runs`."""
    if sessions_collection == constants.AGNO_DEFAULT_SESSIONS_COLLECTION:
        return constants.AGNO_DEFAULT_RUNS_COLLECTION
    return sessions_collection + "_runs"


def _joinable_id(item) -> Optional[str]:
    """The `session_id` a session's runs are found by (Agno writes text; nothing else joins)."""
    if isinstance(item, dict):
        session_id = item.get("session_id")
        if type(session_id) is str:
            return session_id
    return None


class RunsJoin:
    """Joins a stream of sessions with a RunsSource and counts the run documents it read."""

    def __init__(self, source: RunsSource, batch_size: int):
        self.source = source
        self.batch_size = batch_size
        self.documents_read = 0
        self.sessions_with_runs = 0
        self.documents_without_text_session_id = 0

    def joined(self, items: Iterable[SourceItem]) -> Iterator[SourceItem]:
        """`items` with their runs. The counts are this read's: a read begun again
        (ReadAgain) counts from zero."""
        self.documents_read = self.sessions_with_runs = 0
        self.documents_without_text_session_id = 0
        batch: List[SourceItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= self.batch_size:
                yield from self._join(batch)
                batch = []
        if batch:
            yield from self._join(batch)

    def _join(self, batch: List[SourceItem]) -> Iterator[SourceItem]:
        session_ids = sorted({session_id for session_id in map(_joinable_id, batch)
                              if session_id is not None})
        runs_by_session: Dict[str, List[Mapping]] = {}
        if session_ids:
            for run_document in self.source.runs_of(session_ids):
                self.documents_read += 1
                session_id = run_document.get("session_id")
                if type(session_id) is not str:
                    # MongoDB's $in also matches an array holding the id: not Agno's shape
                    self.documents_without_text_session_id += 1
                    continue
                runs_by_session.setdefault(session_id, []).append(run_document)
        for item in batch:
            session_id = _joinable_id(item)
            runs = runs_by_session.get(session_id) if session_id is not None else None
            if runs and isinstance(item, Mapping):
                self.sessions_with_runs += 1
                yield JoinedSession(item, runs)
            else:
                yield item

    def describe(self) -> Dict[str, object]:
        described = dict(self.source.describe(), joined=True,
                         documents_read=self.documents_read,
                         sessions_with_runs=self.sessions_with_runs)
        if self.documents_without_text_session_id:
            described["documents_without_text_session_id"] = (
                self.documents_without_text_session_id)
        return described


NOT_JOINED: Dict[str, object] = {"joined": False}
