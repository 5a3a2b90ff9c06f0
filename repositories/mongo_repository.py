"""Sessions from a MongoDB collection (MongoDB, Atlas, DocumentDB; FerretDB in tests).

One query: the typed date range on DATE_FIELD, sorted by (DATE_FIELD, _id), streamed in
BATCH_SIZE batches, projected to leave out what no feature reads (repositories/
unread_fields.py). Agno 3 keeps runs in a collection of their own: for each batch of
sessions, one more query fetches their runs (`session_id` `$in` the batch), projected the
same way, so memory is bounded by the batch and not by the runs collection.
"""

import contextlib
import itertools
import json
import logging
import time
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from pymongo import ASCENDING, MongoClient
from pymongo.errors import PyMongoError, ServerSelectionTimeoutError

from config import constants
from config.errors import ConfigError
from interfaces.errors import SourceError
from interfaces.ports import RunsSource, SessionRepository
from interfaces.values import ChangeWindow, SourceItem, TimeWindow
from repositories.date_filter import field_value, in_date_range, mongo_date_filter
from repositories.runs_join import NOT_JOINED, RunsJoin, agno_runs_collection
from repositories.unread_fields import runs_projection, sessions_projection
from utils.secrets import one_line
from utils.timestamps import epoch_seconds

logger = logging.getLogger(__name__)

# Agno's own order for a batch of sessions' runs, then _id so that ties read the same way
# every time (the merge re-orders by run_index and created_at; see calculators/run_merge.py).
RUNS_SORT = [("session_id", ASCENDING), ("run_index", ASCENDING), ("created_at", ASCENDING),
             ("_id", ASCENDING)]


class MongoRunsCollection(RunsSource):
    """An Agno 3 runs collection, queried once per batch of sessions."""

    def __init__(self, repository: "MongoSessionRepository", name: str):
        self.repository = repository
        self.name = name

    def runs_of(self, session_ids: Sequence[str]) -> Iterable[Mapping]:
        repository = self.repository
        started = time.monotonic()
        with repository.read_errors(self.name):
            cursor = repository.database_handle[self.name].find(
                {"session_id": {"$in": list(session_ids)}}, projection=repository.runs_projection,
                sort=RUNS_SORT, batch_size=repository.batch_size)
            try:
                runs = list(cursor)
            finally:
                cursor.close()
        logger.debug("runs_query collection=%s sessions=%d runs=%d seconds=%.3f", self.name,
                     len(session_ids), len(runs), time.monotonic() - started)
        return runs

    def describe(self) -> Dict[str, object]:
        return {"collection": self.name}


class MongoSessionRepository(SessionRepository):
    def __init__(self, client: MongoClient, database: str, collection: str, date_field: str,
                 batch_size: int, host_label: str, project: bool = True,
                 secrets: Tuple[str, ...] = (),
                 runs_collection: str = constants.RUNS_COLLECTION_AUTO,
                 count_total: bool = True, runs_change_field: Optional[str] = None):
        self.client = client
        self.database = database
        self.collection = collection
        self.date_field = date_field
        self.batch_size = batch_size
        self.host_label = host_label
        self.projection: Optional[Dict[str, int]] = sessions_projection() if project else None
        self.runs_projection: Optional[Dict[str, int]] = runs_projection() if project else None
        self.runs_collection = runs_collection
        self._secrets = secrets
        self._join: Optional[RunsJoin] = None
        self.count_total = count_total
        self.runs_change_field = runs_change_field
        self._expected: Optional[int] = None
        self._collections_instead: Optional[List[str]] = None

    @property
    def database_handle(self):
        return self.client[self.database]

    def describe(self) -> Dict[str, object]:
        described: Dict[str, object] = {
            "type": "mongo", "hosts": self.host_label, "database": self.database,
            "collection": self.collection, "date_field": self.date_field,
            "projection": "exclude-unread-fields" if self.projection else "none",
            "runs": self._join.describe() if self._join else dict(
                NOT_JOINED, requested=self.runs_collection)}
        if self._collections_instead is not None:
            described["collection_missing"] = {"collections": self._collections_instead}
        return described

    def query(self, date_range: TimeWindow) -> Dict[str, Any]:
        return mongo_date_filter(self.date_field, date_range)

    def expected_documents(self) -> Optional[int]:
        return self._expected

    def documents(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        logger.debug("sessions_query collection=%s.%s filter=%s sort=[(%s, 1), (_id, 1)] "
                     "projection=%s batch_size=%d", self.database, self.collection,
                     json.dumps(self.query(date_range), default=str), self.date_field,
                     json.dumps(self.projection), self.batch_size)
        self._collections_instead = self._collections_if_missing()
        if self.count_total:
            with self.read_errors(self.collection):
                self._expected = self.database_handle[self.collection].count_documents(
                    self.query(date_range))
            logger.info("sessions_in_range count=%d", self._expected)
        runs_name = self._runs_collection_to_join()
        sessions = self._sessions(date_range)
        if runs_name is None:
            yield from sessions
            return
        if self.runs_change_field is not None:
            by_runs = self._sessions_changed_by_runs(runs_name, date_range)
            if self._expected is not None:
                self._expected += len(by_runs)
            sessions = itertools.chain(sessions, self._sessions_by_id(by_runs, date_range))
        self._join = RunsJoin(MongoRunsCollection(self, runs_name), self.batch_size)
        yield from self._join.joined(sessions)

    def _sessions_changed_by_runs(self, runs_name: str, window: TimeWindow) -> List[str]:
        """Agno 3: the sessions whose run documents changed in the window (a run's status
        can change with no save of its session). A session belongs to the slice that holds
        its runs' latest change in the window, so the slices of a window select it once:
        this slice reads the runs changed from its start to the window's end."""
        if window.start_seconds >= window.end_exclusive_seconds:
            return []
        field = str(self.runs_change_field)
        since = ChangeWindow(int(window.start_seconds), int(window.whole.end_exclusive_seconds))
        latest: Dict[str, float] = {}
        with self.read_errors(runs_name):
            cursor = self.database_handle[runs_name].find(
                mongo_date_filter(field, since), projection={"_id": 0, "session_id": 1,
                                                             field: 1},
                batch_size=max(self.batch_size, 10_000))
            try:
                for run in cursor:
                    session_id, seconds = run.get("session_id"), epoch_seconds(
                        field_value(run, field))
                    if type(session_id) is str and seconds is not None:
                        latest[session_id] = max(seconds, latest.get(session_id, seconds))
            finally:
                cursor.close()
        chosen = sorted(session_id for session_id, seconds in latest.items()
                        if window.start_seconds <= seconds < window.end_exclusive_seconds)
        logger.info("sessions_changed_by_runs collection=%s runs_field=%s count=%d", runs_name,
                    field, len(chosen))
        return chosen

    def _sessions_by_id(self, session_ids: List[str], window: TimeWindow
                        ) -> Iterator[SourceItem]:
        """The sessions of these ids that their own field did not select already."""
        for start in range(0, len(session_ids), self.batch_size):
            chunk = session_ids[start:start + self.batch_size]
            with self.read_errors(self.collection):
                cursor = self.database_handle[self.collection].find(
                    {"session_id": {"$in": chunk}}, projection=self.projection,
                    sort=[("session_id", ASCENDING), ("_id", ASCENDING)],
                    batch_size=self.batch_size)
                try:
                    for document in cursor:
                        if not in_date_range(field_value(document, self.date_field),
                                             window.whole):
                            yield document
                finally:
                    cursor.close()

    def _sessions(self, date_range: TimeWindow) -> Iterator[SourceItem]:
        with self.read_errors(self.collection):
            cursor = self.database_handle[self.collection].find(
                self.query(date_range), projection=self.projection,
                sort=[(self.date_field, ASCENDING), ("_id", ASCENDING)],
                batch_size=self.batch_size)
            try:
                yield from cursor
            finally:
                cursor.close()

    def _collections_if_missing(self) -> Optional[List[str]]:
        """None when COLLECTION_NAME exists; else the database's collections (the first
        20), so that a misspelt name is not mistaken for an empty range."""
        with self.read_errors(self.collection):
            names = self.database_handle.list_collection_names()
        if self.collection in names:
            return None
        found = sorted(name for name in names if not name.startswith("system."))[:20]
        logger.warning("collection_missing collection=%s.%s collections=%s", self.database,
                       self.collection, ",".join(found) or "none")
        return found

    def _runs_collection_to_join(self) -> Optional[str]:
        """RUNS_COLLECTION resolved against the database: the name to join, or None."""
        if self.runs_collection == constants.RUNS_COLLECTION_NONE:
            return None
        automatic = self.runs_collection == constants.RUNS_COLLECTION_AUTO
        name = agno_runs_collection(self.collection) if automatic else self.runs_collection
        with self.read_errors(name):
            exists = bool(self.database_handle.list_collection_names(filter={"name": name}))
        if exists:
            logger.info("runs_collection=%s.%s joined by session_id", self.database, name)
            logger.debug("runs_query filter={session_id: {$in: <%d session ids a batch>}} "
                         "sort=%s projection=%s", self.batch_size,
                         [field for field, _ in RUNS_SORT], json.dumps(self.runs_projection))
            return name
        if automatic:
            logger.info("runs_collection=none (no collection %s.%s: sessions are read with "
                        "their embedded runs only)", self.database, name)
            return None
        raise ConfigError("RUNS_COLLECTION", "an existing collection of database {}, auto or "
                          "none".format(self.database), "no collection {!r}".format(name))

    @contextlib.contextmanager
    def read_errors(self, collection: str) -> Iterator[None]:
        """A driver error as one SourceError line naming host, database and collection."""
        try:
            yield
        except ServerSelectionTimeoutError as exc:
            raise SourceError("MongoDB at {} not reachable (no server answered within {:.0f} s; "
                              "check the host, the network path and TLS): {}".format(
                                  self.host_label, constants.MONGO_SERVER_SELECTION_TIMEOUT_MS
                                  / 1000, one_line(selection_cause(str(exc)), self._secrets))
                              ) from None
        except PyMongoError as exc:
            raise SourceError("MongoDB read from {} ({}.{}) failed: {}: {}".format(
                self.host_label, self.database, collection, type(exc).__name__,
                one_line(str(exc), self._secrets))) from None

    def close(self) -> None:
        self.client.close()



def selection_cause(message: str) -> str:
    """pymongo's server-selection error without the timeouts and topology dump that follow
    its cause ("host:port: [Errno 111] Connection refused (configured timeouts: ...),
    Timeout: 20.0s, Topology Description: <...>")."""
    for marker in (" (configured timeouts", ", Timeout:", ", Topology Description"):
        message = message.split(marker, 1)[0]
    return message
