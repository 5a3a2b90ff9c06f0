"""The documents generated from the registries, and the check that they are current:
docs/features.md from the column registry (calculators/columns.py) and the README's
parameter table from the parameter registry (config/parameters.py).

    python -m tooling.docs          # rewrite both (make docs)
    python -m tooling.docs --check  # exit 1 naming what is out of date (make lint)
"""

import os
import sys
from typing import List

from calculators.columns import COLUMNS, GROUPS, LEGACY_COLUMN_COUNT
from config.parameters import PARAMETERS
from services.column_types import STORAGE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEATURES_DOC = os.path.join(ROOT, "docs", "features.md")
README = os.path.join(ROOT, "README.md")
README_BEGIN = "<!-- parameters: generated from config/parameters.py by `make docs` -->"
README_END = "<!-- /parameters -->"


def render_markdown() -> str:
    """docs/features.md: every column with its group, unit and definition, from COLUMNS."""
    lines = [
        "# Dataset columns",
        "",
        "Generated from `calculators/columns.py` by `make docs` (tooling/docs.py); `make lint`",
        "checks it is current.",
        "The contract behind it is the project's feature specification (contract 1.2): one row per session,",
        "these {} columns in this order (the first {} are the legacy training columns).".format(
            len(COLUMNS), LEGACY_COLUMN_COUNT),
        "",
        "Per run r of a session (N runs, in stored order): `in`, `out`, `tot` tokens, `time`",
        "(seconds: 1.x `metrics.time` summed over model calls, 2.x `metrics.duration`), `ttft`,",
        "`cache`, `reason`, `cost` (2.x only), `tools` (entries of `tools`), `tool_err` (entries",
        "with `tool_call_error` true), `dup` (a repeated tool name and arguments within the run),",
        "`t` (run `created_at`, UTC), `failed` (status ERROR or a RunError event), `timeout`",
        "(its error text mentions timeout / time out / timed out). `mean`, `max`, `min`, `std`",
        "(population) are over the runs. A value that is not defined is null (an empty cell): a",
        "mean, max, min, share or standard deviation over no runs, `a / b` when b is 0, a score",
        "built from a null; a flag whose tested value is null is 0. When N = 0 the counts and",
        "sums are 0, the flags 0, and every other numeric column null but 53, 55 and 56, which",
        "follow the session's own times. `UNDEFINED_VALUES=zero` writes nulls as 0 for readers",
        "that cannot take them. Thresholds in CAPITALS are the defaults of the THRESHOLDS",
        "parameter.",
        "",
        "Parquet gives each column the Arrow type below (Athena: `bigint`, `tinyint`, `double`,",
        "`string`, `timestamp`, `date`); *null* says whether the column can hold a null (with",
        "`UNDEFINED_VALUES=zero`, only text and times can).",
        "",
        "| # | column | type | Parquet | null | unit | definition |",
        "|---|---|---|---|---|---|---|",
    ]
    title = None
    number = 0
    for group in GROUPS:
        if group.title != title:
            title = group.title
            lines.append("| | **{}** | | | | | |".format(title))
        for column in group.columns:
            number += 1
            storage = STORAGE[column.name]
            lines.append("| {} | `{}` | {} | {} | {} | {} | {} |".format(
                number, column.name, column.dtype, storage.arrow_type,
                "yes" if storage.nullable else "no", column.unit,
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
        "Text is written exactly as the source holds it: never prefixed, trimmed or rewritten, so",
        "an id joins back to MongoDB. Only what no UTF-8 file can hold changes: lone UTF-16",
        "surrogates and NUL become U+FFFD (warning `replaced_character`). A cell a spreadsheet",
        "would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return)",
        "is counted as the warning `formula_like_text`; `CSV_FORMULA_GUARD=quote` puts a single",
        "quote before such cells, for a file meant for spreadsheets (OWASP's advice against CSV",
        "formula injection), and the manifest's configuration says so.",
        "",
        "## Numbers",
        "",
        "Each column has one type in every file: `integer` and `flag` columns are written as",
        "integers; a `real` column always as a real, with a decimal point or an exponent (`2.0`,",
        "`0.2`, `1e+20`), as the shortest text that reads back to the same double (Python's",
        "`repr`); never NaN or inf.",
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


def render_table() -> str:
    """The README's parameter table."""
    lines = ["| NAME | default | meaning |", "|---|---|---|"]
    for parameter in PARAMETERS:
        lines.append("| `{}` | {} | {} |".format(parameter.name, parameter.default_text,
                                                parameter.meaning.replace("|", "\\|")))
    return "\n".join(lines) + "\n"


def with_table(readme: str) -> str:
    """`readme` with the text between the table's markers replaced by the current table."""
    start = readme.index(README_BEGIN) + len(README_BEGIN)
    end = readme.index(README_END)
    return readme[:start] + "\n" + render_table() + readme[end:]


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _write(path: str, text: str) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(path + ".tmp", path)


def main(arguments: List[str]) -> int:
    wanted = {FEATURES_DOC: render_markdown(), README: with_table(_read(README))}
    if arguments == ["--check"]:
        stale = [path for path, text in wanted.items() if _read(path) != text]
        for path in stale:
            print("{} is out of date: run `make docs`".format(os.path.relpath(path, ROOT)),
                  file=sys.stderr)
        return 1 if stale else 0
    for path, text in wanted.items():
        _write(path, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
