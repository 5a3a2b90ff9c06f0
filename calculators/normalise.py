"""From a session document to runs: shape detection and the run model of docs/features.md
("How the shapes map to runs").

Each document is read once, in plain Python (the per-document work is dictionary access,
which numpy cannot speed up), and its runs are appended to a `SessionBatch`.
"""

import math
from typing import Mapping, Optional, Sequence, Set, Tuple

from calculators.batch import SessionBatch, SessionFacts
from calculators.metric_values import as_text, first_metric_value, metric_value, tool_call_key
from calculators.run_merge import MergeRejected, collection_runs, merge_runs
from interfaces.values import JoinedSession
from utils.counts import Counts
from utils.timestamps import epoch_seconds

AGNO_V1 = "agno_v1"
AGNO_V1_LEGACY = "agno_v1_legacy"
AGNO_V2 = "agno_v2"
AGNO_V3 = "agno_v3"
EMPTY = "empty"
SHAPES = (AGNO_V1, AGNO_V1_LEGACY, AGNO_V2, AGNO_V3, EMPTY)
# Shapes whose runs are Agno 2.x RunOutput dictionaries (metrics.duration, cost, ...).
_RUN_OUTPUT_SHAPES = (AGNO_V2, AGNO_V3)

MISSING_SESSION_ID = "missing_session_id"
UNREADABLE_TIMESTAMP = "unreadable_timestamp"
RUNS_TRUNCATED = "runs_truncated"
# A session's runs beyond this many are left out (counted as `runs_truncated`), so that one
# document cannot take more memory than a 1/16-DPU job has: MongoDB's 16 MB document limit
# holds at most about 16,000 realistic runs (1 KB and more each), and two million empty
# runs (6 MB of JSON) would otherwise take 1 GB. The features describe the first runs.
MAX_RUNS_PER_SESSION = 50_000

_TIMEOUT_WORDS = ("timeout", "time out", "timed out")
_KEYED = object()
_NAN = math.nan


class RejectedDocument(Exception):
    """A document the job cannot interpret; its reason goes to rejects.jsonl."""


def detect_shape(document: dict, run_documents: Sequence[Mapping] = (),
                 warnings: Optional[Counts] = None) -> Tuple[str, list]:
    """The document's shape and its runs (the contract's shape rules, in this order).

    0. runs found for the session in the runs collection: agno_v3, those runs merged with
       any embedded `runs` as Agno 3 merges them (calculators/run_merge.py);
    1. a top-level `runs` that is not null: agno_v2 (it must be a list);
    2. else `memory` is an object whose `runs` is not null: a list of objects, agno_v1_legacy
       if any element has an object `response`, else agno_v1;
    3. else `runs` holding null: agno_v2 with no runs; `memory.runs` holding null: agno_v1;
    4. else empty.
    """
    if run_documents:
        warnings = Counts() if warnings is None else warnings
        table_runs = collection_runs(run_documents, warnings)
        if table_runs:
            try:
                return AGNO_V3, merge_runs(table_runs, document.get("runs"), warnings)
            except MergeRejected as reason:
                raise RejectedDocument(str(reason)) from None
    runs = document.get("runs")
    if runs is not None:
        if type(runs) is not list:
            raise RejectedDocument("runs is not a list")
        for run in runs:
            if not isinstance(run, dict):
                raise RejectedDocument("a run is not an object")
        return AGNO_V2, runs
    memory = document.get("memory")
    memory_runs = memory.get("runs") if isinstance(memory, dict) else None
    if memory_runs is not None:
        if type(memory_runs) is not list:
            raise RejectedDocument("memory.runs is not a list")
        legacy = False
        for element in memory_runs:
            if not isinstance(element, dict):
                raise RejectedDocument("a run is not an object")
            if not legacy and isinstance(element.get("response"), dict):
                legacy = True
        if legacy:
            return AGNO_V1_LEGACY, [_legacy_run(element) for element in memory_runs]
        return AGNO_V1, memory_runs
    if "runs" in document:
        return AGNO_V2, []
    if isinstance(memory, dict) and "runs" in memory:
        return AGNO_V1, []
    return EMPTY, []


def _legacy_run(element: dict) -> dict:
    response = element.get("response")
    return response if isinstance(response, dict) else {}


def add_session(item, batch: SessionBatch, forced_shape: Optional[str],
                warnings: Counts) -> str:
    """Normalises one session (a document, or a JoinedSession) into `batch`; returns its shape.

    Raises RejectedDocument (and adds nothing) when the document cannot be interpreted or
    its shape is not the forced one.
    """
    run_documents: Sequence[Mapping] = ()
    document = item
    if type(item) is JoinedSession:
        document, run_documents = item.document, item.run_documents
    if not isinstance(document, dict):
        raise RejectedDocument("document is not an object")
    shape, runs = detect_shape(document, run_documents, warnings)
    if len(runs) > MAX_RUNS_PER_SESSION:
        runs = runs[:MAX_RUNS_PER_SESSION]
        warnings.add(RUNS_TRUNCATED)
    if forced_shape is not None and shape != forced_shape:
        raise RejectedDocument("shape {} is not the forced SESSION_SCHEMA {}".format(
            shape, forced_shape))

    tool_names: Set[str] = set()
    is_run_output = shape in _RUN_OUTPUT_SHAPES
    normalised = [normalise_run(run, is_run_output, tool_names, warnings) for run in runs]
    facts = _session_facts(document, shape, runs, tool_names, warnings)
    batch.add_session(facts._replace(source_updated_at=_latest_update(
        facts.updated_at, run_documents)), normalised)
    return shape


def _session_facts(document: dict, shape: str, runs: list, tool_names: set,
                   warnings: Counts) -> SessionFacts:
    """Identity columns (features.md 1-4, 49-50) and the session's stored times."""
    agent_data = _object(document.get("agent_data"))
    team_data = _object(document.get("team_data"))
    agent_provider, agent_model = _model_of(agent_data)
    team_provider, team_model = _model_of(team_data)
    first_run = runs[0] if runs else {}
    last_run = runs[-1] if runs else {}
    return SessionFacts(
        session_id=_session_id(document, warnings),
        agent_name=_first_text(agent_data.get("name"), team_data.get("name"),
                               _object(document.get("workflow_data")).get("name"),
                               first_run.get("agent_name")),
        model_provider=_first_text(agent_provider, team_provider, last_run.get("model_provider")),
        model_id=_first_text(agent_model, team_model, last_run.get("model")),
        user_id=as_text(document.get("user_id")),
        schema=shape,
        created_at=_time(document.get("created_at"), warnings),
        updated_at=_time(document.get("updated_at"), warnings),
        distinct_tools=len(tool_names),
        source_updated_at=_NAN,
    )


def _latest_update(updated_at: float, run_documents: Sequence[Mapping]) -> float:
    """The latest of the session's updated_at and its run documents' (features.md 75). A
    run document's unreadable time is no time; the session's own is counted as ever."""
    latest = updated_at
    for run_document in run_documents:
        if isinstance(run_document, Mapping):
            seconds = epoch_seconds(run_document.get("updated_at"))
            if seconds is not None and not latest >= seconds:  # NaN compares False
                latest = seconds
    return latest


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _model_of(data: dict) -> Tuple[object, object]:
    """(provider, id) of `agent_data` / `team_data`: `model` is an object, or just its id."""
    model = data.get("model")
    if isinstance(model, dict):
        return model.get("provider"), model.get("id")
    return None, model if isinstance(model, str) else None


def normalise_run(run: dict, is_run_output: bool, tool_names: set,
                  warnings: Counts) -> Tuple[float, ...]:
    """One stored run as the run model: its metrics, failure, tool calls and timeout, in
    the order of calculators.batch.NormalisedRun. Adds the run's tool names to
    `tool_names` (for distinct_tools)."""
    metrics = run.get("metrics")
    if not isinstance(metrics, dict):
        metrics = {}
    read_metrics = _run_output_metrics if is_run_output else _run_response_metrics
    in_tokens, out_tokens, time, cache, cost = read_metrics(metrics, warnings)
    total = metric_value(metrics.get("total_tokens"), warnings)
    if not total > 0:
        total = in_tokens + out_tokens
    failed, error_texts = _failure(run)
    tool_count, tool_errors, duplicates = _tool_calls(run.get("tools"), tool_names, error_texts)
    return (
        in_tokens, out_tokens, total, time,
        first_metric_value(metrics.get("time_to_first_token"), warnings), cache,
        metric_value(metrics.get("reasoning_tokens"), warnings), cost,
        tool_count, tool_errors, duplicates, _time(run.get("created_at"), warnings),
        1.0 if failed else 0.0, 1.0 if _mentions_timeout(error_texts) else 0.0)


def _run_output_metrics(metrics: dict, warnings: Counts) -> Tuple[float, ...]:
    """(in, out, time, cache, cost) of an Agno 2.x/3.x RunOutput: plain numbers."""
    return (metric_value(metrics.get("input_tokens"), warnings),
            metric_value(metrics.get("output_tokens"), warnings),
            metric_value(metrics.get("duration"), warnings),
            metric_value(metrics.get("cache_read_tokens"), warnings),
            _recorded(metrics.get("cost"), warnings))


def _run_response_metrics(metrics: dict, warnings: Counts) -> Tuple[float, ...]:
    """(in, out, time, cache, cost) of an Agno 1.x RunResponse: lists per model call, with
    prompt/completion tokens standing in for input/output tokens when those are absent."""
    value = metrics.get("input_tokens")
    in_tokens = metric_value(value if value is not None else metrics.get("prompt_tokens"),
                             warnings)
    value = metrics.get("output_tokens")
    out_tokens = metric_value(value if value is not None else metrics.get("completion_tokens"),
                              warnings)
    return (in_tokens, out_tokens, metric_value(metrics.get("time"), warnings),
            metric_value(metrics.get("cached_tokens"), warnings), _NAN)  # 1.x keeps no cost


def _recorded(value, warnings: Counts) -> float:
    """A metric that may be unknown (cost): NaN when absent or null, else its value."""
    return _NAN if value is None else metric_value(value, warnings)


def _failure(run: dict) -> Tuple[bool, list]:
    """(failed, its error texts): status ERROR (any case) or a RunError event; the texts
    are the events' and the run's content, only when it failed."""
    status = run.get("status")
    failed = type(status) is str and status.upper() == "ERROR"
    error_texts = []
    events = run.get("events")
    if type(events) is list:
        for event in events:
            if isinstance(event, dict) and event.get("event") == "RunError":
                failed = True
                error_texts.append(event.get("content"))
    if not failed:
        return False, []
    error_texts.append(run.get("content"))
    return True, error_texts


def _tool_calls(tools, tool_names: set, error_texts: list) -> Tuple[int, int, int]:
    """(calls, calls with tool_call_error true, repeats of an earlier call in the run).
    A failed call's result joins `error_texts`; its name joins `tool_names`."""
    if type(tools) is not list or not tools:
        return 0, 0, 0
    tool_errors = duplicates = 0
    seen = set()
    # A call can only repeat an earlier call of the same name: the first call of each
    # text name is keyed only once a second call of that name turns up.
    unkeyed_first_call = {}
    for entry in tools:
        if not isinstance(entry, dict):
            continue
        get = entry.get
        if get("tool_call_error") is True:
            tool_errors += 1
            error_texts.append(get("result"))
        name = get("tool_name")
        arguments = get("tool_args")
        if type(name) is str:
            if name not in unkeyed_first_call:
                tool_names.add(name)
                unkeyed_first_call[name] = arguments
                continue
            first = unkeyed_first_call[name]
            if first is not _KEYED:
                seen.add(tool_call_key(name, first))
                unkeyed_first_call[name] = _KEYED
            key = tool_call_key(name, arguments)
        else:
            if name is not None:
                tool_names.add(as_text(name))
            key = tool_call_key(name, arguments)
        if key is None:
            continue  # not comparable as JSON: never a repeat
        if key in seen:
            duplicates += 1
        else:
            seen.add(key)
    return len(tools), tool_errors, duplicates


def _mentions_timeout(error_texts: list) -> bool:
    for text in error_texts:
        if text is not None:
            lowered = as_text(text).lower()
            if "time" in lowered and any(word in lowered for word in _TIMEOUT_WORDS):
                return True
    return False


def _time(value, warnings: Counts) -> float:
    if value is None:
        return _NAN
    seconds = epoch_seconds(value)
    if seconds is None:
        warnings.add(UNREADABLE_TIMESTAMP)
        return _NAN
    return seconds


def _session_id(document: dict, warnings: Counts) -> str:
    session_id = document.get("session_id")
    if session_id is not None:
        return as_text(session_id)
    warnings.add(MISSING_SESSION_ID)
    return as_text(document.get("_id"))


def _first_text(*candidates) -> str:
    for candidate in candidates:
        text = as_text(candidate)
        if text:
            return text
    return ""
