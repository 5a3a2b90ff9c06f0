import datetime as dt
from collections import Counter

import bson

from calculators.normalise import detect_shape
from interfaces.abstractions import DateRange
from repositories.date_filter import in_date_range, sort_key
from repositories.simulated_repository import SimulatedSessionRepository

RANGE = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))


def sessions(count=400, seed=42, date_field="created_at", date_range=RANGE):
    return list(SimulatedSessionRepository(count, seed, date_field).documents(date_range))


def test_same_seed_same_bytes_other_seed_other_sessions():
    first = [bson.encode(d) for d in sessions(150)]
    assert first == [bson.encode(d) for d in sessions(150)]
    assert first != [bson.encode(d) for d in sessions(150, seed=7)]


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
    documents = sessions(600)
    shapes = Counter(detect_shape(d)[0] for d in documents)
    assert set(shapes) == {"agno_v1", "agno_v1_legacy", "agno_v2", "empty"}
    assert shapes["agno_v2"] > 150 and shapes["agno_v1"] > 150 and shapes["agno_v1_legacy"] > 30
    runs = [r for d in documents for r in detect_shape(d)[1]]
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
