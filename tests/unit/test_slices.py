"""Slices of a range, and each source read slice by slice against the same source read whole."""

import datetime as dt
import json
import random

import pytest
from bson import ObjectId, json_util

from config.errors import ConfigError
from factories.configuration import load_config
from interfaces.values import DateRange, JoinedSession, SourceReport, UnreadableDocument
from repositories.date_filter import OutsideRange
from repositories.file_repository import (
    FileSessionRepository,
    ScannedFileSlices,
    part_bounds,
    scan_in_parts,
)
from repositories.simulated import SimulatedSessionRepository
from services.column_statistics import ColumnStatistics
from services.conversation_extraction_service import ExtractionStats
from tests.support.documents import DEC_1, v1_session, v2_session
from tests.support.reading import read_all
from utils.counts import Counts

DECEMBER = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))


def test_slices_are_contiguous_half_open_and_cover_the_range_exactly():
    slices = DECEMBER.slices(7)
    assert [s.index for s in slices] == list(range(7))
    assert slices[0].start_seconds == DEC_1
    assert slices[-1].end_exclusive_seconds == DEC_1 + 31 * 86400
    assert all(a.end_exclusive_seconds == b.start_seconds for a, b in zip(slices, slices[1:]))
    widths = {s.end_exclusive_seconds - s.start_seconds for s in slices}
    assert max(widths) - min(widths) <= 1 and all(s.whole is DECEMBER for s in slices)


def test_a_day_is_never_cut_into_more_slices_than_seconds():
    one_day = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 1))
    assert len(one_day.slices(100_000)) == 86400
    assert len(one_day.slices(0)) == 1


def plain(item):
    if isinstance(item, JoinedSession):
        return item.document, list(item.run_documents)
    return item


def test_simulated_slices_give_exactly_the_sessions_of_the_whole_range_in_order():
    whole = [plain(i) for i in SimulatedSessionRepository(2000, 3, batch_size=100)
             .documents(DECEMBER)]
    sliced = [plain(i) for window in DECEMBER.slices(9)
              for i in SimulatedSessionRepository(2000, 3, batch_size=100).documents(window)]
    assert len(whole) == 2000 and sliced == whole
    assert any(isinstance(item, tuple) for item in whole)  # Agno 3 sessions joined


def write_shuffled_dump(path, count=300):
    documents = [v2_session("v2-%d" % i, DEC_1 + i * 7919 % (31 * 86400), runs=2)
                 for i in range(count)]
    documents += [v1_session("v1-%d" % i, (DEC_1 + i * 3600) * 1000) for i in range(40)]
    documents += [v2_session("date-%d" % i, DEC_1, _id=ObjectId()) for i in range(5)]
    for document in documents[-5:]:
        document["created_at"] = dt.datetime(2024, 12, 10, 12)
    documents += [v2_session("late-%d" % i, DEC_1 + 40 * 86400 + i) for i in range(7)]
    random.Random(2).shuffle(documents)
    lines = [json_util.dumps(d) for d in documents]
    for position in (1, 50, 51, 200):
        lines.insert(position, '{"cut": ')
    path.write_text("\ufeff" + "\n\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_part_bounds_start_at_line_starts_and_cover_the_file(tmp_path):
    path = write_shuffled_dump(tmp_path / "d.jsonl")
    content = open(path, "rb").read()
    bounds = part_bounds(path, 4)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(content) and len(bounds) == 4
    assert all(end == start for (_, end), (start, _) in zip(bounds, bounds[1:]))
    assert all(content[start - 1:start] == b"\n" for start, _ in bounds[1:])


@pytest.mark.parametrize("parts", [1, 3, 8])
def test_a_file_scanned_in_parts_and_read_by_slice_is_the_file_read_whole(tmp_path, parts):
    path = write_shuffled_dump(tmp_path / "d.jsonl")
    whole_repository = FileSessionRepository(path, "created_at")
    whole = read_all(whole_repository, DECEMBER)
    scanned = scan_in_parts(path, DECEMBER, "created_at", parts, str(tmp_path), map)
    sliced = [item for window in DECEMBER.slices(5)
              for item in ScannedFileSlices(path, "created_at", scanned).documents(window)]
    unreadable = [item.position for item in whole if isinstance(item, UnreadableDocument)]
    assert unreadable == [3, 101, 103, 401]  # line numbers of the whole file, BOM read
    assert len(whole) == 4 + 345
    # Seconds, milliseconds and dates each sort among their own kind; a slice orders its
    # part of each, so rows of mixed kinds may interleave differently, never differ.
    assert sorted(map(repr, sliced)) == sorted(map(repr, whole))
    assert [d for d in sliced if _kind(d) == "seconds"] == \
        [d for d in whole if _kind(d) == "seconds"]
    outside = OutsideRange()
    for part in scanned:
        outside.add(part.outside)
    assert outside.describe() == whole_repository.describe()["outside_range"]


def _kind(item):
    if isinstance(item, UnreadableDocument):
        return "unreadable"
    value = item["created_at"]
    return "date" if isinstance(value, dt.datetime) else (
        "seconds" if value < 1e11 else "milliseconds")


def test_counts_and_statistics_of_slices_add_up():
    total = ExtractionStats(1, 1, 0, Counts(a=1), Counts(agno_v2=1))
    part = ExtractionStats(3, 2, 1, Counts(a=2, b=1), Counts(agno_v3=2), Counts(bad=1), 1)
    total.add(part)
    assert (total.documents_read, total.rows_written, total.rejected,
            total.sessions_without_runs) == (4, 3, 1, 1)
    assert (total.warnings, total.shapes, total.reject_reasons) == (
        {"a": 3, "b": 1}, {"agno_v2": 1, "agno_v3": 2}, {"bad": 1})
    first, second, empty = ColumnStatistics(), ColumnStatistics(), ColumnStatistics()
    nan = float("nan")
    first.update(columns_with(total_runs=[1.0, 5.0], degradation_score=[0.5, nan]))
    second.update(columns_with(total_runs=[0.0], degradation_score=[nan]))
    first.add(second)
    first.add(empty)
    statistics = first.as_dict()
    assert statistics["total_runs"] == {"nulls": 0, "zeros": 1, "min": 0, "mean": 2.0,
                                        "max": 5, "p1": 0.0, "p5": 0.0, "p25": 0.0,
                                        "p50": 1.0, "p75": 1.0, "p95": 1.0, "p99": 1.0}
    assert statistics["degradation_score"] == dict(
        {"nulls": 2, "zeros": 0, "min": 0.5, "mean": 0.5, "max": 0.5},
        **dict.fromkeys(("p1", "p5", "p25", "p50", "p75", "p95", "p99"), 0.5))


def columns_with(**given):
    """A batch's numeric columns: the given ones, NaN (null) elsewhere."""
    import numpy as np

    from calculators.columns import NUMERIC_COLUMNS

    rows = len(next(iter(given.values())))
    return {name: np.array(given.get(name, [float("nan")] * rows)) for name in NUMERIC_COLUMNS}


def test_the_description_adds_up_the_runs_each_slice_joined():
    slices = [{"type": "mongo", "runs": {"joined": True, "collection": "r",
                                         "documents_read": n, "sessions_with_runs": n // 2}}
              for n in (4, 6)]
    reports = [SourceReport(description) for description in slices]
    merged = SourceReport.merged(reports, {"outside_range": {"documents": 1}})
    assert merged.runs_joined and merged.outside_range == {"documents": 1}
    assert merged.description == {
        "type": "mongo", "runs": {"joined": True, "collection": "r", "documents_read": 10,
                                  "sessions_with_runs": 5},
        "outside_range": {"documents": 1}}
    assert SourceReport.merged([SourceReport({"runs": {"joined": False}})] * 2, {}
                               ).description == {"runs": {"joined": False}}


def test_workers_is_a_number_or_auto(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert load_config(["job", "--WORKERS", "auto"], {}).workers == 4
    assert load_config(["job"], {"WORKERS": "3"}).workers == 3
    assert load_config(["job"], {}).workers == 1
    with pytest.raises(ConfigError) as error:
        load_config(["job", "--WORKERS", "0"], {})
    assert str(error.value) == "WORKERS: 0; expected auto, or a whole number from 1 to 64"


def test_a_configuration_error_survives_the_trip_from_a_worker():
    import pickle

    error = ConfigError("RUNS_COLLECTION", "an existing collection", "no collection 'x'")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.parameter == "RUNS_COLLECTION"
    assert json.dumps(str(copy))
