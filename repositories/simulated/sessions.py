"""Generating one simulated session: its runs in the shape its Agno version stores, its
profile's anomalies (repositories/simulated/catalogue.py names every number), and for
Agno 3 its run documents (agent, team with member runs, half-migrated)."""

import random
from typing import List, NamedTuple, Optional, Sequence, Tuple

from bson import ObjectId

from repositories.simulated.catalogue import (
    AGENTS,
    CONTEXT_GROWTH_PER_RUN,
    ERRATIC_FAST,
    ERRATIC_SLOW,
    EXPLOSION_INPUT_TOKENS,
    EXPLOSION_OUTPUT_TOKENS,
    GAP_BETWEEN_RUNS_SECONDS,
    HISTORY_RUNS,
    INPUT_TOKENS_PER_CALL,
    LOOPING_RUN_SECONDS,
    MEAN_EXTRA_RUNS,
    MIN_RUNS_LOOPING_OR_STORM,
    MODEL_CALLS_PER_RUN,
    MODELS,
    OUTPUT_TOKENS_PER_CALL,
    PROFILES,
    SHAPES,
    STORM_TOOL_CALLS,
    SYSTEM_PROMPT,
    TEAMS,
    TOKENS_PER_SECOND,
    TOOL_CALLS_PER_RUN,
    V3_KINDS,
    WORDS,
    sentence,
    weighted,
)


class Plan(NamedTuple):
    """What the evolving world fixes about a session before it is made."""

    profile: str
    shape: str
    session_id: str
    run_times: Sequence[int]


def draw_profile(rng: random.Random) -> str:
    return weighted(rng, [(p.name, p.weight) for p in PROFILES])


def draw_session_id(rng: random.Random) -> str:
    return "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}".format(
        rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
        rng.getrandbits(12), rng.getrandbits(48))


def draw_run_count(rng: random.Random, profile: str) -> int:
    """1 + an exponential count (at least MIN_RUNS_LOOPING_OR_STORM for looping and tool
    storms), none for a session without runs."""
    run_count = 0
    if profile != "no_runs":
        run_count = int(rng.expovariate(1 / MEAN_EXTRA_RUNS)) + 1
    if profile == "slow_or_looping" or profile == "tool_storm":
        run_count = max(run_count, MIN_RUNS_LOOPING_OR_STORM)
    return run_count


class SessionMaker:
    """Makes one session (and its Agno 3 run documents) from its own generator."""

    def __init__(self, rng: random.Random, anchor: int, object_id: ObjectId, date_field: str,
                 shapes: Sequence[Tuple[str, int]] = SHAPES, plan: Optional[Plan] = None):
        """`plan`, when given, fixes the profile, shape, id and run times (the evolving
        world, repositories/simulated/world.py); otherwise `rng` draws them."""
        self.rng = rng
        self.anchor = anchor
        self.object_id = object_id
        self.date_field = date_field
        self.run_times: Optional[List[int]] = None
        if plan is None:
            self.profile = draw_profile(rng)
            self.shape = weighted(rng, shapes)
        else:
            self.profile, self.shape = plan.profile, plan.shape
            self.run_times = list(plan.run_times)
        self.agent_name, tool_names = rng.choice(AGENTS)
        self.tool_names: Sequence[str] = tool_names
        self.provider, self.model, self.model_class = rng.choice(MODELS)
        self.session_id = plan.session_id if plan is not None else draw_session_id(rng)
        self.user_id = "user_{}".format(rng.randint(1, 400))
        self.history: List[List[dict]] = []
        self.agent_id = "agent_{}".format(AGENTS.index((self.agent_name, self.tool_names)))
        self.v3_kind = weighted(rng, V3_KINDS) if self.shape == "agno_v3" else None
        # A team session's team: its name, then its members (empty for other sessions).
        self.team: Tuple[str, ...] = rng.choice(TEAMS) if self.v3_kind == "team" else ()

    def make(self) -> Tuple[dict, List[dict]]:
        rng = self.rng
        v1 = self.shape in ("agno_v1", "agno_v1_legacy")
        if self.run_times is not None:
            run_times = self.run_times
        else:
            run_count = draw_run_count(rng, self.profile)
            # 1.x rewrites the session's created_at on every save (it is the last save);
            # 2.x and 3.x keep the first. Runs sit before or after the anchor accordingly.
            gaps = [rng.uniform(*GAP_BETWEEN_RUNS_SECONDS) for _ in range(run_count)]
            first_run_at = self.anchor - sum(gaps) if v1 else self.anchor
            run_times = []
            moment = first_run_at
            for gap in gaps:
                run_times.append(int(moment))
                moment += gap
        run_count = len(run_times)
        runs = [self._run(position, moment, run_count) for position, moment in enumerate(run_times)]
        last_save = run_times[-1] + 30 if run_times else self.anchor
        document = {
            "_id": self.object_id,
            "session_id": self.session_id,
            "user_id": self.user_id,
            "agent_id": self.agent_id,
            "agent_data": {"name": self.agent_name, "agent_id": self.agent_id,
                           "model": {"id": self.model, "name": self.model_class,
                                     "provider": self.provider}},
        }
        run_documents: List[dict] = []
        if v1:
            document.update({"team_session_id": None, "workflow_session_id": None,
                             "session_data": {"session_metrics": {}}, "extra_data": None})
            if self.shape == "agno_v1_legacy":
                runs = [{"message": {"role": "user", "content": sentence(rng, 8)},
                         "messages": [], "response": run} for run in runs]
            document["memory"] = {"runs": runs, "memories": [], "summaries": []}
            document["created_at"] = self.anchor
            document["updated_at"] = self.anchor
            document["_version"] = 1
        else:
            document.update({"session_type": "agent", "session_data": {"session_state": {}},
                             "summary": None, "metadata": None, "runs": runs,
                             "created_at": self.anchor, "updated_at": max(last_save, self.anchor)})
            if self.shape == "agno_v3":
                run_documents = self._agno3(document, runs)
        if self.profile == "no_runs":
            self._strip_runs(document)
            run_documents = []
        if self.profile == "damaged":
            self._damage(document, [run_document["run_data"] for run_document in run_documents])
        document[self.date_field] = self.anchor
        return document, run_documents

    def _agno3(self, document: dict, runs: List[dict]) -> List[dict]:
        """Turns a 2.x session into Agno 3's two collections; returns its run documents."""
        rng = self.rng
        del document["runs"]
        if self.v3_kind == "team":
            team_id = "team_{}".format(TEAMS.index(self.team))
            for key in ("agent_id", "agent_data"):
                del document[key]
            document.update(session_type="team", team_id=team_id, team_data={
                "name": self.team[0], "team_id": team_id,
                "model": {"id": self.model, "name": self.model_class, "provider": self.provider}})
            runs = self._with_member_runs(runs, team_id)
        run_documents = [self._run_document(index, run) for index, run in enumerate(runs)]
        if self.v3_kind == "half_migrated" and runs:
            # Agno's 3.0 migration copied the embedded runs into the runs collection and left
            # the list behind: copies frozen as they were (still running, fewer tokens), and
            # a run the migration never copied.
            embedded = [dict(run, status="RUNNING", metrics=dict(
                run.get("metrics") or {}, output_tokens=0, total_tokens=0))
                for run in runs[:max(1, len(runs) - rng.randint(0, 2))]]
            if rng.random() < 0.5:
                embedded.insert(0, self._v2_run(
                    runs[0]["created_at"] - 60, [rng.randint(300, 900)], [rng.randint(20, 200)],
                    [round(rng.uniform(0.5, 4.0), 3)], False))
            document["runs"] = embedded
        return run_documents

    def _with_member_runs(self, team_runs: List[dict], team_id: str) -> List[dict]:
        """A team's runs, each followed by the runs its members made for it."""
        rng = self.rng
        runs = []
        for team_run in team_runs:
            for key in ("agent_id", "agent_name"):
                team_run.pop(key, None)
            team_run.update(team_id=team_id, team_name=self.team[0])
            runs.append(team_run)
            for offset, member in enumerate(rng.sample(self.team[1:], rng.randint(1, 2))):
                tokens_in, tokens_out = rng.randint(200, 1500), rng.randint(20, 400)
                member_run = self._v2_run(
                    team_run["created_at"] + 1 + offset, [tokens_in], [tokens_out],
                    [round((tokens_in + tokens_out) / rng.uniform(60, 400), 3)],
                    rng.random() < 0.05)
                member_run.update(agent_name=member, parent_run_id=team_run["run_id"],
                                  agent_id="agent_{}".format(member.split()[0].lower()))
                member_run["tools"] = [self._tool_call(0)] if rng.random() < 0.5 else []
                runs.append(member_run)
        return runs

    def _run_document(self, run_index: int, run: dict) -> dict:
        """One document of Agno 3's runs collection (agno.db.utils.build_single_run_row)."""
        team = self.v3_kind == "team"
        member = run.get("parent_run_id") is not None
        return {
            "_id": ObjectId(self.rng.getrandbits(96).to_bytes(12, "big")),
            "run_id": run["run_id"], "session_id": self.session_id,
            "run_type": "team" if team and not member else "agent",
            "agent_id": run.get("agent_id"), "team_id": run.get("team_id"),
            "workflow_id": None, "user_id": self.user_id,
            "parent_run_id": run.get("parent_run_id"), "status": run["status"],
            "run_index": run_index, "run_data": run,
            "created_at": run["created_at"], "updated_at": run["created_at"] + 30,
        }

    def _run(self, position: int, created_at: int, run_count: int) -> dict:
        rng = self.rng
        profile = self.profile
        calls = rng.randint(*MODEL_CALLS_PER_RUN)
        input_tokens = [rng.randint(*INPUT_TOKENS_PER_CALL) + CONTEXT_GROWTH_PER_RUN * position
                        for _ in range(calls)]
        output_tokens = [rng.randint(*OUTPUT_TOKENS_PER_CALL) for _ in range(calls)]
        if profile == "token_explosion" and position == run_count - 1:
            input_tokens[-1] = rng.randint(*EXPLOSION_INPUT_TOKENS)
            output_tokens[-1] = rng.randint(*EXPLOSION_OUTPUT_TOKENS)
        speed = rng.uniform(*TOKENS_PER_SECOND)
        if profile == "erratic_speed":
            speed = rng.choice((rng.uniform(*ERRATIC_SLOW), rng.uniform(*ERRATIC_FAST), speed))
        times = [round((i + o) / speed, 3) for i, o in zip(input_tokens, output_tokens)]
        if profile == "slow_or_looping" and rng.random() < 0.6:
            times[-1] = round(rng.uniform(*LOOPING_RUN_SECONDS), 3)
        tools = self._tools(position)
        failed = profile == "failing" and (position >= run_count // 2 or rng.random() < 0.3)
        timed_out = failed and rng.random() < 0.4 or (
            profile == "slow_or_looping" and times[-1] > 60)
        if self.shape in ("agno_v2", "agno_v3"):
            run = self._v2_run(created_at, input_tokens, output_tokens, times, failed)
        else:
            run = self._v1_run(created_at, input_tokens, output_tokens, times, failed)
        run["tools"] = tools
        if timed_out:
            if failed:
                run["content"] = "Error: request timed out after 60 seconds"
            else:
                tools.append(self._tool_call(len(tools), error="Tool execution timeout"))
        if failed and self.shape in ("agno_v1", "agno_v1_legacy") and rng.random() < 0.5:
            run.setdefault("events", []).append(
                {"event": "RunError", "content": run["content"], "created_at": created_at})
        return run

    def _messages(self, created_at: int) -> List[dict]:
        """System prompt, the last HISTORY_RUNS exchanges again, then this run's exchange."""
        rng = self.rng
        exchange = [{"role": "user", "content": sentence(rng, rng.randint(5, 15)),
                     "created_at": created_at},
                    {"role": "assistant", "content": sentence(rng, rng.randint(10, 40)),
                     "created_at": created_at}]
        messages = [{"role": "system", "content": SYSTEM_PROMPT, "created_at": created_at}]
        for previous in self.history[-HISTORY_RUNS:]:
            messages.extend(dict(message, from_history=True) for message in previous)
        messages.extend(exchange)
        self.history.append(exchange)
        return messages

    def _v1_run(self, created_at, input_tokens, output_tokens, times, failed) -> dict:
        rng = self.rng
        metrics = {
            "input_tokens": input_tokens, "output_tokens": output_tokens,
            "total_tokens": [i + o for i, o in zip(input_tokens, output_tokens)],
            "prompt_tokens": input_tokens if rng.random() < 0.7 else [0] * len(input_tokens),
            "completion_tokens": output_tokens if rng.random() < 0.7 else [0] * len(output_tokens),
            "cached_tokens": [rng.choice((0, 0, 128, 256)) for _ in input_tokens],
            "reasoning_tokens": [0 for _ in input_tokens],
            "time": times, "time_to_first_token": [round(times[0] * 0.3, 3)],
        }
        return {
            "run_id": "{:032x}".format(rng.getrandbits(128)), "agent_id": self.agent_id,
            "agent_name": self.agent_name, "session_id": self.session_id,
            "content": "Request failed" if failed else sentence(rng, rng.randint(10, 60)),
            "model": self.model, "model_provider": self.provider,
            "created_at": created_at, "status": "ERROR" if failed else "RUNNING",
            "metrics": metrics, "messages": self._messages(created_at),
        }

    def _v2_run(self, created_at, input_tokens, output_tokens, times, failed) -> dict:
        rng = self.rng
        total_in, total_out = sum(input_tokens), sum(output_tokens)
        duration = round(sum(times) + rng.uniform(0.05, 0.8), 3)
        metrics = {
            "input_tokens": total_in, "output_tokens": total_out,
            "total_tokens": total_in + total_out,
            "cache_read_tokens": rng.choice((0, 0, 512)), "cache_write_tokens": 0,
            "reasoning_tokens": rng.choice((0, 0, 0, 128)),
            "cost": round((total_in * 2.5 + total_out * 10) / 1e6, 6),
            "time_to_first_token": round(times[0] * 0.3, 3), "duration": duration,
        }
        return {
            "run_id": "{:032x}".format(rng.getrandbits(128)), "agent_id": self.agent_id,
            "agent_name": self.agent_name, "session_id": self.session_id,
            "content": "Error: model provider returned 500" if failed else sentence(
                rng, rng.randint(10, 60)),
            "model": self.model, "model_provider": self.provider,
            "created_at": created_at, "status": "ERROR" if failed else "COMPLETED",
            "metrics": metrics, "messages": self._messages(created_at),
        }

    def _tools(self, position: int) -> List[dict]:
        rng = self.rng
        if self.profile == "tool_storm":
            count = rng.randint(*STORM_TOOL_CALLS)
        else:
            count = rng.choice(TOOL_CALLS_PER_RUN)
        calls = []
        for index in range(count):
            error: Optional[str] = None
            if rng.random() < (0.25 if self.profile in ("tool_storm", "failing") else 0.03):
                error = rng.choice(("HTTP 503 from upstream", "invalid arguments",
                                    "connection timed out"))
            calls.append(self._tool_call(index, error=error))
            if self.profile == "tool_storm" and calls and rng.random() < 0.3:
                repeat = dict(calls[-1])
                repeat["tool_args"] = dict(reversed(list(repeat.get("tool_args", {}).items())))
                calls.append(repeat)
        return calls

    def _tool_call(self, index: int, error: Optional[str] = None) -> dict:
        rng = self.rng
        call = {"tool_call_id": "call_{}".format(index), "tool_name": rng.choice(self.tool_names),
                "tool_call_error": error is not None,
                "result": error if error else sentence(rng, rng.randint(5, 25)),
                "metrics": {"time": round(rng.uniform(0.05, 2.0), 3)}}
        if rng.random() < 0.9:
            call["tool_args"] = {"query": rng.choice(WORDS), "limit": rng.choice((5, 10))}
        return call

    def _strip_runs(self, document: dict) -> None:
        choice = self.rng.random()
        if self.shape == "agno_v3":
            document.pop("runs", None)  # an Agno 3 session with no runs: nothing anywhere
        elif "runs" in document:
            if choice < 0.5:
                document["runs"] = None
            elif choice < 0.8:
                del document["runs"]
        elif choice < 0.5:
            document["memory"]["runs"] = None
        elif choice < 0.8:
            del document["memory"]

    def _damage(self, document: dict, collection_runs: List[dict]) -> None:
        """Damage found in real collections: text metrics, nulls in lists, odd fields."""
        rng = self.rng
        runs = collection_runs or document.get("runs")
        if runs is None:
            runs = [r.get("response", r) for r in document["memory"]["runs"]]
        for run in runs:
            metrics = run.get("metrics", {})
            kind = rng.randint(0, 4)
            if kind == 0 and "input_tokens" in metrics:
                value = metrics["input_tokens"]
                metrics["input_tokens"] = str(value if not isinstance(value, list) else sum(value))
            elif kind == 1 and isinstance(metrics.get("output_tokens"), list):
                metrics["output_tokens"].append(None)
            elif kind == 2:
                metrics["time_to_first_token"] = "n/a"
            elif kind == 3:
                run["tools"] = None
            else:
                run["metrics"] = None
        if rng.random() < 0.5 and "agent_data" in document:
            document["agent_data"]["model"] = self.model
        if rng.random() < 0.3:
            del document["session_id"]
