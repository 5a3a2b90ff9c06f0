"""A plain, per-session implementation of features.md, written straight from the spec.

It shares no code with the job's calculators: it is the reference the vectorised batch
computation is checked against. Slow on purpose: loops, no numpy except the percentile.
"""

import datetime as dt
import json
import math
import re

import numpy as np

TH = dict(TOKEN_SPIKE_MULTIPLIER=2.0, EXPLOSIVE_GROWTH_THRESHOLD=5.0, EXTREME_TOKEN_LIMIT=50000,
          MEGA_EXPLOSION_LIMIT=100000, EXTREME_TIME_LIMIT=30.0, TIMEOUT_LIMIT=60.0,
          EXCESSIVE_TOOLS_LIMIT=10, TOOL_OVERUSE_LIMIT=20, SPEED_INCONSISTENCY_LIMIT=10.0,
          FAILURE_RATE_THRESHOLD=0.5, BREAKDOWN_THRESHOLD=0.1, SLOW_TOKENS_PER_SECOND=50,
          FAST_TOKENS_PER_SECOND=1000)

# ASCII digits and the ASCII white space float() strips (not \x1c-\x1f, which \s matches).
NUM = re.compile(r"^[ \t\n\r\f\v]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
                 r"[ \t\n\r\f\v]*\Z")


class Reject(Exception):
    pass


def scalar(v, warn):
    if isinstance(v, bool):
        warn.append("non_numeric_metric")
        return 0.0
    if isinstance(v, (int, float)):
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
    elif isinstance(v, str) and NUM.match(v):
        f = float(v)
    else:
        f = math.nan
    if math.isnan(f) or math.isinf(f):
        warn.append("non_numeric_metric")
        return 0.0
    return f


def metric(v, warn):
    if v is None:
        return 0.0
    if isinstance(v, list):
        return sum(scalar(e, warn) for e in v if e is not None)
    return scalar(v, warn)


def first_metric(v, warn):
    if isinstance(v, list):
        for e in v:
            if e is not None:
                return scalar(e, warn)
        return 0.0
    return metric(v, warn)


def to_time(v):
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v.timestamp()
    if isinstance(v, (int, float)) or (isinstance(v, str) and NUM.match(v)):
        try:
            f = float(v)
        except OverflowError:
            return None
        if math.isnan(f) or math.isinf(f):
            return None
        if f > 1e11:
            f /= 1000
        if not -62135596800 <= f <= 253402300799:
            return None
        return f
    return None


def text(v):
    return "" if v is None else (v if isinstance(v, str) else str(v))


def run_order(run_doc):
    index = run_doc.get("run_index")
    if not isinstance(index, (int, float)) or isinstance(index, bool) or index != index:
        index = 0
    created = to_time(run_doc.get("created_at"))
    return (index, created if created is not None else 0)


def merged(doc, run_docs, warn):
    """The contract's shape rule 0 (docs/features.md, "Agno 3"), from the text: Agno 3's
    merge of both run lists."""
    table = []
    for run_doc in sorted(run_docs, key=lambda d: run_order(d) if isinstance(d, dict) else (0, 0)):
        data = run_doc.get("run_data") if isinstance(run_doc, dict) else None
        if not isinstance(data, dict):
            warn.append("unusable_run_document")
            continue
        if data.get("status") is None and run_doc.get("status") is not None:
            data = dict(data, status=run_doc["status"])
        table.append(data)
    if not table:
        return None
    embedded = doc.get("runs")
    if not embedded:
        return table
    if not isinstance(embedded, list) or not all(isinstance(r, dict) for r in embedded):
        raise Reject("runs")
    out, named = [], []
    for run in embedded:
        if run.get("run_id") is None:
            warn.append("run_without_run_id")
            continue
        named.append(run["run_id"])
        copies = [t for t in table if t.get("run_id") == run["run_id"]
                  and type(t.get("run_id")) is type(run["run_id"])]
        out.append(copies[-1] if copies else run)
    for run in table:
        if run.get("run_id") is None:
            warn.append("run_without_run_id")
        elif not any(run["run_id"] == n and type(n) is type(run["run_id"]) for n in named):
            out.append(run)
    return out


def shape_of(doc, run_docs=(), warn=None):
    if run_docs:
        runs = merged(doc, run_docs, [] if warn is None else warn)
        if runs is not None:
            return "agno_v3", runs
    if doc.get("runs") is not None:
        if not isinstance(doc["runs"], list) or not all(isinstance(r, dict) for r in doc["runs"]):
            raise Reject("runs")
        return "agno_v2", doc["runs"]
    mem = doc.get("memory")
    if isinstance(mem, dict) and mem.get("runs") is not None:
        mr = mem["runs"]
        if not isinstance(mr, list) or not all(isinstance(r, dict) for r in mr):
            raise Reject("memory.runs")
        if any(isinstance(e.get("response"), dict) for e in mr):
            return "agno_v1_legacy", [e["response"] if isinstance(e.get("response"), dict) else {}
                                      for e in mr]
        return "agno_v1", mr
    if "runs" in doc:
        return "agno_v2", []
    if isinstance(mem, dict) and "runs" in mem:
        return "agno_v1", []
    return "empty", []


def norm_run(r, v2, warn):
    m = r.get("metrics") if isinstance(r.get("metrics"), dict) else {}
    if v2:
        i, o = metric(m.get("input_tokens"), warn), metric(m.get("output_tokens"), warn)
        time = metric(m.get("duration"), warn)
        cache = metric(m.get("cache_read_tokens"), warn)
        # recorded when metrics holds a cost that is not null (contract 1.2)
        cost = None if m.get("cost") is None else metric(m.get("cost"), warn)
    else:
        i = metric(m.get("input_tokens") if m.get("input_tokens") is not None
                   else m.get("prompt_tokens"), warn)
        o = metric(m.get("output_tokens") if m.get("output_tokens") is not None
                   else m.get("completion_tokens"), warn)
        time = metric(m.get("time"), warn)
        cache = metric(m.get("cached_tokens"), warn)
        cost = None  # Agno 1.x keeps no cost
    total = metric(m.get("total_tokens"), warn)
    tot = total if total > 0 else i + o
    ttft = first_metric(m.get("time_to_first_token"), warn)
    reason = metric(m.get("reasoning_tokens"), warn)
    tools = r.get("tools") if isinstance(r.get("tools"), list) else []
    errs, dups, seen, names, texts = 0, 0, [], set(), []
    for e in tools:
        if not isinstance(e, dict):
            continue
        if e.get("tool_call_error") is True:
            errs += 1
            texts.append(e.get("result"))
        if e.get("tool_name") is not None:
            names.add(text(e.get("tool_name")))
        args = e.get("tool_args")
        key = json.dumps([e.get("tool_name"), {} if args is None else args], sort_keys=True,
                         default=str)
        if key in seen:
            dups += 1
        else:
            seen.append(key)
    events = r.get("events") if isinstance(r.get("events"), list) else []
    run_errors = [ev for ev in events if isinstance(ev, dict) and ev.get("event") == "RunError"]
    status = r.get("status")
    failed = (isinstance(status, str) and status.lower() == "error") or bool(run_errors)
    if failed:
        texts += [r.get("content")] + [ev.get("content") for ev in run_errors]
    timeout = any(w in text(t).lower() for t in texts if t is not None
                  for w in ("timeout", "time out", "timed out"))
    return dict(i=i, o=o, tot=tot, time=time, ttft=ttft, cache=cache, reason=reason, cost=cost,
                tools=len(tools), err=errs, dup=dups, t=to_time(r.get("created_at")),
                failed=failed, timeout=timeout, names=names)


def div(a, b):
    """a / b; None (null: not defined) when b is 0 or a is null."""
    return a / b if b and a is not None else None


def plus(a, b):
    return None if a is None or b is None else a + b


def greater(a, b):
    """A flag: 0 when the tested value is null."""
    return int(a is not None and a > b)


# The counts and sums: 0 when the session has no runs (features.md section 3).
ZERO_WITHOUT_RUNS = (
    "total_runs", "explosive_growth_events", "time_explosion_events", "total_tool_calls",
    "max_consecutive_failures", "total_errors", "sum_input_tokens", "sum_output_tokens",
    "sum_total_tokens", "cache_read_tokens", "reasoning_tokens", "tool_error_count",
    "distinct_tools", "failed_runs", "duplicate_tool_calls")
FLAGS = ("extreme_token_flag", "mega_explosion_flag", "timeout_flag", "extreme_duration_flag",
         "tool_overuse_flag", "tool_explosion_flag", "speed_anomaly_flag",
         "systematic_failure_flag", "complete_breakdown_flag")


def iso(seconds):
    if seconds is None:
        return ""
    return dt.datetime.fromtimestamp(math.floor(seconds), dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def features(doc, th=TH, forced=None, run_docs=()):
    """{column: value} for one document (and its Agno 3 run documents), or raises Reject."""
    if not isinstance(doc, dict):
        raise Reject("not an object")
    warn = []
    shape, raw = shape_of(doc, run_docs, warn)
    if forced and forced != shape:
        raise Reject("forced")
    runs = [norm_run(r, shape in ("agno_v2", "agno_v3"), warn) for r in raw]
    n = len(runs)
    out = {}
    sid = doc.get("session_id")
    out["session_id"] = text(sid) if sid is not None else text(doc.get("_id"))
    ad = doc.get("agent_data") if isinstance(doc.get("agent_data"), dict) else {}
    td = doc.get("team_data") if isinstance(doc.get("team_data"), dict) else {}
    wd = doc.get("workflow_data") if isinstance(doc.get("workflow_data"), dict) else {}
    first = raw[0] if raw else {}
    last = raw[-1] if raw else {}

    def first_nonempty(*vals):
        for v in vals:
            if text(v):
                return text(v)
        return ""

    def provider(data):
        return data["model"].get("provider") if isinstance(data.get("model"), dict) else None

    def model_id(data):
        model = data.get("model")
        return model.get("id") if isinstance(model, dict) else (
            model if isinstance(model, str) else None)
    out["agent_name"] = first_nonempty(ad.get("name"), td.get("name"), wd.get("name"),
                                       first.get("agent_name"))
    out["model_provider"] = first_nonempty(provider(ad), provider(td), last.get("model_provider"))
    out["model_id"] = first_nonempty(model_id(ad), model_id(td), last.get("model"))
    out["user_id"] = text(doc.get("user_id"))
    out["schema"] = shape

    ts = [r["t"] for r in runs if r["t"] is not None]
    created, updated = to_time(doc.get("created_at")), to_time(doc.get("updated_at"))
    start = min(ts) if ts else created
    end = max(ts) if ts else (updated if updated is not None else created)
    out["session_start"] = iso(start)
    out["session_end"] = iso(end)
    out["date"] = iso(start)[:10]
    versions = [updated] + [to_time(rd.get("updated_at")) for rd in run_docs
                            if isinstance(rd, dict)]
    versions = [v for v in versions if v is not None]
    out["source_updated_at"] = iso(max(versions)) if versions else ""
    # A column missing from `num` is null.
    num = {name: 0 for name in ZERO_WITHOUT_RUNS + FLAGS}
    if start is not None and end is not None:
        num["session_duration_seconds"] = end - start
    if start is not None:
        moment = dt.datetime.fromtimestamp(math.floor(start), dt.timezone.utc)
        num["hour_of_day"] = moment.hour
        num["day_of_week"] = moment.weekday()
    if n:
        col = {k: [r[k] for r in runs] for k in runs[0]}
        tot, time, tools, out_tok = col["tot"], col["time"], col["tools"], col["o"]
        mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
        std = lambda xs: math.sqrt(sum((x - mean(xs)) ** 2 for x in xs) / len(xs))  # noqa: E731
        num["total_runs"] = n
        num["avg_total_tokens"] = mean(tot)
        num["max_total_tokens"] = max(tot)
        num["token_explosion_ratio"] = div(max(tot), mean(tot))
        num["output_explosion_ratio"] = div(max(out_tok), mean(out_tok))
        num["token_coefficient_variation"] = div(std(tot), mean(tot))
        num["token_spike_frequency"] = sum(
            1 for x in tot if x > mean(tot) * th["TOKEN_SPIKE_MULTIPLIER"]) / n
        grew = [x for x in tot if x > 0]
        rates = [grew[k] / grew[k - 1] for k in range(1, len(grew))]
        if rates:
            num["max_token_growth_rate"] = max(rates)
        num["explosive_growth_events"] = sum(1 for x in rates
                                             if x > th["EXPLOSIVE_GROWTH_THRESHOLD"])
        num["extreme_token_flag"] = int(max(tot) > th["EXTREME_TOKEN_LIMIT"])
        num["mega_explosion_flag"] = int(max(tot) > th["MEGA_EXPLOSION_LIMIT"])
        num["avg_execution_time"] = mean(time)
        num["max_execution_time"] = max(time)
        num["timeout_frequency"] = sum(col["timeout"]) / n
        num["extreme_time_frequency"] = sum(1 for x in time if x > th["EXTREME_TIME_LIMIT"]) / n
        num["execution_time_cv"] = div(std(time), mean(time))
        num["time_explosion_events"] = sum(
            1 for k in range(1, n)
            if time[k - 1] > 0 and time[k] > time[k - 1] * th["TOKEN_SPIKE_MULTIPLIER"])
        num["infinite_loop_risk_score"] = num["timeout_frequency"] + num["extreme_time_frequency"]
        num["timeout_flag"] = int(any(col["timeout"]))
        num["extreme_duration_flag"] = int(max(time) > th["TIMEOUT_LIMIT"])
        num["avg_tool_calls"] = mean(tools)
        num["max_tool_calls"] = max(tools)
        num["total_tool_calls"] = sum(tools)
        num["tool_explosion_ratio"] = div(max(tools), mean(tools))
        num["excessive_tools_frequency"] = sum(
            1 for x in tools if x > th["EXCESSIVE_TOOLS_LIMIT"]) / n
        num["duplicate_tools_score"] = div(sum(col["dup"]), sum(tools))
        num["tool_chaos_score"] = plus(num["excessive_tools_frequency"],
                                       div(num["tool_explosion_ratio"], 10))
        num["tool_overuse_flag"] = int(max(tools) > th["TOOL_OVERUSE_LIMIT"])
        num["tool_explosion_flag"] = greater(num["tool_explosion_ratio"],
                                             th["EXPLOSIVE_GROWTH_THRESHOLD"])
        tps = [r["tot"] / r["time"] for r in runs if r["time"] > 0 and r["tot"] > 0]
        if tps:
            num["avg_tokens_per_second"] = mean(tps)
            num["min_tokens_per_second"] = min(tps)
            num["max_tokens_per_second"] = max(tps)
            num["speed_inconsistency_ratio"] = div(max(tps), min(tps))
            num["inconsistent_speed_frequency"] = sum(
                1 for x in tps if x < th["SLOW_TOKENS_PER_SECOND"]
                or x > th["FAST_TOKENS_PER_SECOND"]) / len(tps)
            num["temporal_chaos_score"] = num["inconsistent_speed_frequency"]
            num["speed_anomaly_flag"] = greater(num["speed_inconsistency_ratio"],
                                                th["SPEED_INCONSISTENCY_LIMIT"])
        failed = col["failed"]
        num["success_rate"] = sum(1 for f in failed if not f) / n
        num["failure_rate"] = sum(failed) / n
        best = streak = 0
        for f in failed:
            streak = streak + 1 if f else 0
            best = max(best, streak)
        num["max_consecutive_failures"] = best
        errors = [e + (1 if f else 0) for e, f in zip(col["err"], failed)]
        num["avg_errors_per_run"] = sum(errors) / n
        num["total_errors"] = sum(errors)
        if n >= 2:
            h = n // 2
            num["degradation_score"] = sum(failed[h:]) / (n - h) - sum(failed[:h]) / h
        num["systematic_failure_flag"] = int(num["failure_rate"] > th["FAILURE_RATE_THRESHOLD"])
        num["complete_breakdown_flag"] = int(num["success_rate"] < th["BREAKDOWN_THRESHOLD"])
        gaps = [runs[k]["t"] - runs[k - 1]["t"] for k in range(1, n)
                if runs[k]["t"] is not None and runs[k - 1]["t"] is not None]
        if gaps:
            num["avg_inter_run_gap_seconds"] = mean(gaps)
            num["max_inter_run_gap_seconds"] = max(gaps)
        num["sum_input_tokens"] = sum(col["i"])
        num["sum_output_tokens"] = sum(out_tok)
        num["sum_total_tokens"] = sum(tot)
        num["avg_input_tokens"] = mean(col["i"])
        num["avg_output_tokens"] = mean(out_tok)
        num["output_input_ratio"] = div(sum(out_tok), sum(col["i"]))
        num["cache_read_tokens"] = sum(col["cache"])
        num["reasoning_tokens"] = sum(col["reason"])
        ttft = [x for x in col["ttft"] if x > 0]
        if ttft:
            num["avg_time_to_first_token"] = mean(ttft)
        num["p95_execution_time"] = float(np.percentile(time, 95))
        num["tool_error_count"] = sum(col["err"])
        num["tool_error_rate"] = div(sum(col["err"]), sum(tools))
        num["distinct_tools"] = len(set().union(*col["names"]))
        num["failed_runs"] = sum(failed)
        costs = [c for c in col["cost"] if c is not None]
        if costs:
            num["cost"] = sum(costs)
        num["duplicate_tool_calls"] = sum(col["dup"])
    return out, num, warn
