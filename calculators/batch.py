"""A batch of normalised sessions: every run flattened into arrays, with per-session offsets.

The calculators work on whole batches: numpy over the runs of thousands of sessions at once,
never over one session's handful of numbers.
"""

from dataclasses import dataclass
from typing import List

import numpy as np

# Per-run values, in the order `SessionBatch.runs` stores them (features.md, section 1).
RUN_FIELDS = (
    "in_tokens", "out_tokens", "total_tokens", "time", "ttft", "cache", "reasoning", "cost",
    "tools", "tool_errors", "duplicates", "t", "failed", "timeout",
)


class SessionBatch:
    """Builder: the normaliser appends one session at a time, then `freeze()` makes arrays."""

    def __init__(self):
        self.runs: List[tuple] = []  # one tuple of RUN_FIELDS per run
        self.run_count: List[int] = []
        self.session_id: List[str] = []
        self.agent_name: List[str] = []
        self.model_provider: List[str] = []
        self.model_id: List[str] = []
        self.user_id: List[str] = []
        self.schema: List[str] = []
        self.created_at: List[float] = []  # NaN when the session has no readable time
        self.updated_at: List[float] = []
        self.distinct_tools: List[int] = []

    def __len__(self) -> int:
        return len(self.run_count)

    def freeze(self) -> "FrozenBatch":
        matrix = np.array(self.runs, dtype=np.float64).reshape(len(self.runs), len(RUN_FIELDS))
        arrays = {name: np.ascontiguousarray(matrix[:, index])
                  for index, name in enumerate(RUN_FIELDS)}
        run_count = np.array(self.run_count, dtype=np.int64)
        return FrozenBatch(
            runs=RunArrays.from_counts(run_count, arrays),
            session_id=self.session_id,
            agent_name=self.agent_name,
            model_provider=self.model_provider,
            model_id=self.model_id,
            user_id=self.user_id,
            schema=self.schema,
            created_at=np.array(self.created_at, dtype=np.float64),
            updated_at=np.array(self.updated_at, dtype=np.float64),
            distinct_tools=np.array(self.distinct_tools, dtype=np.float64),
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
        first_run = np.zeros(len(run_count), dtype=np.int64)
        if len(run_count) > 1:
            np.cumsum(run_count[:-1], out=first_run[1:])
        session_of_run = np.repeat(np.arange(len(run_count), dtype=np.int64), run_count)
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
    distinct_tools: np.ndarray

    def __len__(self) -> int:
        return self.runs.sessions
