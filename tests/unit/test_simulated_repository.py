import datetime as dt
from collections import Counter

import bson

from calculators.normalise import detect_shape
from interfaces.values import DateRange, JoinedSession
from repositories.date_filter import in_date_range, sort_key
from repositories.simulated import SimulatedSessionRepository

RANGE = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))


def items(count=400, seed=42, date_field="created_at", date_range=RANGE, **options):
    return list(SimulatedSessionRepository(count, seed, date_field, **options)
                .documents(date_range))


def sessions(count=400, seed=42, date_field="created_at", date_range=RANGE):
    """The session documents, without the Agno 3 runs joined to some of them."""
    return [item.document if isinstance(item, JoinedSession) else item
            for item in items(count, seed, date_field, date_range)]


def shape_and_runs(item):
    if isinstance(item, JoinedSession):
        return detect_shape(item.document, item.run_documents)
    return detect_shape(item)


def encoded(item):
    if isinstance(item, JoinedSession):
        return bson.encode(item.document) + b"".join(map(bson.encode, item.run_documents))
    return bson.encode(item)


def test_same_seed_same_bytes_other_seed_other_sessions():
    first = [encoded(item) for item in items(150)]
    assert first == [encoded(item) for item in items(150)]
    assert first != [encoded(item) for item in items(150, seed=7)]


def test_documents_are_in_range_and_in_date_field_then_id_order():
    for date_field in ("created_at", "updated_at"):
        documents = sessions(300, date_field=date_field)
        assert all(in_date_range(d[date_field], RANGE) for d in documents)
        keys = [sort_key(d[date_field], d["_id"]) for d in documents]
        assert keys == sorted(keys)
        assert len({d["_id"] for d in documents}) == 300


def test_one_day_range_holds_every_session():
    day = DateRange(dt.date(2024, 2, 29), dt.date(2024, 2, 29))
    assert all(in_date_range(d["created_at"], day) for d in sessions(200, date_range=day))


def test_every_shape_and_anomaly_appears():
    made = items(600)
    documents = sessions(600)
    shapes = Counter(shape_and_runs(item)[0] for item in made)
    assert set(shapes) == {"agno_v1", "agno_v1_legacy", "agno_v2", "agno_v3", "empty"}
    assert min(shapes["agno_v2"], shapes["agno_v1"], shapes["agno_v3"]) > 120
    assert shapes["agno_v1_legacy"] > 30
    runs = [r for item in made for r in shape_and_runs(item)[1]]
    assert any(r.get("status") == "ERROR" for r in runs)
    assert any(e.get("event") == "RunError" for r in runs for e in r.get("events", []))
    assert any("timed out" in str(r.get("content", "")) for r in runs)
    tools = [t for r in runs for t in (r.get("tools") or [])]
    assert any(t.get("tool_call_error") for t in tools)
    assert any(len(r.get("tools") or []) > 20 for r in runs)
    assert any(isinstance(r.get("metrics"), dict)
               and isinstance(r["metrics"].get("input_tokens"), str) for r in runs)
    assert any("session_id" not in d for d in documents)


def test_sizes_are_those_of_real_sessions():
    sizes = sorted(len(bson.encode(d)) for d in sessions(400))
    assert 3_000 <= sizes[len(sizes) // 2] <= 12_000


def test_agno3_sessions_hold_no_runs_and_come_with_run_documents_of_every_kind():
    joined = [item for item in items(600) if isinstance(item, JoinedSession)]
    assert len(joined) > 120
    run_documents = [run for item in joined for run in item.run_documents]
    assert all(run["session_id"] == item.document["session_id"]
               for item in joined for run in item.run_documents)
    # team sessions: the team's data, and member runs pointing at the team run
    teams = [item for item in joined if item.document.get("session_type") == "team"]
    assert teams and all("team_data" in item.document for item in teams)
    assert any(run["parent_run_id"] is not None for run in run_documents)
    # half-migrated: stale embedded copies sharing run_ids with the runs collection
    half = [item for item in joined if item.document.get("runs")]
    assert half
    assert any({run["run_id"] for run in item.document["runs"]}
               & {run["run_id"] for run in item.run_documents} for item in half)
    # an Agno 3 session document never embeds runs unless it was migrated
    assert all(not item.document.get("runs") for item in joined
               if item.document.get("session_type") == "team")


def test_without_the_join_agno3_sessions_arrive_without_their_runs():
    made = items(300, join_runs=False)
    assert not any(isinstance(item, JoinedSession) for item in made)
    joined = items(300)
    assert [encoded(i.document if isinstance(i, JoinedSession) else i) for i in joined] == [
        encoded(i) for i in made]
