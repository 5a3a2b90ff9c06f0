"""A batch of normalised sessions: every run flattened into arrays, with per-session offsets.

The calculators work on whole batches: numpy over the runs of thousands of sessions at once,
never over one session's handful of numbers.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, NamedTuple, Tuple

import numpy as np

# Columns by name: an array of numbers, or a list of texts, one value per session.
# Column name -> its values for a batch: a float64 array for a numeric column, a list of
# strings for a text column (calculators/columns.py says which is which). Typed Any so that
# a calculator returning only arrays, or only text, fits.
FeatureColumns = Dict[str, Any]


class NormalisedRun(NamedTuple):
    """One run in the run model of the feature specification (docs/features.md): every
    value a number, whatever the stored shape. `t` is NaN when the run has no time;
    `failed` and `timeout` are 0.0 or 1.0.

    The normaliser hands each run over as a plain tuple in this order (RUN_FIELDS): making
    a named tuple per run cost twice as much, for names nothing reads."""

    in_tokens: float
    out_tokens: float
    total_tokens: float
    time: float
    ttft: float
    cache: float
    reasoning: float
    cost: float
    tools: float
    tool_errors: float
    duplicates: float
    t: float
    failed: float
    timeout: float


RUN_FIELDS = NormalisedRun._fields


class SessionFacts(NamedTuple):
    """What a session contributes besides its runs: identity, shape and stored times."""

    session_id: str
    agent_name: str
    model_provider: str
    model_id: str
    user_id: str
    schema: str
    created_at: float  # NaN when the session has no readable time
    updated_at: float
    distinct_tools: int
    # The latest of updated_at and, for Agno 3, its run documents' updated_at: the version
    # of the session a row reflects (NaN when none is readable).
    source_updated_at: float


class SessionBatch:
    """Builder: the normaliser adds one session at a time with its runs, then `freeze()`
    makes the arrays. Runs and sessions stay aligned because they are added together."""

    def __init__(self):
        self._run_values: List[float] = []  # every run's RUN_FIELDS, one after the other
        self._run_total = 0
        self._run_counts: List[int] = []
        self._sessions: List[SessionFacts] = []

    def __len__(self) -> int:
        return len(self._sessions)

    def add_session(self, facts: SessionFacts, runs: List[Tuple[float, ...]]) -> None:
        """`runs`: each a tuple of RUN_FIELDS' values."""
        for run in runs:
            self._run_values.extend(run)
        self._run_total += len(runs)
        self._run_counts.append(len(runs))
        self._sessions.append(facts)

    @property
    def last_session_runs(self) -> int:
        return self._run_counts[-1]

    def freeze(self) -> "FrozenBatch":
        matrix = np.fromiter(self._run_values, dtype=np.float64,
                             count=len(self._run_values)).reshape(self._run_total, len(RUN_FIELDS))
        arrays = {name: np.ascontiguousarray(matrix[:, index])
                  for index, name in enumerate(RUN_FIELDS)}
        run_count = np.array(self._run_counts, dtype=np.int64)
        # Column-wise: each field of the facts becomes the list of its sessions' values.
        columns: List[list] = ([list(column) for column in zip(*self._sessions)]
                               if self._sessions else [[] for _ in SessionFacts._fields])
        facts: Any = SessionFacts._make(columns)
        return FrozenBatch(
            runs=RunArrays.from_counts(run_count, arrays),
            session_id=facts.session_id,
            agent_name=facts.agent_name,
            model_provider=facts.model_provider,
            model_id=facts.model_id,
            user_id=facts.user_id,
            schema=facts.schema,
            created_at=np.array(facts.created_at, dtype=np.float64),
            updated_at=np.array(facts.updated_at, dtype=np.float64),
            source_updated_at=np.array(facts.source_updated_at, dtype=np.float64),
            distinct_tools=np.array(facts.distinct_tools, dtype=np.float64),
        )


@dataclass
class RunArrays:
    """The runs of S sessions flattened (length R), with the session each run belongs to."""

    in_tokens: np.ndarray
    out_tokens: np.ndarray
    total_tokens: np.ndarray
    time: np.ndarray
    ttft: np.ndarray
    cache: np.ndarray
    reasoning: np.ndarray
    cost: np.ndarray
    tools: np.ndarray
    tool_errors: np.ndarray
    duplicates: np.ndarray
    t: np.ndarray  # UTC epoch seconds, NaN where the run has no time
    failed: np.ndarray  # 0.0 or 1.0
    timeout: np.ndarray  # 0.0 or 1.0
    run_count: np.ndarray  # N per session, length S
    first_run: np.ndarray  # offset of each session's first run, length S
    session_of_run: np.ndarray  # length R

    @classmethod
    def from_counts(cls, run_count: np.ndarray, arrays: dict) -> "RunArrays":
        first_run: np.ndarray = np.zeros(len(run_count), dtype=np.int64)
        if len(run_count) > 1:
            np.cumsum(run_count[:-1], out=first_run[1:])
        session_of_run: np.ndarray = np.repeat(np.arange(len(run_count), dtype=np.int64), run_count)
        return cls(run_count=run_count, first_run=first_run, session_of_run=session_of_run,
                   **arrays)

    @property
    def sessions(self) -> int:
        return len(self.run_count)


@dataclass
class FrozenBatch:
    runs: RunArrays
    session_id: List[str]
    agent_name: List[str]
    model_provider: List[str]
    model_id: List[str]
    user_id: List[str]
    schema: List[str]
    created_at: np.ndarray
    updated_at: np.ndarray
    source_updated_at: np.ndarray
    distinct_tools: np.ndarray

    def __len__(self) -> int:
        return self.runs.sessions
