"""The ports between the layers: where sessions come from, where Agno 3 runs come from,
and where finished outputs go. Each has two or three methods and nothing else."""

import abc
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from interfaces.values import SourceItem, TimeWindow


class SessionRepository(abc.ABC):
    """Session documents whose DATE_FIELD lies in a date range, in ascending
    (DATE_FIELD, _id) order, exactly as MongoDB would return them."""

    @abc.abstractmethod
    def documents(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        """Streams the documents of the range, or of one slice of it; raises SourceError
        when the source fails, and ReadAgain when what it streamed so far must be thrown
        away and the range asked for again (services/reading.read_window does that)."""

    @abc.abstractmethod
    def describe(self) -> Dict[str, object]:
        """What the source is, for the manifest (never a password)."""

    def close(self) -> None:  # noqa: B027 - optional hook, most sources hold nothing
        """Releases connections; the default has none."""

    def expected_documents(self) -> Optional[int]:
        """How many documents the current read yields, once the source knows (for progress
        lines); None when it does not."""
        return None


class RunsSource(abc.ABC):
    """Agno 3 run documents, found by `session_id` (a runs collection, or a dump of one)."""

    @abc.abstractmethod
    def runs_of(self, session_ids: Sequence[str]) -> Iterable[Mapping]:
        """Every run document whose `session_id` is one of these; raises SourceError."""

    @abc.abstractmethod
    def describe(self) -> Dict[str, object]:
        """Which collection or file this is, for the manifest."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Releases what the source holds (temporary files); the default holds nothing."""


class ObjectStore(abc.ABC):
    """Where finished outputs are published (S3)."""

    # Conditional writes (`replace`) the store could not honour, made without the condition.
    unconditional_writes = 0

    @abc.abstractmethod
    def uri(self, key: str) -> str:
        """The address of `key` in the store."""

    @abc.abstractmethod
    def check(self) -> None:
        """Fails fast, before any work, when the store cannot be reached at all (no
        credentials, no such bucket). Raises PublishError. A later write can still be
        refused: this says nothing about permissions on each key."""

    @abc.abstractmethod
    def fetch(self, key: str) -> Optional[bytes]:
        """The object's content, or None when there is no such object."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Removes `key` if it exists (used to withdraw a stale manifest)."""

    @abc.abstractmethod
    def upload(self, path: str, key: str, content_type: str,
               metadata: Mapping[str, str], sha256: str) -> str:
        """Uploads a local file, verifies it arrived intact, returns its URI.
        Raises PublishError naming the bucket and key."""

    @abc.abstractmethod
    def fetch_versioned(self, key: str) -> Optional[Tuple[bytes, str]]:
        """The object's content and its version tag (the ETag), or None when there is no
        such object."""

    @abc.abstractmethod
    def replace(self, path: str, key: str, content_type: str, metadata: Mapping[str, str],
                sha256: str, expected_version: Optional[str]) -> str:
        """Puts a local file in one request, only if the object is still the version
        `fetch_versioned` gave (`expected_version`), or still absent (None): a conditional
        write where the store supports it. Verifies it like `upload`; returns its URI.
        Raises PublishError, which says so when another writer changed the object."""

    @abc.abstractmethod
    def keys(self, prefix: str) -> List[str]:
        """Every key that starts with `prefix`, in order."""

    @abc.abstractmethod
    def copy(self, source_key: str, key: str, content_type: str,
             metadata: Mapping[str, str], size: int, sha256: str) -> str:
        """Copies an object within the store (server side), verifies the copy's size and
        SHA-256, returns its URI. Raises PublishError."""
