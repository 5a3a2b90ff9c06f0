"""Counts by kind: the warnings, shapes and reject reasons a run reports."""

from typing import Dict, Mapping


class Counts(Dict[str, int]):
    """A dict of counts by kind (it serialises and compares as one) with one way to add."""

    def add(self, kind: str, count: int = 1) -> None:
        self[kind] = self.get(kind, 0) + count

    def add_all(self, other: Mapping[str, int]) -> None:
        for kind, count in other.items():
            self.add(kind, count)
