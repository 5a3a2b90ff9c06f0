"""Hand-computed expectations for small sessions of every shape and every undefined case.

Each expected value below was worked out on paper from the column definitions of docs/features.md.
"""

import csv
import datetime as dt
import math

import pytest

from calculators.batch import SessionBatch
from calculators.columns import COLUMN_NAMES, FLAG_COLUMNS, NUMERIC_COLUMNS
from calculators.features import compute_features
from calculators.normalise import RejectedDocument, add_session
from config.thresholds import Thresholds
from services.csv_writer import CsvWriter
from tests.support.pipeline import feature_rows
from utils.counts import Counts

DEC_1 = 1733011200  # 2024-12-01T00:00:00Z, a Sunday


def row_of(document, **kwargs):
    warnings = kwargs.pop("warnings", Counts())
    [row] = feature_rows([document], warnings=warnings, **kwargs)
    assert not isinstance(row, RejectedDocument), row
    return row


def assert_values(row, expected):
    """`expected`: a text, a number, or None for null (the row holds NaN)."""
    for name, value in expected.items():
        if value is None:
            assert math.isnan(row[name]), (name, row[name])
        elif isinstance(value, str):
            assert row[name] == value, name
        else:
            assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


V1_SESSION = {
    "_id": "x", "session_id": "s-v1", "user_id": "u1",
    "agent_data": {"name": "Weather Agent", "model": {"id": "gpt-4o", "provider": "OpenAI"}},
    "memory": {"runs": [
        {"metrics": {"input_tokens": [60, 60], "output_tokens": [10, 20],
                     "total_tokens": [70, 80], "time": [1.0, 1.2], "time_to_first_token": [0.4]},
         "created_at": DEC_1, "status": "RUNNING",
         "tools": [{"tool_name": "get_weather", "tool_args": {"city": "Paris", "unit": "C"}},
                   {"tool_name": "get_weather", "tool_args": {"unit": "C", "city": "Paris"},
                    "tool_call_error": True, "result": "Upstream Timed Out"}]},
        {"metrics": {"input_tokens": 600, "output_tokens": 100, "time": 3},
         "created_at": DEC_1 + 60, "status": "ERROR"},
    ]},
    "created_at": DEC_1 + 300,
}


def test_agno_v1_session():
    row = row_of(V1_SESSION)
    assert_values(row, {
        "session_id": "s-v1", "agent_name": "Weather Agent", "model_provider": "OpenAI",
        "model_id": "gpt-4o", "user_id": "u1", "schema": "agno_v1", "total_runs": 2,
        # tot = [150, 700]: the list sums 70 + 80; the second run has no total, so in + out
        "avg_total_tokens": 425, "max_total_tokens": 700,
        "token_explosion_ratio": 700 / 425, "output_explosion_ratio": 100 / 65,
        "token_coefficient_variation": 275 / 425, "token_spike_frequency": 0,
        "max_token_growth_rate": 700 / 150, "explosive_growth_events": 0,
        "extreme_token_flag": 0, "mega_explosion_flag": 0,
        # time = [2.2, 3.0]; the timed-out tool call makes run 1 a timeout though it succeeded
        "avg_execution_time": 2.6, "max_execution_time": 3.0, "timeout_frequency": 0.5,
        "extreme_time_frequency": 0, "execution_time_cv": 0.4 / 2.6,
        "time_explosion_events": 0, "infinite_loop_risk_score": 0.5, "timeout_flag": 1,
        "extreme_duration_flag": 0,
        # tools = [2, 0]; the second call repeats the first with its arguments reordered
        "avg_tool_calls": 1, "max_tool_calls": 2, "total_tool_calls": 2,
        "tool_explosion_ratio": 2, "excessive_tools_frequency": 0,
        "duplicate_tools_score": 0.5, "tool_chaos_score": 0.2, "tool_overuse_flag": 0,
        "tool_explosion_flag": 0,
        # tps = [150 / 2.2, 700 / 3]
        "avg_tokens_per_second": (150 / 2.2 + 700 / 3) / 2,
        "min_tokens_per_second": 150 / 2.2, "max_tokens_per_second": 700 / 3,
        "speed_inconsistency_ratio": (700 / 3) / (150 / 2.2),
        "inconsistent_speed_frequency": 0, "temporal_chaos_score": 0, "speed_anomaly_flag": 0,
        # failed = [no, yes]; errors = [1 tool error, 1 failure]
        "success_rate": 0.5, "failure_rate": 0.5, "max_consecutive_failures": 1,
        "avg_errors_per_run": 1, "total_errors": 2, "degradation_score": 1.0,
        "systematic_failure_flag": 0, "complete_breakdown_flag": 0,
        "session_start": "2024-12-01T00:00:00Z", "session_end": "2024-12-01T00:01:00Z",
        "session_duration_seconds": 60, "date": "2024-12-01", "hour_of_day": 0,
        "day_of_week": 6, "avg_inter_run_gap_seconds": 60, "max_inter_run_gap_seconds": 60,
        "sum_input_tokens": 720, "sum_output_tokens": 130, "sum_total_tokens": 850,
        "avg_input_tokens": 360, "avg_output_tokens": 65, "output_input_ratio": 130 / 720,
        "cache_read_tokens": 0, "reasoning_tokens": 0, "avg_time_to_first_token": 0.4,
        "p95_execution_time": 2.2 + 0.95 * 0.8, "tool_error_count": 1, "tool_error_rate": 0.5,
        "distinct_tools": 1, "failed_runs": 1, "cost": None, "duplicate_tool_calls": 1,
    })


def test_agno_v2_session_with_damaged_values():
    warnings = Counts()
    document = {
        "session_id": "s-v2", "agent_data": {"name": "", "model": "claude"},
        "runs": [
            {"metrics": {"input_tokens": "100", "output_tokens": [50, None], "total_tokens": 0,
                         "duration": 2.0, "cost": 0.25, "cache_read_tokens": 30,
                         "reasoning_tokens": 7, "prompt_tokens": 999},
             "created_at": (DEC_1 + 3600) * 1000, "status": "COMPLETED", "agent_name": "Runner",
             "model_provider": "Anthropic", "model": "ignored-because-agent-data-has-one"},
            {"metrics": {"input_tokens": 1000, "output_tokens": "lots", "duration": 0.5,
                         "time_to_first_token": 0.2, "cost": "0.5"},
             "created_at": dt.datetime(2024, 12, 1, 1, 2, 0), "status": "error",
             "content": "Request timeout", "model_provider": "Anthropic"},
            {"metrics": {"input_tokens": 10, "output_tokens": 10, "duration": 1.5},
             "created_at": "garbage", "events": [{"event": "RunError", "content": "boom"}],
             "model_provider": "Anthropic2"},
        ],
        "created_at": DEC_1, "updated_at": DEC_1 + 99999,
    }
    row = row_of(document, warnings=warnings)
    # tot = [150, 1000, 20]; out = [50, 0, 10]; time = [2.0, 0.5, 1.5]
    assert_values(row, {
        "agent_name": "Runner", "model_provider": "Anthropic2", "model_id": "claude",
        "schema": "agno_v2", "total_runs": 3, "sum_total_tokens": 1170,
        "avg_total_tokens": 390, "max_total_tokens": 1000,
        "output_explosion_ratio": 50 / 20, "max_token_growth_rate": 1000 / 150,
        "explosive_growth_events": 1, "failure_rate": 2 / 3, "success_rate": 1 / 3,
        "max_consecutive_failures": 2, "timeout_frequency": 1 / 3, "timeout_flag": 1,
        # runs[:1] = [ok], runs[1:] = [failed, failed]
        "degradation_score": 1.0, "systematic_failure_flag": 1,
        "cost": 0.75, "cache_read_tokens": 30, "reasoning_tokens": 7,
        "avg_time_to_first_token": 0.2,
        # tps = [75, 2000, 13.33]: 2000 is fast, 13.33 slow
        "min_tokens_per_second": 20 / 1.5, "max_tokens_per_second": 2000,
        "inconsistent_speed_frequency": 2 / 3, "speed_anomaly_flag": 1,
        # the third run has no time: start and end come from the first two runs
        "session_start": "2024-12-01T01:00:00Z", "session_end": "2024-12-01T01:02:00Z",
        "session_duration_seconds": 120, "hour_of_day": 1,
        "avg_inter_run_gap_seconds": 120, "max_inter_run_gap_seconds": 120,
        "time_explosion_events": 1,  # 1.5 > 0.5 * 2
    })
    assert warnings == {"non_numeric_metric": 1, "unreadable_timestamp": 1}


def test_agno_v1_legacy_wraps_runs_and_an_element_without_response_is_an_empty_run():
    document = {
        "session_id": "s-legacy",
        "memory": {"runs": [
            {"message": {"role": "user"}, "response": {
                "metrics": {"prompt_tokens": [40], "completion_tokens": [10], "time": [0.5]},
                "agent_name": "Old Agent", "model": "gpt-3.5", "created_at": DEC_1}},
            {"message": {"role": "user"}},
        ]},
    }
    row = row_of(document)
    assert_values(row, {
        "schema": "agno_v1_legacy", "total_runs": 2, "agent_name": "Old Agent",
        "model_id": "", "sum_input_tokens": 40, "sum_output_tokens": 10,
        "max_total_tokens": 50, "avg_total_tokens": 25, "token_explosion_ratio": 2,
        # tot = [50, 0]: growth is measured over runs with tokens only: K = 1, no rate
        "max_token_growth_rate": None, "p95_execution_time": 0.475, "cost": None,
        "session_start": "2024-12-01T00:00:00Z", "session_end": "2024-12-01T00:00:00Z",
    })


@pytest.mark.parametrize("document, shape", [
    ({"session_id": "a", "runs": None, "created_at": DEC_1}, "agno_v2"),
    ({"session_id": "b", "runs": [], "created_at": DEC_1}, "agno_v2"),
    ({"session_id": "c", "memory": {"runs": None}, "created_at": DEC_1}, "agno_v1"),
    ({"session_id": "d", "memory": {"memories": []}, "created_at": DEC_1}, "empty"),
    ({"session_id": "e", "created_at": DEC_1}, "empty"),
    ({"session_id": "f", "memory": None, "created_at": DEC_1}, "empty"),
])
def test_no_runs_means_null_but_for_counts_sums_flags_and_the_sessions_time(document, shape):
    """Contract 1.2: a mean, max, share or score over no runs is not defined (null); the
    counts and sums are 0, the flags 0, and 53, 55, 56 follow the session's own time."""
    row = row_of(document)
    assert row["schema"] == shape
    zero = {"total_runs", "explosive_growth_events", "time_explosion_events",
            "total_tool_calls", "max_consecutive_failures", "total_errors", "sum_input_tokens",
            "sum_output_tokens", "sum_total_tokens", "cache_read_tokens", "reasoning_tokens",
            "tool_error_count", "distinct_tools", "failed_runs", "duplicate_tool_calls",
            "session_duration_seconds", "hour_of_day"} | set(FLAG_COLUMNS)
    assert {name for name in NUMERIC_COLUMNS if row[name] == 0} == zero
    assert row["day_of_week"] == 6  # 2024-12-01 was a Sunday
    assert all(math.isnan(row[name]) for name in NUMERIC_COLUMNS
               if name not in zero and name != "day_of_week")
    assert row["session_start"] == "2024-12-01T00:00:00Z"
    assert row["session_end"] == "2024-12-01T00:00:00Z"
    assert row["date"] == "2024-12-01"


def test_all_zero_tokens_and_no_timed_runs():
    document = {"session_id": "z", "runs": [{"metrics": {}}, {"metrics": {"input_tokens": 0}}]}
    row = row_of(document)
    assert_values(row, {
        # a ratio over a mean of 0 is not defined; no run has tokens, so none has a speed
        "total_runs": 2, "avg_total_tokens": 0, "token_explosion_ratio": None,
        "output_explosion_ratio": None, "token_coefficient_variation": None,
        "max_token_growth_rate": None, "avg_tokens_per_second": None,
        "min_tokens_per_second": None, "speed_inconsistency_ratio": None,
        "inconsistent_speed_frequency": None, "speed_anomaly_flag": 0,
        "success_rate": 1, "complete_breakdown_flag": 0, "session_start": "",
        "session_end": "", "date": "", "hour_of_day": None, "day_of_week": None,
        "session_duration_seconds": None, "avg_inter_run_gap_seconds": None,
        "cost": None, "avg_time_to_first_token": None,
    })


def test_timed_runs_with_zero_tokens_have_no_speed():
    # A run that produced no tokens (a failed call) has no speed, so M = 0: 34-39 null.
    row = row_of({"runs": [{"metrics": {"duration": 1.0}}, {"metrics": {"duration": 2.0}}]})
    assert_values(row, {"avg_tokens_per_second": None, "min_tokens_per_second": None,
                        "max_tokens_per_second": None, "speed_inconsistency_ratio": None,
                        "inconsistent_speed_frequency": None, "temporal_chaos_score": None,
                        "speed_anomaly_flag": 0})


def test_one_run():
    row = row_of({"session_id": "one", "runs": [
        {"metrics": {"input_tokens": 10, "output_tokens": 5, "duration": 40.0},
         "status": "ERROR", "tools": [{"tool_name": "t"}] * 12}]})
    assert_values(row, {
        # one run with tokens: no growth rate; one run: no degradation (N < 2)
        "token_coefficient_variation": 0, "max_token_growth_rate": None,
        "degradation_score": None, "extreme_time_frequency": 1, "infinite_loop_risk_score": 1,
        "failure_rate": 1, "complete_breakdown_flag": 1, "systematic_failure_flag": 1,
        "excessive_tools_frequency": 1, "tool_chaos_score": 1.1, "duplicate_tool_calls": 11,
        "duplicate_tools_score": 11 / 12, "distinct_tools": 1, "p95_execution_time": 40,
        "total_errors": 1,
    })


def test_tool_entries_that_are_not_objects_count_as_calls_never_repeats():
    row = row_of({"runs": [{"tools": ["x", "x", None, {"tool_name": "a"}, {"tool_name": "a",
                                                                          "tool_args": None}]}]})
    assert_values(row, {"total_tool_calls": 5, "duplicate_tool_calls": 1, "distinct_tools": 1})


def test_session_id_falls_back_to_the_object_id_with_a_warning():
    from bson import ObjectId
    warnings = Counts()
    row = row_of({"_id": ObjectId("0123456789abcdef01234567"), "runs": []}, warnings=warnings)
    assert row["session_id"] == "0123456789abcdef01234567"
    assert warnings == {"missing_session_id": 1}
    warnings = Counts()
    assert row_of({"runs": []}, warnings=warnings)["session_id"] == ""
    assert warnings == {"missing_session_id": 1}


@pytest.mark.parametrize("document, reason", [
    ({"runs": "many"}, "runs is not a list"),
    ({"runs": [{"metrics": {}}, 5]}, "a run is not an object"),
    ({"memory": {"runs": {"a": 1}}}, "memory.runs is not a list"),
    ({"memory": {"runs": [None]}}, "a run is not an object"),
    ("not an object", "document is not an object"),
])
def test_documents_that_cannot_be_interpreted_are_rejected(document, reason):
    [row] = feature_rows([document])
    assert isinstance(row, RejectedDocument)
    assert str(row) == reason


def test_a_forced_schema_rejects_other_shapes():
    rows = feature_rows([V1_SESSION, {"runs": []}], forced_shape="agno_v2")
    assert isinstance(rows[0], RejectedDocument)
    assert rows[1]["schema"] == "agno_v2"


def test_thresholds_override_changes_flags():
    strict = Thresholds(EXTREME_TOKEN_LIMIT=500, TOKEN_SPIKE_MULTIPLIER=1.5)
    row = row_of(V1_SESSION, thresholds=strict)
    assert row["extreme_token_flag"] == 1
    assert row["token_spike_frequency"] == 0.5  # 700 > 425 * 1.5


def test_the_written_row_puts_each_value_at_its_contract_position(tmp_path):
    # positions from the column table of docs/features.md, counted by hand (1-based)
    batch = SessionBatch()
    add_session(V1_SESSION, batch, None, Counts())
    writer = CsvWriter(str(tmp_path / "one.csv"))
    writer.write_batch(compute_features(batch.freeze(), Thresholds(), Counts()))
    writer.commit()
    header, row = list(csv.reader(open(tmp_path / "one.csv", encoding="utf-8")))
    assert header == list(COLUMN_NAMES) and len(row) == len(header)
    expected = {"session_id": "s-v1", "agent_name": "Weather Agent", "total_runs": "2",
                "max_total_tokens": "700.0", "max_execution_time": "3.0", "max_tool_calls": "2",
                "duplicate_tools_score": "0.5", "max_consecutive_failures": "1",
                "total_errors": "2", "user_id": "u1", "schema": "agno_v1",
                "session_start": "2024-12-01T00:00:00Z", "sum_input_tokens": "720.0",
                "failed_runs": "1", "duplicate_tool_calls": "1"}  # 720 = 60 + 60 + 600
    assert {name: row[header.index(name)] for name in expected} == expected


def test_a_signalling_nan_decimal_is_a_non_numeric_metric_not_a_crash():
    from bson.decimal128 import Decimal128

    warnings = Counts()
    row = row_of({"session_id": "d", "runs": [{"metrics": {
        "input_tokens": Decimal128("sNaN"), "output_tokens": Decimal128("12.5"),
        "duration": Decimal128("-NaN")}}]}, warnings=warnings)
    assert_values(row, {"sum_input_tokens": 0, "sum_output_tokens": 12.5,
                        "avg_execution_time": 0})
    assert warnings["non_numeric_metric"] == 2


@pytest.mark.parametrize("text", ["12\x1c", "12\x1f", "\x1e12", "1" * 61_000 + "x",
                                  "1_000", "nan", "\u0661\u0662"])
def test_text_that_float_would_refuse_or_that_is_no_plain_number_counts_zero(text):
    """A metric or time stored as such text is one document's oddity, never a failed run:
    \\x1c-\\x1f match \\s but float() refuses them; a long run of digits and another
    character took time quadratic in its length to refuse."""
    warnings = Counts()
    row = row_of({"session_id": "t", "created_at": text, "runs": [
        {"created_at": DEC_1, "metrics": {"input_tokens": text, "output_tokens": [text, 7],
                                          "duration": 2.0}}]}, warnings=warnings)
    assert_values(row, {"sum_input_tokens": 0, "sum_output_tokens": 7,
                        "avg_execution_time": 2.0, "session_start": "2024-12-01T00:00:00Z"})
    assert warnings == {"non_numeric_metric": 2, "unreadable_timestamp": 1}


def test_runs_beyond_the_cap_are_left_out_and_counted(monkeypatch):
    """Two million empty runs took 1 GB; the cap bounds what one document can cost."""
    from calculators import normalise

    monkeypatch.setattr(normalise, "MAX_RUNS_PER_SESSION", 3)
    warnings = Counts()
    document = {"session_id": "s", "created_at": 1733011200,
                "runs": [{"metrics": {"input_tokens": 10 * (i + 1), "output_tokens": 1,
                                      "total_tokens": 10 * (i + 1) + 1}} for i in range(5)]}
    row = row_of(document, warnings=warnings)
    assert row["total_runs"] == 3 and row["sum_input_tokens"] == 60.0  # the first three
    assert warnings == {"runs_truncated": 1}
