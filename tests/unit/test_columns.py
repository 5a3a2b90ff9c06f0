import os

from calculators.batch import SessionBatch
from calculators.column import FLAG, INTEGER, REAL, TEXT
from calculators.columns import (
    COLUMN_NAMES,
    COLUMNS,
    GROUPS,
    LEGACY_COLUMN_COUNT,
    column_definitions,
)
from calculators.normalise import add_session
from config.thresholds import Thresholds
from tests.support.cli import ROOT
from tests.support.documents import DEC_1, v1_session, v2_session
from utils.counts import Counts

LEGACY_48 = (
    "session_id agent_name model_provider model_id total_runs avg_total_tokens max_total_tokens "
    "token_explosion_ratio output_explosion_ratio token_coefficient_variation "
    "token_spike_frequency max_token_growth_rate explosive_growth_events extreme_token_flag "
    "mega_explosion_flag avg_execution_time max_execution_time timeout_frequency "
    "extreme_time_frequency execution_time_cv time_explosion_events infinite_loop_risk_score "
    "timeout_flag extreme_duration_flag avg_tool_calls max_tool_calls total_tool_calls "
    "tool_explosion_ratio excessive_tools_frequency duplicate_tools_score tool_chaos_score "
    "tool_overuse_flag tool_explosion_flag avg_tokens_per_second min_tokens_per_second "
    "max_tokens_per_second speed_inconsistency_ratio inconsistent_speed_frequency "
    "temporal_chaos_score speed_anomaly_flag success_rate failure_rate max_consecutive_failures "
    "avg_errors_per_run total_errors degradation_score systematic_failure_flag "
    "complete_breakdown_flag").split()


def test_the_first_48_columns_are_the_legacy_ones_in_order():
    assert COLUMN_NAMES[:LEGACY_COLUMN_COUNT] == tuple(LEGACY_48)
    assert len(COLUMN_NAMES) == len(set(COLUMN_NAMES)) > LEGACY_COLUMN_COUNT
    assert all(column.definition for column in COLUMNS)


def test_user_docs_are_generated_from_the_column_table():
    from tooling.docs import render_markdown

    with open(os.path.join(ROOT, "docs", "features.md"), encoding="utf-8") as handle:
        assert handle.read() == render_markdown(), "run `make docs`"


def test_each_calculator_computes_exactly_the_columns_declared_beside_it():
    batch = SessionBatch()
    for document in (v1_session("a", DEC_1), v2_session("b", DEC_1, runs=3), {"runs": []}):
        add_session(document, batch, None, Counts())
    frozen = batch.freeze()
    for group in GROUPS:
        produced = group.calculator(frozen, Thresholds())
        assert set(produced) == {column.name for column in group.columns}, group.title
        assert all(len(values) == 3 for values in produced.values()), group.title


def test_every_column_has_a_type_a_unit_and_a_definition_for_the_manifest():
    definitions = column_definitions()
    assert list(definitions) == list(COLUMN_NAMES)
    assert definitions["schema"]["position"] == 50 and definitions["schema"]["type"] == TEXT
    assert {c.dtype for c in COLUMNS} == {TEXT, INTEGER, REAL, FLAG}
    assert all(c.unit for c in COLUMNS if c.dtype != TEXT)
