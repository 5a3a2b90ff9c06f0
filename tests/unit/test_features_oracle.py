"""The vectorised batch computation equals the plain per-session oracle, on generated documents."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculators.columns import COLUMN_NAMES, FLAG_COLUMNS, TEXT_COLUMNS
from calculators.normalise import RejectedDocument
from interfaces.values import JoinedSession
from tests.support import oracle
from tests.support.pipeline import feature_rows

RATE_COLUMNS = {
    "token_spike_frequency", "timeout_frequency", "extreme_time_frequency",
    "excessive_tools_frequency", "duplicate_tools_score", "inconsistent_speed_frequency",
    "temporal_chaos_score", "success_rate", "failure_rate", "tool_error_rate"}

numbers = st.one_of(
    st.integers(min_value=0, max_value=200_000),
    st.floats(min_value=0, max_value=500, allow_nan=False),
)
metric_values = st.one_of(
    st.none(), numbers, st.lists(st.one_of(numbers, st.none()), max_size=4),
    st.sampled_from(["120", " 7.5 ", "abc", "", "1e3", "NaN"]),
    st.just(float("nan")), st.just(float("inf")), st.booleans(), st.just({"x": 1}),
)
timestamps = st.one_of(
    st.none(), st.integers(min_value=1_700_000_000, max_value=1_800_000_000),
    st.integers(min_value=1_700_000_000_000, max_value=1_800_000_000_000),
    st.floats(min_value=1.7e9, max_value=1.8e9), st.just("1733011200"), st.just("yesterday"),
    st.just(True),
)
tool_entries = st.one_of(
    st.fixed_dictionaries({"tool_name": st.sampled_from(["a", "b", None, 3])},
                          optional={"tool_args": st.one_of(
                              st.none(), st.dictionaries(st.sampled_from(["x", "y", "z"]),
                                                         st.integers(0, 2), max_size=3)),
                                    "tool_call_error": st.sampled_from([True, False, "true", 1]),
                                    "result": st.sampled_from(["ok", "Request TIMED OUT", None,
                                                               "time out", 5])}),
    st.just("not a tool"), st.none(),
)
metric_names = st.sampled_from([
    "input_tokens", "output_tokens", "total_tokens", "prompt_tokens", "completion_tokens",
    "time", "duration", "time_to_first_token", "cached_tokens", "cache_read_tokens",
    "reasoning_tokens", "cost"])
runs = st.fixed_dictionaries({}, optional={
    "metrics": st.one_of(st.dictionaries(metric_names, metric_values, max_size=8), st.none(),
                         st.just("bad")),
    "tools": st.one_of(st.lists(tool_entries, max_size=6), st.none(), st.just("x")),
    "status": st.sampled_from(["RUNNING", "COMPLETED", "ERROR", "error", None, 1]),
    "events": st.lists(st.fixed_dictionaries(
        {"event": st.sampled_from(["RunStarted", "RunError"]),
         "content": st.sampled_from(["boom", "Timeout while calling", None])}), max_size=2),
    "content": st.sampled_from(["fine", "connection timed out", None, ["timeout"]]),
    "created_at": timestamps,
    "agent_name": st.sampled_from(["A", "", None]),
    "model": st.sampled_from(["m1", None]),
    "model_provider": st.sampled_from(["P", None, ""]),
    "run_id": st.sampled_from(["r1", "r2", "r3", None, 5]),
})
common = {
    "session_id": st.one_of(st.text(max_size=5), st.integers(0, 9), st.none()),
    "_id": st.sampled_from(["id1", 7]),
    "user_id": st.sampled_from(["u", None, 5]),
    "agent_data": st.one_of(st.none(), st.just("x"), st.fixed_dictionaries({}, optional={
        "name": st.sampled_from(["Agent", "", None]),
        "model": st.one_of(st.just("gpt"), st.none(), st.fixed_dictionaries(
            {}, optional={"id": st.sampled_from(["id", ""]), "provider": st.just("OpenAI")}))})),
    "created_at": timestamps,
    "updated_at": timestamps,
}
v2_documents = st.fixed_dictionaries(
    {"runs": st.one_of(st.lists(runs, max_size=7), st.none())}, optional=common)
v1_documents = st.fixed_dictionaries(
    {"memory": st.fixed_dictionaries({"runs": st.one_of(st.lists(runs, max_size=7), st.none())})},
    optional=common)
legacy_documents = st.fixed_dictionaries(
    {"memory": st.fixed_dictionaries({"runs": st.lists(st.one_of(
        st.fixed_dictionaries({"response": runs}), st.just({}),
        st.fixed_dictionaries({"response": st.just("not a run")})), max_size=5)})},
    optional=common)
broken_documents = st.one_of(
    st.fixed_dictionaries({"runs": st.sampled_from(["x", 5, [1], [None]])}),
    st.fixed_dictionaries({"memory": st.fixed_dictionaries({"runs": st.sampled_from(
        ["x", [3]])})}),
    st.just([1, 2]), st.just("text"), st.fixed_dictionaries({}, optional=common),
)
team_data = {"team_data": st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["Team", ""]),
    "model": st.one_of(st.just("tm"), st.fixed_dictionaries(
        {}, optional={"id": st.sampled_from(["tid", ""]), "provider": st.just("TP")}))})),
    "workflow_data": st.fixed_dictionaries({}, optional={"name": st.sampled_from(["Flow", ""])})}
run_documents = st.lists(st.fixed_dictionaries(
    {"run_data": st.one_of(runs, runs, st.just("not a run"), st.none())},
    optional={"status": st.sampled_from(["COMPLETED", "ERROR", None]),
              "run_index": st.one_of(st.none(), st.integers(0, 3), st.just("2")),
              "created_at": timestamps, "parent_run_id": st.sampled_from([None, "r1"])}),
    max_size=6)
# Agno 3 sessions: no embedded runs, or the stale embedded runs of a half-migrated session
v3_documents = st.tuples(
    st.fixed_dictionaries({}, optional=dict(common, runs=st.one_of(
        st.none(), st.lists(runs, max_size=4), st.just("x"), st.just([3])), **team_data)),
    run_documents)
documents = st.one_of(v2_documents, v1_documents, legacy_documents, broken_documents,
                      v3_documents)


def as_item(document):
    """A generated Agno 3 (session, runs) pair as the repositories hand it over."""
    if isinstance(document, tuple):
        return JoinedSession(*document)
    return document


def oracle_features(document):
    if isinstance(document, tuple):
        return oracle.features(document[0], run_docs=document[1])
    return oracle.features(document)


def close(actual, expected):
    return math.isclose(actual, expected, rel_tol=1e-6, abs_tol=1e-9)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents, min_size=1, max_size=12))
def test_vectorised_batch_equals_the_per_session_oracle(docs):
    rows = feature_rows([as_item(d) for d in docs])
    assert len(rows) == len(docs)  # every document is a row or a reject
    for document, row in zip(docs, rows):
        try:
            text, numeric, _ = oracle_features(document)
        except oracle.Reject:
            assert isinstance(row, RejectedDocument)
            continue
        assert not isinstance(row, RejectedDocument), row
        for name in COLUMN_NAMES:
            if name in TEXT_COLUMNS:
                assert row[name] == text[name], name
                continue
            expected = numeric.get(name)  # missing: null
            if expected is None or not math.isfinite(expected):
                assert math.isnan(row[name]), (name, row[name])  # null, written as empty
            else:
                assert close(row[name], expected), (name, row[name], expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(documents, min_size=1, max_size=12))
def test_no_value_is_infinite_flags_are_binary_and_rates_bounded(docs):
    for row in feature_rows([as_item(d) for d in docs]):
        if isinstance(row, RejectedDocument):
            continue
        for name in COLUMN_NAMES:
            if name in TEXT_COLUMNS:
                assert isinstance(row[name], str)
                continue
            assert not math.isinf(row[name]), name  # a number, or NaN for null
            if name in FLAG_COLUMNS:
                assert row[name] in (0.0, 1.0), name  # a flag is never null
            if name in RATE_COLUMNS and not math.isnan(row[name]):
                assert 0.0 <= row[name] <= 1.0, (name, row[name])


@settings(max_examples=60, deadline=None)
@given(st.lists(documents, min_size=1, max_size=30), st.integers(1, 7))
def test_batch_boundaries_do_not_change_any_value(docs, split):
    docs = [as_item(d) for d in docs]
    whole = feature_rows(docs)
    pieces = []
    for start in range(0, len(docs), split):
        pieces.extend(feature_rows(docs[start:start + split]))
    assert [comparable(r) for r in whole] == [comparable(r) for r in pieces]


def comparable(row):
    """A row with its nulls (NaN, which equals nothing) as None; a reject as its text."""
    if not isinstance(row, dict):
        return str(row)
    return {name: None if isinstance(value, float) and math.isnan(value) else value
            for name, value in row.items()}
