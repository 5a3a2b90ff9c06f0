"""A simulated world that evolves: the source of the partitioned layout without a database.

A fixed population: every UTC day, SIMULATED_SESSIONS sessions start, session i of day d
at its own second of that day, with a stable id and `_id`. A session gets its runs over
minutes, and some come back hours or days later (across midnight). SIMULATED_NOW is the
present: only what was saved by then exists, and documents carry the times Agno's own
storage gives them at that moment:

- every run is saved RUN_SAVE_SECONDS after it starts; the session document is saved with
  it, so its `updated_at` is the last save, and for Agno 1.x its `created_at` too (1.x
  rebuilds the session on every save); 2.x and 3.x keep `created_at` at the start;
- an Agno 3 run may wait PAUSED and complete hours later: its run document's status and
  `updated_at` change, the session document does not.

The same session has the same id, content and past whatever window or present is asked,
because it is made from its own generator (seed, day, index), then cut to what is visible.
A window selects a session when its CHANGE_FIELD (`updated_at` unless told otherwise)
falls in it, or, for Agno 3, when one of its runs changed in it: such a session belongs to
the slice of its latest run change, as in repositories/mongo_repository.py.
"""

import datetime as dt
import hashlib
import random
import struct
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from bson import ObjectId

from interfaces.ports import SessionRepository
from interfaces.values import SourceItem, TimeWindow
from repositories.runs_join import NOT_JOINED, RunsJoin
from repositories.simulated.catalogue import (
    GAP_BETWEEN_RUNS_SECONDS,
    MAX_SESSION_LIFE_SECONDS,
    PAUSED_RUN_CHANCE,
    RESUMED_AFTER_SECONDS,
    RETURN_LATER_CHANCE,
    RETURN_LATER_SECONDS,
    RUN_SAVE_SECONDS,
    SHAPES,
)
from repositories.simulated.repository import joined
from repositories.simulated.sessions import (
    Plan,
    SessionMaker,
    draw_profile,
    draw_run_count,
    draw_session_id,
    weighted,
)
from utils.timestamps import utc_text

SECONDS_PER_DAY = 86_400
V1_SHAPES = ("agno_v1", "agno_v1_legacy")


class Life(NamedTuple):
    """A session's whole life, known without making its documents."""

    day: int  # days since 1970-01-01
    number: int  # of the day's sessions
    start: int  # epoch seconds: the session's creation (its first run starts then)
    plan: Plan
    resumed_at: Tuple[Optional[int], ...]  # per run: when a paused Agno 3 run completed

    def saves(self) -> List[int]:
        """When each run (and the session with it) was saved."""
        return [moment + RUN_SAVE_SECONDS for moment in self.plan.run_times]

    def first_seen(self) -> int:
        """When the session document first exists."""
        return self.saves()[0] if self.plan.run_times else self.start

    def last_save(self, now: int) -> int:
        """The session document's `updated_at` at `now` (its first save when it has none
        later)."""
        saves = [moment for moment in self.saves() if moment <= now]
        return saves[-1] if saves else self.start

    def run_changes(self, now: int) -> List[int]:
        """The `updated_at` of each Agno 3 run document visible at `now`."""
        if self.plan.shape != "agno_v3":
            return []
        changes = []
        for save, resumed in zip(self.saves(), self.resumed_at):
            if save <= now:
                changes.append(resumed if resumed is not None and resumed <= now else save)
        return changes


class EvolvingWorld(SessionRepository):
    def __init__(self, sessions_per_day: int, seed: int, now: dt.datetime,
                 change_field: str = "updated_at", join_runs: bool = True,
                 batch_size: int = 1000, runs_change_field: Optional[str] = "updated_at",
                 shapes: Sequence[Tuple[str, int]] = SHAPES):
        self.sessions_per_day = sessions_per_day
        self.seed = seed
        self.now = int(now.timestamp())
        self.change_field = change_field
        self.join_runs = join_runs
        self.batch_size = batch_size
        self.runs_change_field = runs_change_field if join_runs else None
        self.shapes = shapes
        self._id_prefix = hashlib.sha256("world:{}".format(seed).encode()).digest()[:3]
        self._join: Optional[RunsJoin] = None
        self._expected: Optional[int] = None

    def describe(self) -> Dict[str, object]:
        return {"type": "simulated", "world": "evolving", "sessions_per_day":
                self.sessions_per_day, "seed": self.seed, "now": utc_text(self.now),
                "date_field": self.change_field,
                "runs": self._join.describe() if self._join else NOT_JOINED}

    def expected_documents(self) -> Optional[int]:
        return self._expected

    def life(self, day: int, index: int) -> Life:
        """Session `index` of `day`: when it starts, its profile, shape, id and run times."""
        rng = random.Random("{}:world:{}:{}".format(self.seed, day, index))
        start = day * SECONDS_PER_DAY + int(rng.random() * SECONDS_PER_DAY)
        profile = draw_profile(rng)
        shape = weighted(rng, self.shapes)
        session_id = draw_session_id(rng)
        run_times: List[int] = []
        moment = float(start)
        for _ in range(draw_run_count(rng, profile)):
            if moment - start > MAX_SESSION_LIFE_SECONDS:
                break
            run_times.append(int(moment))
            if rng.random() < RETURN_LATER_CHANCE:
                moment += rng.uniform(*RETURN_LATER_SECONDS)
            else:
                moment += rng.uniform(*GAP_BETWEEN_RUNS_SECONDS)
        resumed = tuple(
            int(moment + RUN_SAVE_SECONDS + rng.uniform(*RESUMED_AFTER_SECONDS))
            if shape == "agno_v3" and rng.random() < PAUSED_RUN_CHANCE else None
            for moment in run_times)
        return Life(day, index, start, Plan(profile, shape, session_id, run_times), resumed)

    def _lives_around(self, window: TimeWindow) -> Iterator[Life]:
        """Every session that can have changed in the window: those that started from a
        whole life before it to its end (or the present)."""
        end = min(window.whole.end_exclusive_seconds, self.now + 1)
        first_day = int(window.whole.start_seconds - MAX_SESSION_LIFE_SECONDS
                        - RESUMED_AFTER_SECONDS[1] - 2 * RUN_SAVE_SECONDS) // SECONDS_PER_DAY
        last_day = int(end) // SECONDS_PER_DAY
        for day in range(first_day, last_day + 1):
            for index in range(self.sessions_per_day):
                yield self.life(day, index)

    def selected(self, window: TimeWindow) -> List[Tuple[int, bytes, int, int]]:
        """(selection time, `_id` bytes, day, number) of every session the window
        selects, in that order: the time is the session's own change, or for a session
        selected by its runs, their latest. Lives are made again when needed, so that a
        month of a large world fits in memory."""
        whole = window.whole
        chosen: List[Tuple[int, bytes, int, int]] = []
        for life in self._lives_around(window):
            if life.first_seen() > self.now:
                continue
            changed = life.last_save(self.now)
            if not window.start_seconds <= changed < window.end_exclusive_seconds:
                if self.runs_change_field is None or (
                        whole.start_seconds <= changed < whole.end_exclusive_seconds):
                    continue
                in_window = [moment for moment in life.run_changes(self.now)
                             if whole.start_seconds <= moment < whole.end_exclusive_seconds]
                if not in_window or not (window.start_seconds <= max(in_window)
                                         < window.end_exclusive_seconds):
                    continue
                changed = max(in_window)
            chosen.append((changed, self.object_id(life).binary, life.day, life.number))
        # by selection time, so that a window's slices, one after another, give the
        # window's order
        chosen.sort()
        return chosen

    def selected_lives(self, window: TimeWindow) -> Iterator[Life]:
        for _, _, day, number in self.selected(window):
            yield self.life(day, number)

    def documents(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        chosen = self.selected(date_range)
        self._expected = len(chosen)
        documents, self._join = joined(
            (self.session_at_now(self.life(day, number), ObjectId(object_id))
             for _, object_id, day, number in chosen), self.join_runs, self.batch_size)
        return documents

    def labels(self, window: TimeWindow) -> List[Tuple[str, str, str]]:
        """(session_id, profile, shape) of the sessions the window selects."""
        return [(life.plan.session_id, life.plan.profile, life.plan.shape)
                for life in self.selected_lives(window)]

    def object_id(self, life: Life) -> ObjectId:
        return ObjectId(struct.pack(">I", life.start & 0xFFFFFFFF) + self._id_prefix
                        + (life.day * 1_000_000 + life.number).to_bytes(5, "big"))

    def session_at_now(self, life: Life, object_id: ObjectId) -> Tuple[dict, List[dict]]:
        """The session made whole, then cut to what was saved by the present."""
        rng = random.Random("{}:session:{}:{}".format(self.seed, life.day, life.number))
        document, run_documents = SessionMaker(rng, life.start, object_id, "created_at",
                                               self.shapes, plan=life.plan).make()
        now = self.now
        last_save = life.last_save(now)
        _cut_embedded_runs(document, now)
        visible_documents = []
        for run_document in run_documents:
            if run_document["created_at"] + RUN_SAVE_SECONDS > now:
                continue
            visible_documents.append(_as_of(run_document, life, now))
        if life.plan.shape in V1_SHAPES:
            document["created_at"] = last_save
        document["updated_at"] = last_save
        if self.change_field not in ("created_at", "updated_at"):
            document[self.change_field] = last_save
        return document, visible_documents


def _visible(run, now: int) -> bool:
    if not isinstance(run, dict):
        return True
    inner = run.get("response", run)
    created = inner.get("created_at") if isinstance(inner, dict) else None
    return not isinstance(created, int) or created + RUN_SAVE_SECONDS <= now


def _cut_embedded_runs(document: dict, now: int) -> None:
    for holder, key in ((document, "runs"), (document.get("memory"), "runs")):
        if isinstance(holder, dict) and isinstance(holder.get(key), list):
            holder[key] = [run for run in holder[key] if _visible(run, now)]


def _as_of(run_document: dict, life: Life, now: int) -> dict:
    """A run document as stored at `now`: a run paused until later is still PAUSED."""
    resumed = None
    if run_document.get("parent_run_id") is None:  # a team's member runs never pause
        resumed = dict(zip(life.plan.run_times, life.resumed_at)).get(run_document["created_at"])
    saved = run_document["created_at"] + RUN_SAVE_SECONDS
    if resumed is None:
        return dict(run_document, updated_at=saved)
    if resumed > now:
        run_data = dict(run_document["run_data"], status="PAUSED")
        return dict(run_document, status="PAUSED", run_data=run_data, updated_at=saved)
    return dict(run_document, updated_at=resumed)
