"""Agno 3 sessions (runs in their own collection), worked out by hand from features.md 1.1.

Every run below has a distinct total token count, so the order and the copy the merge
picks show in the row: `max_token_growth_rate`, `failure_rate` and the sums differ when a
stale copy or a wrong order slips through.
"""

import pytest

from calculators.normalise import RejectedDocument
from interfaces.values import JoinedSession
from tests.support.pipeline import feature_rows
from tests.unit.test_features_handcomputed import DEC_1, assert_values
from utils.counts import Counts


def run_data(run_id, tokens, status="COMPLETED", duration=2.0, **extra):
    return dict({"run_id": run_id, "status": status, "created_at": DEC_1,
                 "metrics": {"input_tokens": tokens - 10, "output_tokens": 10,
                             "total_tokens": tokens, "duration": duration}}, **extra)


def run_document(run_id, tokens, run_index, created_at=DEC_1, **run_fields):
    data = run_data(run_id, tokens, **run_fields)
    return {"run_id": run_id, "session_id": "s3", "run_index": run_index,
            "status": data.get("status"), "created_at": created_at, "run_data": data}


SESSION = {"_id": "x3", "session_id": "s3", "session_type": "agent", "user_id": "u3",
           "agent_data": {"name": "Agent Three", "model": {"id": "gpt-5", "provider": "OpenAI"}},
           "created_at": DEC_1, "updated_at": DEC_1 + 100}


def row_of(document, run_documents, warnings=None, **kwargs):
    [row] = feature_rows([JoinedSession(document, run_documents)],
                         warnings=Counts() if warnings is None else warnings, **kwargs)
    assert not isinstance(row, RejectedDocument), row
    return row


def test_runs_from_the_collection_in_run_index_then_created_at_order():
    # stored out of order; a missing run_index counts 0 and ties go by created_at
    documents = [run_document("c", 400, 2), run_document("b", 200, 1),
                 run_document("a2", 100, None, created_at=DEC_1 + 5),
                 run_document("a1", 50, 0, created_at=DEC_1 + 1)]
    row = row_of(SESSION, documents)
    # tot in order: a1 50, a2 100, b 200, c 400 -> every growth rate is 2
    assert_values(row, {"schema": "agno_v3", "total_runs": 4, "sum_total_tokens": 750,
                        "max_token_growth_rate": 2, "explosive_growth_events": 0,
                        "agent_name": "Agent Three", "model_id": "gpt-5", "user_id": "u3"})


def test_half_migrated_session_takes_the_collection_copy_and_keeps_agnos_order():
    # Embedded (Agno 2 list, stale): r1 still RUNNING with 1 token, r-old only embedded,
    # r2 stale too. Collection: r2 (ERROR, 300), r1 (COMPLETED, 100), r3 (only there, 900).
    embedded = [run_data("r1", 1, status="RUNNING"), run_data("r-old", 30),
                run_data("r2", 2, status="RUNNING")]
    documents = [run_document("r3", 900, 2), run_document("r2", 300, 1, status="ERROR"),
                 run_document("r1", 100, 0)]
    row = row_of(dict(SESSION, runs=embedded), documents)
    # merged: r1 (collection, 100), r-old (embedded, 30), r2 (collection, 300, ERROR), r3 (900)
    assert_values(row, {
        "schema": "agno_v3", "total_runs": 4, "sum_total_tokens": 1330,
        "max_token_growth_rate": 10, "explosive_growth_events": 1,  # 30->300 is 10x > 5
        "failed_runs": 1, "failure_rate": 0.25, "max_consecutive_failures": 1,
        "degradation_score": 0.5,  # failures: first half [0, 0], second half [1, 0]
    })


def test_a_run_data_without_status_takes_the_run_documents_status():
    document = run_document("r1", 100, 0)
    del document["run_data"]["status"]
    document["status"] = "ERROR"
    assert_values(row_of(SESSION, [document]), {"failed_runs": 1, "failure_rate": 1})


def test_runs_without_run_id_are_left_out_of_a_merge_with_a_warning():
    embedded = [run_data("r1", 1), run_data(None, 7)]
    documents = [run_document("r1", 100, 0), run_document(None, 50, 1)]
    warnings = Counts()
    row = row_of(dict(SESSION, runs=embedded), documents, warnings)
    assert_values(row, {"total_runs": 1, "sum_total_tokens": 100})
    assert warnings["run_without_run_id"] == 2
    # with no embedded runs there is nothing to merge: every collection run counts
    assert_values(row_of(SESSION, documents), {"total_runs": 2, "sum_total_tokens": 150})


def test_unusable_run_documents_are_skipped_and_counted():
    warnings = Counts()
    row = row_of(SESSION, [{"session_id": "s3", "run_data": "text"}, run_document("r1", 80, 0)],
                 warnings)
    assert_values(row, {"schema": "agno_v3", "total_runs": 1, "sum_total_tokens": 80})
    assert warnings["unusable_run_document"] == 1
    # only unusable documents: no runs found, so the document's own shape decides
    row = row_of(SESSION, [{"session_id": "s3", "run_data": None}], Counts())
    assert_values(row, {"schema": "empty", "total_runs": 0})


@pytest.mark.parametrize("embedded, reason", [("text", "runs is not a list"),
                                              ([1], "a run is not an object")])
def test_embedded_runs_that_cannot_be_read_reject_the_session(embedded, reason):
    [row] = feature_rows([JoinedSession(dict(SESSION, runs=embedded),
                                        [run_document("r1", 10, 0)])])
    assert isinstance(row, RejectedDocument) and str(row) == reason


def test_team_session_counts_member_runs_and_names_the_team():
    team = {"_id": "t", "session_id": "s3", "session_type": "team", "team_id": "t1",
            "team_data": {"name": "Research Team",
                          "model": {"id": "claude-x", "provider": "Anthropic"}},
            "created_at": DEC_1}
    documents = [run_document("team-1", 1000, 0, duration=10.0),
                 run_document("member-1", 200, 1, duration=1.0, parent_run_id="team-1",
                              agent_name="Research Agent",
                              tools=[{"tool_name": "web_search", "tool_args": {"q": "x"}}]),
                 run_document("member-2", 300, 2, duration=1.0, parent_run_id="team-1",
                              agent_name="Support Agent", status="ERROR")]
    row = row_of(team, documents)
    assert_values(row, {
        "agent_name": "Research Team", "model_provider": "Anthropic", "model_id": "claude-x",
        "total_runs": 3, "sum_total_tokens": 1500, "total_tool_calls": 1, "failed_runs": 1,
        "avg_tokens_per_second": (100 + 200 + 300) / 3, "max_execution_time": 10})


def test_workflow_name_and_a_team_model_given_as_text():
    session = {"session_id": "w", "workflow_data": {"name": "Nightly Flow"},
               "team_data": {"model": "gpt-4.1"}}
    row = row_of(session, [run_document("r", 10, 0, model="run-model")])
    assert_values(row, {"agent_name": "Nightly Flow", "model_id": "gpt-4.1"})


def test_forced_agno_v3_rejects_other_shapes_and_keeps_joined_sessions():
    rows = feature_rows([JoinedSession(SESSION, [run_document("r", 10, 0)]),
                         {"session_id": "old", "runs": []}], forced_shape="agno_v3")
    assert rows[0]["schema"] == "agno_v3"
    assert isinstance(rows[1], RejectedDocument)
    assert "agno_v3" in str(rows[1])


def test_speed_and_growth_skip_runs_without_tokens_between_others():
    # tot = [100, 0, 1000], time = [1, 5, 2]: the failed middle call (time, no tokens) has
    # no speed and neither breaks nor fakes the growth from 100 to 1000
    runs = [run_data("a", 100, duration=1.0),
            {"run_id": "b", "status": "ERROR", "metrics": {"duration": 5.0}},
            run_data("c", 1000, duration=2.0)]
    [row] = feature_rows([{"session_id": "g", "runs": runs}])
    assert_values(row, {
        "max_token_growth_rate": 10, "explosive_growth_events": 1,
        "avg_tokens_per_second": (100 + 500) / 2, "min_tokens_per_second": 100,
        "max_tokens_per_second": 500, "speed_inconsistency_ratio": 5,
        "inconsistent_speed_frequency": 0, "speed_anomaly_flag": 0})


def test_source_updated_at_is_the_latest_update_of_the_session_and_its_run_documents():
    """Column 75: which version of the session a row reflects. Agno 3 upserts each run
    document with its own updated_at, so a run that ended after the session's last save
    moves it; an unreadable run time is no time."""
    later_run = dict(run_document("a", 100, 0), updated_at=DEC_1 + 7200)
    bad_run = dict(run_document("b", 200, 1), updated_at="not a time")
    row = row_of(SESSION, [later_run, bad_run])
    assert row["source_updated_at"] == "2024-12-01T02:00:00Z"
    earlier_run = dict(run_document("a", 100, 0), updated_at=DEC_1 + 50)
    assert row_of(SESSION, [earlier_run])["source_updated_at"] == "2024-12-01T00:01:40Z"
    no_time = {key: value for key, value in SESSION.items() if key != "updated_at"}
    assert row_of(no_time, [run_document("a", 100, 0)])["source_updated_at"] == ""
    # Agno 1 and 2 keep no run documents: the session's own updated_at
    [v2] = feature_rows([dict(SESSION, runs=[run_data("r", 10)], updated_at=DEC_1 + 30)],
                        warnings=Counts())
    assert v2["source_updated_at"] == "2024-12-01T00:00:30Z"


def test_a_run_index_past_a_doubles_range_orders_last_instead_of_failing_the_run():
    documents = [run_document("huge", 400, 10 ** 400), run_document("small", 100, 1),
                 run_document("negative", 50, -(10 ** 400))]
    row = row_of(SESSION, documents)
    # tot in order: negative 50, small 100, huge 400 -> growth rates 2 and 4
    assert_values(row, {"total_runs": 3, "max_token_growth_rate": 4})


def test_a_run_document_whose_session_id_is_not_text_is_left_out_of_the_join():
    """MongoDB's $in matches an array holding the id; Agno writes text. Such a document
    is counted in the join's description and joined to no session."""
    from repositories.runs_join import RunsJoin
    from tests.unit.fakes import FakeRunsSource

    good = run_document("a", 100, 0)
    odd = dict(run_document("b", 200, 1), session_id=["s3"])
    unhashable = dict(run_document("c", 300, 2), session_id={"id": "s3"})
    join = RunsJoin(FakeRunsSource([good, odd, unhashable]), batch_size=10)
    [joined] = list(join.joined([SESSION]))
    assert [run["run_id"] for run in joined.run_documents] == ["a"]
    described = join.describe()
    assert (described["documents_read"], described["documents_without_text_session_id"]) == (
        3, 2)
