"""Sessions from a JSON Lines file in MongoDB Extended JSON, as `mongoexport` writes it.

The file is read twice: once to decode each line, keep those in the date range and note
their sort key and byte offset; then, in (DATE_FIELD, _id) order, to decode again and
yield. Memory holds one key per selected document, never the documents.
"""

import logging
import os
from typing import Dict, Iterator, List, Optional, Tuple

from bson import json_util

from interfaces.abstractions import (
    DateRange,
    RunsSource,
    SessionRepository,
    SourceError,
    SourceItem,
    UnreadableDocument,
)
from repositories.date_filter import OutsideRange, in_date_range, sort_key
from repositories.runs_join import NOT_JOINED, RunsJoin
from utils.progress import ProgressLog

logger = logging.getLogger(__name__)

_JSON_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED,
                                      tz_aware=False)


class FileSessionRepository(SessionRepository):
    def __init__(self, path: str, date_field: str, runs: Optional[RunsSource] = None,
                 batch_size: int = 1000):
        self.path = path
        self.date_field = date_field
        self._join = RunsJoin(runs, batch_size) if runs is not None else None
        self.skipped: Optional[OutsideRange] = None
        self._expected: Optional[int] = None

    def describe(self) -> Dict[str, object]:
        described = {"type": "file", "path": self.path, "date_field": self.date_field,
                     "runs": self._join.describe() if self._join else NOT_JOINED}
        if self.skipped is not None:
            described["outside_range"] = self.skipped.describe()
        return described

    def documents(self, date_range: DateRange) -> Iterator[SourceItem]:
        if self._join is None:
            return self._sessions(date_range)
        return self._join.joined(self._sessions(date_range))

    def expected_documents(self) -> Optional[int]:
        """Known once the file is scanned (the first pass selects and sorts)."""
        return self._expected

    def close(self) -> None:
        if self._join is not None:
            self._join.source.close()

    def _sessions(self, date_range: DateRange) -> Iterator[SourceItem]:
        selected: List[Tuple[tuple, int]] = []
        skipped = OutsideRange()
        unreadable = 0
        self._expected = None
        try:
            size = os.path.getsize(self.path)
            scan = ProgressLog(logger, "file_scan", "bytes_read", lambda: size)
            with open(self.path, "rb") as handle:
                offset = 0
                for line_number, raw in enumerate(handle, start=1):
                    line_offset, offset = offset, offset + len(raw)
                    scan.step(offset)
                    if not raw.strip():
                        continue
                    document = decode_json_line(raw, line_number)
                    if isinstance(document, UnreadableDocument):
                        unreadable += 1
                        yield document
                        continue
                    value = document.get(self.date_field)
                    if in_date_range(value, date_range):
                        selected.append((sort_key(value, document.get("_id")), line_offset,
                                         line_number))
                    else:
                        skipped.count(value)
                selected.sort(key=lambda entry: entry[0])
                self.skipped = skipped
                self._expected = unreadable + len(selected)
                logger.info("file_scan path=%s selected=%d %s", self.path, len(selected),
                            skipped.log_text())
                for _, line_offset, line_number in selected:
                    handle.seek(line_offset)
                    yield decode_json_line(handle.readline(), line_number)
        except OSError as exc:
            raise SourceError("cannot read INPUT_PATH {}: {}".format(
                self.path, exc.strerror or exc)) from None


def decode_json_line(raw: bytes, line_number: int):
    """One mongoexport line as a document, or an UnreadableDocument saying why not."""
    try:
        # mongoexport writes no byte-order mark, but an editor or a Windows tool may add one.
        text = raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
        document = json_util.loads(text, json_options=_JSON_OPTIONS)
    except UnicodeDecodeError:
        return UnreadableDocument("not UTF-8", line_number)
    except Exception as exc:  # json_util raises ValueError, TypeError, bson errors, ...
        return UnreadableDocument("invalid Extended JSON: {}".format(type(exc).__name__),
                                  line_number)
    if not isinstance(document, dict):
        return UnreadableDocument("not a JSON object", line_number)
    return document
