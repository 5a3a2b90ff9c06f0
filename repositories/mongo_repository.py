"""Sessions from a MongoDB collection (MongoDB, Atlas, DocumentDB; FerretDB in tests).

One query: the typed date range on DATE_FIELD, sorted by (DATE_FIELD, _id), streamed in
BATCH_SIZE batches. The projection drops what the features never read (message histories,
session state, memories), which is most of a session's bytes. It is an exclusion, not an
inclusion: excluding `runs.messages` leaves a `runs` that is null, a string or a list of
scalars exactly as stored, so shape detection and rejects are the same as without it.
"""

import logging
from typing import Any, Dict, Iterator, Optional, Tuple

from pymongo import ASCENDING, MongoClient
from pymongo.errors import PyMongoError

from interfaces.abstractions import DateRange, SessionRepository, SourceError, SourceItem
from repositories.date_filter import mongo_date_filter
from utils.secrets import one_line

logger = logging.getLogger(__name__)

# Per-run fields Agno stores that no feature reads (1.x RunResponse, 2.x RunOutput).
_UNREAD_RUN_FIELDS = (
    "messages", "input", "extra_data", "images", "videos", "audio", "response_audio",
    "files", "citations", "reasoning_content", "reasoning_steps", "reasoning_messages",
    "references", "additional_input", "session_state", "member_responses", "formatted_tool_calls",
)
_UNREAD_SESSION_FIELDS = (
    "session_data", "extra_data", "summary", "metadata", "memory.memories", "memory.summaries",
    "memory.messages", "memory.runs.message", "memory.runs.messages",
)


def unread_fields_projection() -> Dict[str, int]:
    """The exclusion projection: every large field the features do not read."""
    paths = list(_UNREAD_SESSION_FIELDS)
    for prefix in ("runs", "memory.runs", "memory.runs.response"):
        paths.extend("{}.{}".format(prefix, name) for name in _UNREAD_RUN_FIELDS
                     if "{}.{}".format(prefix, name) not in paths)
    return {path: 0 for path in paths}


class MongoSessionRepository(SessionRepository):
    def __init__(self, client: MongoClient, database: str, collection: str, date_field: str,
                 batch_size: int, host_label: str, project: bool = True,
                 secrets: Tuple[str, ...] = ()):
        self.client = client
        self.database = database
        self.collection = collection
        self.date_field = date_field
        self.batch_size = batch_size
        self.host_label = host_label
        self.projection: Optional[Dict[str, int]] = unread_fields_projection() if project else None
        self._secrets = secrets

    def describe(self) -> Dict[str, object]:
        return {"type": "mongo", "hosts": self.host_label, "database": self.database,
                "collection": self.collection, "date_field": self.date_field,
                "projection": "exclude-unread-fields" if self.projection else "none"}

    def query(self, date_range: DateRange) -> Dict[str, Any]:
        return mongo_date_filter(self.date_field, date_range)

    def documents(self, date_range: DateRange) -> Iterator[SourceItem]:
        cursor = None
        try:
            cursor = self.client[self.database][self.collection].find(
                self.query(date_range), projection=self.projection,
                sort=[(self.date_field, ASCENDING), ("_id", ASCENDING)],
                batch_size=self.batch_size)
            yield from cursor
        except PyMongoError as exc:
            raise SourceError("MongoDB read from {} ({}.{}) failed: {}: {}".format(
                self.host_label, self.database, self.collection, type(exc).__name__,
                one_line(str(exc), self._secrets))) from None
        finally:
            if cursor is not None:
                cursor.close()

    def close(self) -> None:
        self.client.close()

