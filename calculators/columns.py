"""The 74 columns of the dataset, in order: the one list the CSV header, docs and tests read.

The definitions are features.md, section 3, word for word in meaning; docs/features.md is
generated from this table (`python -m calculators.columns > docs/features.md`).
"""

from typing import NamedTuple, Tuple


class Column(NamedTuple):
    name: str
    group: str
    kind: str  # text, count, flag, ratio, tokens, seconds, tokens/s, USD, ...
    definition: str


IDENTITY = "Identity"
TOKENS = "Tokens"
TIME = "Execution time"
TOOLS = "Tool calls"
SPEED = "Speed (over the M runs with time_r > 0 and tot_r > 0, tps_r = tot_r / time_r; all 0 when M = 0)"
FAILURES = "Failures"
CONTEXT = "Session context"
SESSION = "Session time, volume and tools"

COLUMNS: Tuple[Column, ...] = (
    Column("session_id", IDENTITY, "text", "`session_id` as text; if absent, `_id` as text; if both are absent, empty (either way a warning `missing_session_id`)"),
    Column("agent_name", IDENTITY, "text", "first non-empty of `agent_data.name`, `team_data.name`, `workflow_data.name`, the first run's `agent_name`; else empty"),
    Column("model_provider", IDENTITY, "text", "first non-empty of `agent_data.model.provider`, `team_data.model.provider`, the last run's `model_provider`; else empty"),
    Column("model_id", IDENTITY, "text", "first non-empty of `agent_data.model.id` (or `agent_data.model` when it is a string), the same in `team_data`, the last run's `model`; else empty"),
    Column("total_runs", IDENTITY, "count", "N, the number of runs"),
    Column("avg_total_tokens", TOKENS, "tokens", "mean(tot)"),
    Column("max_total_tokens", TOKENS, "tokens", "max(tot)"),
    Column("token_explosion_ratio", TOKENS, "ratio", "max(tot) / mean(tot)"),
    Column("output_explosion_ratio", TOKENS, "ratio", "max(out) / mean(out)"),
    Column("token_coefficient_variation", TOKENS, "ratio", "std(tot) / mean(tot), population std"),
    Column("token_spike_frequency", TOKENS, "share of runs", "count(tot_r > mean(tot) * TOKEN_SPIKE_MULTIPLIER) / N"),
    Column("max_token_growth_rate", TOKENS, "ratio", "over the K runs with tot_r > 0 only, in order (g[1..K]): max of g[i] / g[i-1] for i >= 2; 1 when K < 2"),
    Column("explosive_growth_events", TOKENS, "count", "count of those growth rates > EXPLOSIVE_GROWTH_THRESHOLD"),
    Column("extreme_token_flag", TOKENS, "flag", "max(tot) > EXTREME_TOKEN_LIMIT"),
    Column("mega_explosion_flag", TOKENS, "flag", "max(tot) > MEGA_EXPLOSION_LIMIT"),
    Column("avg_execution_time", TIME, "seconds", "mean(time)"),
    Column("max_execution_time", TIME, "seconds", "max(time)"),
    Column("timeout_frequency", TIME, "share of runs", "count(timeout_r) / N"),
    Column("extreme_time_frequency", TIME, "share of runs", "count(time_r > EXTREME_TIME_LIMIT) / N"),
    Column("execution_time_cv", TIME, "ratio", "std(time) / mean(time), population std"),
    Column("time_explosion_events", TIME, "count", "count of i >= 1 with time[i-1] > 0 and time[i] > time[i-1] * TOKEN_SPIKE_MULTIPLIER"),
    Column("infinite_loop_risk_score", TIME, "score", "timeout_frequency + extreme_time_frequency"),
    Column("timeout_flag", TIME, "flag", "any timeout_r"),
    Column("extreme_duration_flag", TIME, "flag", "max(time) > TIMEOUT_LIMIT"),
    Column("avg_tool_calls", TOOLS, "calls", "mean(tools)"),
    Column("max_tool_calls", TOOLS, "calls", "max(tools)"),
    Column("total_tool_calls", TOOLS, "calls", "sum(tools)"),
    Column("tool_explosion_ratio", TOOLS, "ratio", "max(tools) / mean(tools)"),
    Column("excessive_tools_frequency", TOOLS, "share of runs", "count(tools_r > EXCESSIVE_TOOLS_LIMIT) / N"),
    Column("duplicate_tools_score", TOOLS, "share of calls", "sum(dup) / sum(tools)"),
    Column("tool_chaos_score", TOOLS, "score", "excessive_tools_frequency + tool_explosion_ratio / 10"),
    Column("tool_overuse_flag", TOOLS, "flag", "max(tools) > TOOL_OVERUSE_LIMIT"),
    Column("tool_explosion_flag", TOOLS, "flag", "tool_explosion_ratio > EXPLOSIVE_GROWTH_THRESHOLD"),
    Column("avg_tokens_per_second", SPEED, "tokens/s", "mean(tps)"),
    Column("min_tokens_per_second", SPEED, "tokens/s", "min(tps)"),
    Column("max_tokens_per_second", SPEED, "tokens/s", "max(tps)"),
    Column("speed_inconsistency_ratio", SPEED, "ratio", "max(tps) / min(tps)"),
    Column("inconsistent_speed_frequency", SPEED, "share of timed runs", "count(tps_r < SLOW_TOKENS_PER_SECOND or tps_r > FAST_TOKENS_PER_SECOND) / M"),
    Column("temporal_chaos_score", SPEED, "share of timed runs", "inconsistent_speed_frequency"),
    Column("speed_anomaly_flag", SPEED, "flag", "speed_inconsistency_ratio > SPEED_INCONSISTENCY_LIMIT"),
    Column("success_rate", FAILURES, "share of runs", "count(not failed_r) / N"),
    Column("failure_rate", FAILURES, "share of runs", "count(failed_r) / N"),
    Column("max_consecutive_failures", FAILURES, "runs", "longest run of consecutive failed runs"),
    Column("avg_errors_per_run", FAILURES, "errors", "sum(errors) / N, errors_r = tool_err_r + failed_r"),
    Column("total_errors", FAILURES, "errors", "sum(errors)"),
    Column("degradation_score", FAILURES, "difference of shares", "N >= 2: failure rate of runs[N//2:] minus failure rate of runs[:N//2]; else 0"),
    Column("systematic_failure_flag", FAILURES, "flag", "failure_rate > FAILURE_RATE_THRESHOLD"),
    Column("complete_breakdown_flag", FAILURES, "flag", "success_rate < BREAKDOWN_THRESHOLD"),
    Column("user_id", CONTEXT, "text", "`user_id` as text, else empty"),
    Column("schema", CONTEXT, "text", "the detected shape: agno_v1, agno_v1_legacy, agno_v2, agno_v3, or empty (no runs anywhere)"),
    Column("session_start", SESSION, "text", "earliest t_r; if no run has one, the session's `created_at`; ISO 8601 UTC YYYY-MM-DDTHH:MM:SSZ; empty if none"),
    Column("session_end", SESSION, "text", "latest t_r; if none, the session's `updated_at`, else `created_at`; same format"),
    Column("session_duration_seconds", SESSION, "seconds", "session_end - session_start (0 if either is empty)"),
    Column("date", SESSION, "text", "date of session_start, YYYY-MM-DD (empty if none)"),
    Column("hour_of_day", SESSION, "hour", "hour of session_start, 0-23 UTC (0 if none)"),
    Column("day_of_week", SESSION, "weekday", "weekday of session_start, Monday = 0 (0 if none)"),
    Column("avg_inter_run_gap_seconds", SESSION, "seconds", "mean of t[i] - t[i-1] over consecutive runs that both have t"),
    Column("max_inter_run_gap_seconds", SESSION, "seconds", "max of the same gaps (0 if none)"),
    Column("sum_input_tokens", SESSION, "tokens", "sum(in)"),
    Column("sum_output_tokens", SESSION, "tokens", "sum(out)"),
    Column("sum_total_tokens", SESSION, "tokens", "sum(tot)"),
    Column("avg_input_tokens", SESSION, "tokens", "mean(in)"),
    Column("avg_output_tokens", SESSION, "tokens", "mean(out)"),
    Column("output_input_ratio", SESSION, "ratio", "sum(out) / sum(in)"),
    Column("cache_read_tokens", SESSION, "tokens", "sum(cache)"),
    Column("reasoning_tokens", SESSION, "tokens", "sum(reason)"),
    Column("avg_time_to_first_token", SESSION, "seconds", "mean of ttft_r over runs with ttft_r > 0 (0 if none)"),
    Column("p95_execution_time", SESSION, "seconds", "95th percentile of time, linear interpolation (numpy's default)"),
    Column("tool_error_count", SESSION, "calls", "sum(tool_err)"),
    Column("tool_error_rate", SESSION, "share of calls", "sum(tool_err) / sum(tools)"),
    Column("distinct_tools", SESSION, "tools", "number of distinct non-null `tool_name` values (as text) over all runs"),
    Column("failed_runs", SESSION, "runs", "count(failed_r)"),
    Column("cost", SESSION, "USD", "sum(cost)"),
    Column("duplicate_tool_calls", SESSION, "calls", "sum(dup)"),
)

COLUMN_NAMES: Tuple[str, ...] = tuple(column.name for column in COLUMNS)
TEXT_COLUMNS = frozenset(column.name for column in COLUMNS if column.kind == "text")
NUMERIC_COLUMNS: Tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind != "text")
FLAG_COLUMNS = frozenset(column.name for column in COLUMNS if column.kind == "flag")
# The first 48 columns are the ones the existing training code reads, in this order.
LEGACY_COLUMN_COUNT = 48


def render_markdown() -> str:
    """docs/features.md: every column with its group, unit and definition, from COLUMNS."""
    lines = [
        "# Dataset columns",
        "",
        "Generated from `calculators/columns.py` by `make docs`; a test checks it is current.",
        "The contract behind it is the project's feature specification (contract 1.1): one row per session,",
        "these 74 columns in this order (the first {} are the legacy training columns).".format(
            LEGACY_COLUMN_COUNT),
        "",
        "Per run r of a session (N runs, in stored order): `in`, `out`, `tot` tokens, `time`",
        "(seconds: 1.x `metrics.time` summed over model calls, 2.x `metrics.duration`), `ttft`,",
        "`cache`, `reason`, `cost` (2.x only), `tools` (entries of `tools`), `tool_err` (entries",
        "with `tool_call_error` true), `dup` (a repeated tool name and arguments within the run),",
        "`t` (run `created_at`, UTC), `failed` (status ERROR or a RunError event), `timeout`",
        "(its error text mentions timeout / time out / timed out). `mean`, `max`, `min`, `std`",
        "(population) are over the runs; `a / b` is 0 when b is 0; when N = 0 every numeric",
        "column is 0. Thresholds in CAPITALS are the defaults of the THRESHOLDS parameter.",
        "",
        "| # | column | unit | definition |",
        "|---|---|---|---|",
    ]
    group = None
    for number, column in enumerate(COLUMNS, start=1):
        if column.group != group:
            group = column.group
            lines.append("| | **{}** | | |".format(group))
        lines.append("| {} | `{}` | {} | {} |".format(number, column.name, column.kind,
                                                   column.definition.replace("|", "\\|")))
    lines += [
        "",
        "## How the shapes map to runs",
        "",
        "| value | agno_v1 / agno_v1_legacy (`memory.runs`; legacy: each element's `response`) "
        "| agno_v2 (`runs`) / agno_v3 (runs collection) |",
        "|---|---|---|",
        "| in | `metrics.input_tokens`, else `metrics.prompt_tokens` | `metrics.input_tokens` |",
        "| out | `metrics.output_tokens`, else `metrics.completion_tokens` "
        "| `metrics.output_tokens` |",
        "| tot | `metrics.total_tokens` if > 0, else in + out | same |",
        "| time | `metrics.time` | `metrics.duration` |",
        "| ttft | first entry of `metrics.time_to_first_token` | same |",
        "| cache | `metrics.cached_tokens` | `metrics.cache_read_tokens` |",
        "| cost | 0 | `metrics.cost` |",
        "",
        "A list metric counts as the sum of its entries (nulls skipped); a numeric string as its",
        "number; text, objects, booleans, NaN and infinity count 0 and are counted in the",
        "manifest's `non_numeric_metric` warning. Epoch numbers above 10^11 are milliseconds.",
        "",
        "## Agno 3: runs in their own collection",
        "",
        "An Agno 3 session document holds no runs; each run is a document of the runs collection",
        "(`RUNS_COLLECTION`, or a runs file `RUNS_INPUT_PATH`) with the session's `session_id`,",
        "its `run_index`, and the run itself in `run_data` (an Agno 2.x RunOutput, so it maps to",
        "runs like agno_v2). A session with runs there is `agno_v3`, whatever else it holds. Its",
        "runs are merged as Agno 3's own reader merges them (`merge_runs_table_with_legacy_blob`):",
        "",
        "1. the run documents are ordered by (`run_index`, `created_at`), a missing `run_index`",
        "   counting 0; a `run_data` without `status` takes the run document's `status`;",
        "2. a session with no embedded `runs` (missing, null or empty) has exactly those runs;",
        "3. a half-migrated session (Agno's 3.0 migration copies the embedded `runs` into the runs",
        "   collection and leaves the list in place) walks its embedded list in stored order, taking",
        "   the collection's copy of every run whose `run_id` is there (the collection is current,",
        "   the embedded copy may be stale), then appends the collection's runs the list did not",
        "   name. A run without a `run_id` cannot be matched: Agno leaves it out of the merge, so",
        "   does the job, counting the warning `run_without_run_id`.",
        "",
        "A run document whose `run_data` is not an object is skipped with the warning",
        "`unusable_run_document`. Team sessions: the runs of the team's members (run documents",
        "with `parent_run_id` set) are runs of the session like the team's own runs, in the same",
        "(`run_index`, `created_at`) order: their tokens, time and tools are spent by the session.",
        "`agent_name` and the model fall back to `team_data` (and `workflow_data` for the name).",
        "",
        "When half or more of the sessions read have no runs and no runs collection or file was",
        "joined, the job warns that this looks like an Agno 3 database read without its runs",
        "(warning `sessions_without_runs`, in the log, the manifest and the summary).",
        "",
        "## Text cells",
        "",
        "Text is written so that every reader takes it as data: a cell starting with `=`, `+`,",
        "`-`, `@`, a tab or a carriage return gets a single quote before it (OWASP's advice",
        "against CSV formula injection: a spreadsheet would run it), lone UTF-16 surrogates and",
        "NUL become U+FFFD, and a cell is cut at 4,096 characters (Python's `csv` reader stops",
        "at 131,072). Each change is counted in the manifest's warnings: `neutralised_text_cell`,",
        "`replaced_character`, `truncated_text_cell`.",
        "",
        "## Choices where the specification is silent",
        "",
        "- A `session_id` (or `_id`, `user_id`, names) holding null counts as absent.",
        "- `tool_args` holding null counts as missing, i.e. `{}`.",
        "- `session_duration_seconds` and the inter-run gaps use the exact stored times;",
        "  `session_start` / `session_end` are those times floored to whole seconds.",
        "- Error text that is not a string (an object in `content`) is searched as `str()`.",
        "- A time outside years 1-9999 counts as no time (`unreadable_timestamp` warning, as",
        "  for text or objects in a time field).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    text = render_markdown()
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2], encoding="utf-8") as handle:
            if handle.read() != text:
                sys.exit("{} is out of date: run `make docs`".format(sys.argv[2]))
    else:
        sys.stdout.write(text)
