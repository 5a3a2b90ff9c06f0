import os

from calculators.columns import COLUMN_NAMES, COLUMNS, LEGACY_COLUMN_COUNT, render_markdown
from tests.support.cli import ROOT

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
    assert len(COLUMN_NAMES) == len(set(COLUMN_NAMES)) == 74
    assert all(column.definition for column in COLUMNS)


def test_user_docs_are_generated_from_the_column_table():
    with open(os.path.join(ROOT, "docs", "features.md"), encoding="utf-8") as handle:
        assert handle.read() == render_markdown(), "run `make docs`"
