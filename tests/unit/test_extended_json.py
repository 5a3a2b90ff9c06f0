"""The fast Extended JSON decoder gives exactly what bson.json_util gives, canonical or relaxed."""

import datetime as dt

import pytest
from bson import json_util

from interfaces.values import JoinedSession
from repositories import extended_json
from repositories.extended_json import JSON_OPTIONS, exclude, split_paths
from repositories.simulated import SimulatedSessionRepository
from repositories.unread_fields import sessions_projection
from tests.support.fuzz import DEC_RANGE, fuzz_documents

MODES = {"canonical": json_util.CANONICAL_JSON_OPTIONS, "relaxed": json_util.RELAXED_JSON_OPTIONS}
EXCLUDED = split_paths(sessions_projection())


def corpus():
    simulated = [i.document if isinstance(i, JoinedSession) else i
                 for i in SimulatedSessionRepository(150, 3).documents(DEC_RANGE)]
    extra = [{"_id": 1, "created_at": dt.datetime(2024, 12, 1, 3), "big": 2 ** 70,
              "neg": -(2 ** 63), "runs": [{"metrics": {"cost": float("nan")}}]}]
    return simulated + list(fuzz_documents(400, 17)) + extra


def typed(value):
    """The value with every type spelt out: Int64(5) and 5 print alike but are not alike."""
    if type(value) is dict:
        return ["dict"] + [(key, typed(item)) for key, item in value.items()]
    if type(value) is list:
        return ["list"] + [typed(item) for item in value]
    return (type(value).__name__, repr(value))


def outcome(decode, text):
    try:
        return typed(decode(text))
    except Exception as error:  # the same failure is the same outcome
        return type(error).__name__


@pytest.mark.parametrize("mode", sorted(MODES))
def test_same_documents_as_json_util(mode):
    def reference(text):
        document = json_util.loads(text, json_options=JSON_OPTIONS)
        if isinstance(document, dict):
            exclude(document, EXCLUDED)
        return document

    for document in corpus():
        try:
            text = json_util.dumps(document, json_options=MODES[mode])
        except (ValueError, OverflowError):
            continue
        assert outcome(lambda t: extended_json.loads(t, EXCLUDED), text) == outcome(
            reference, text), text[:200]


@pytest.mark.parametrize("text", [
    '{"_id": {"$oid": "zz"}}', '{"a": {"$numberInt": 5}}',
    '{"a": {"$oid": "6751e0000000000000000001", "b": 1}}',
    '{"a": {"$date": "2024-12-01T00:00:00Z"}}',
    '{"a": {"$binary": {"base64": "", "subType": "00"}}}', '{"a": {"$numberDecimal": "sNaN"}}',
    '{"a": {"$numberLong": "12"}}', '[1, {"$numberDouble": "NaN"}]', '{"cut', 'NaN',
    '{"a": {"$regex": "x", "$options": ""}}',
    # a "$" in text beside the wrappers, or alone; an escaped one spelling a wrapper
    '{"_id": {"$oid": "6751e0000000000000000001"}, "note": "costs $5"}',
    '{"note": "costs $5"}', '{"note": "$", "a": {"$numberLong": "7"}}',
    '{"_id": {"$oid": "6751e0000000000000000001"}, "a": {"\\u0024numberLong": "7"}}',
])
def test_wrappers_and_errors_as_json_util(text):
    assert outcome(extended_json.loads, text) == outcome(
        lambda t: json_util.loads(t, json_options=JSON_OPTIONS), text)
