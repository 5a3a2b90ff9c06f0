"""Realistic Agno sessions made on the fly: the job runs end to end with no database.

Documents have the exact shapes Agno stores (1.x `memory.runs`, 1.0-1.3 wrapped runs, 2.x
top-level `runs`, 3.x sessions whose runs are documents of a runs collection, including
team sessions with member runs and sessions half-migrated from 2.x), with message
histories, so they weigh what real ones do, and the anomalies the features look for: token
explosions, slow and timed-out runs, tool storms with repeated and failing calls, failed
runs, erratic speed, and damaged documents. Agno 3 runs reach the sessions through the same
per-batch join as a real runs collection (repositories/runs_join.py).

Session i is made from its own seeded generator, so the same SIMULATION_SEED gives the same
sessions byte for byte, and they come out already in (DATE_FIELD, _id) order.
"""

import bisect
import hashlib
import random
import struct
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from bson import ObjectId

from interfaces.ports import RunsSource, SessionRepository
from interfaces.values import SourceItem, TimeWindow
from repositories.runs_join import NOT_JOINED, RunsJoin
from repositories.simulated.catalogue import SHAPES
from repositories.simulated.sessions import SessionMaker


class MadeRuns(RunsSource):
    """The run documents made with the sessions of the current batch, as a runs collection
    would return them for that batch's session ids."""

    def __init__(self):
        self.pending: Dict[str, List[dict]] = {}

    def add(self, run_documents: Sequence[dict]) -> None:
        for run_document in run_documents:
            self.pending.setdefault(run_document["session_id"], []).append(run_document)

    def runs_of(self, session_ids: Sequence[str]) -> Iterable[Mapping]:
        found = [run for session_id in session_ids for run in self.pending.get(session_id, ())]
        # The join asks once per batch, after the batch's sessions were made: whatever is
        # left belongs to sessions that lost their session_id (damaged) and cannot join.
        self.pending = {}
        return found

    def describe(self) -> Dict[str, object]:
        return {"collection": "simulated"}


def joined(made: Iterator[Tuple[dict, List[dict]]], join_runs: bool, batch_size: int
           ) -> Tuple[Iterator[SourceItem], Optional[RunsJoin]]:
    """Made (session, its run documents) pairs as a source gives them: with their runs
    joined as a runs collection would be (and the join, for its counts), unless the join is
    off."""
    if not join_runs:
        return (document for document, _ in made), None
    made_runs = MadeRuns()

    def sessions() -> Iterator[dict]:
        for document, run_documents in made:
            made_runs.add(run_documents)
            yield document

    join = RunsJoin(made_runs, batch_size)
    return join.joined(sessions()), join


class _Anchors(Sequence):
    """The sessions' anchors as a sorted sequence, computed on demand, for bisection."""

    def __init__(self, repository: "SimulatedSessionRepository", start: float, span: float):
        self.repository, self.start, self.span = repository, start, span

    def __len__(self) -> int:
        return self.repository.sessions

    def __getitem__(self, index):
        return self.repository.anchor(index, self.start, self.span)


class SimulatedSessionRepository(SessionRepository):
    def __init__(self, sessions: int, seed: int, date_field: str = "created_at",
                 join_runs: bool = True, batch_size: int = 1000,
                 shapes: Sequence[Tuple[str, int]] = SHAPES):
        self.sessions = sessions
        self.shapes = shapes
        self.seed = seed
        self.date_field = date_field
        self.join_runs = join_runs
        self.batch_size = batch_size
        self._id_prefix = hashlib.sha256(str(seed).encode()).digest()[:3]
        self._join: Optional[RunsJoin] = None
        self._expected: Optional[int] = sessions

    def describe(self) -> Dict[str, object]:
        return {"type": "simulated", "sessions": self.sessions, "seed": self.seed,
                "date_field": self.date_field,
                "runs": self._join.describe() if self._join else NOT_JOINED}

    def documents(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        """The sessions are spread over the whole range; a slice of it gets the sessions
        whose anchor (their DATE_FIELD) falls inside it, exactly those the whole range
        would give there."""
        start = date_range.whole.start_seconds
        span = date_range.whole.end_exclusive_seconds - start
        made = (self.session_with_runs(index, start, span)
                for index in self._indices_within(date_range, start, span))
        documents, self._join = joined(made, self.join_runs, self.batch_size)
        return documents

    def expected_documents(self) -> Optional[int]:
        return self._expected

    def _indices_within(self, window: TimeWindow, start: float, span: float) -> range:
        """The session indices whose anchor lies in `window`: anchors never decrease with
        the index and session i's lies in slot i, so the ends are found by bisection."""
        if window is window.whole:
            self._expected = self.sessions
            return range(self.sessions)
        first = bisect.bisect_left(_Anchors(self, start, span), window.start_seconds)
        end = bisect.bisect_left(_Anchors(self, start, span), window.end_exclusive_seconds)
        self._expected = end - first
        return range(first, end)

    def labels(self, window: TimeWindow) -> List[Tuple[str, str, str]]:
        """(session_id, profile, shape) of the sessions the window gives: the ground truth
        a detector trained on the features can be scored against."""
        start = window.whole.start_seconds
        span = window.whole.end_exclusive_seconds - start
        found = []
        for index in self._indices_within(window, start, span):
            rng = random.Random("{}:{}".format(self.seed, index))
            anchor = self._anchor(rng, index, start, span)
            maker = SessionMaker(rng, anchor, self._object_id(anchor, index), self.date_field,
                                 self.shapes)
            found.append((maker.session_id, maker.profile, maker.shape))
        return found

    def anchor(self, index: int, range_start: float, range_span: float) -> int:
        """Session `index`'s DATE_FIELD value, without making the session."""
        return self._anchor(random.Random("{}:{}".format(self.seed, index)), index,
                            range_start, range_span)

    def _anchor(self, rng: random.Random, index: int, range_start: float,
                range_span: float) -> int:
        slot = range_span / max(self.sessions, 1)
        return int(range_start + slot * (index + rng.random()))

    def session(self, index: int, range_start: float, range_span: float) -> dict:
        """The document of session `index` (an Agno 3 session without its runs)."""
        return self.session_with_runs(index, range_start, range_span)[0]

    def session_with_runs(self, index: int, range_start: float, range_span: float
                          ) -> Tuple[dict, List[dict]]:
        """Session `index` of `self.sessions` and its Agno 3 run documents (none for the
        older shapes), anchored inside its own slice of the range, so anchors never
        decrease with the index."""
        rng = random.Random("{}:{}".format(self.seed, index))
        anchor = self._anchor(rng, index, range_start, range_span)
        return SessionMaker(rng, anchor, self._object_id(anchor, index), self.date_field,
                            self.shapes).make()

    def _object_id(self, anchor: int, index: int) -> ObjectId:
        return ObjectId(struct.pack(">I", anchor & 0xFFFFFFFF) + self._id_prefix
                        + index.to_bytes(5, "big"))
