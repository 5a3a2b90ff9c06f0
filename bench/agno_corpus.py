"""Writes a corpus of Agno 3 sessions and runs as Agno itself stores them, for the benchmarks.

Runs in the test-only environment .venv-agno (agno==3.1.10), not in the job's:
    python bench/agno_corpus.py SESSIONS FOLDER

Each run is a RunOutput with what a tool-using agent keeps: a system prompt, the user's
message, the model's tool calls and the tools' results as messages, the answer, the tool
executions and the metrics; about 10 KB a run. The rows are Agno's own: the session record
`MongoDb.upsert_session` writes for an AgentSession, and `build_single_run_row` for every
run, which `MongoDb.upsert_run` writes. They go to FOLDER/sessions.jsonl and
FOLDER/runs.jsonl as relaxed Extended JSON (what mongoexport writes), sessions in
(created_at, session_id) order. Seeded: the same SESSIONS give the same files.
"""

import json
import os
import random
import sys

from agno.db.utils import build_single_run_row
from agno.metrics import RunMetrics
from agno.models.message import Message
from agno.models.response import ToolExecution
from agno.run.agent import RunOutput
from agno.run.base import RunStatus
from agno.session import AgentSession
from bson import json_util

DEC_1 = 1733011200  # 2024-12-01T00:00:00Z
MODEL = {"id": "gpt-4o", "name": "OpenAIChat", "provider": "OpenAI"}
WORDS = ("order", "refund", "shipping", "invoice", "account", "delivery", "warranty", "policy",
         "customer", "ticket", "status", "payment", "address", "product", "return", "update")
TOOLS = ("search_orders", "get_invoice", "lookup_customer", "create_ticket", "search_kb")


def text(rng, characters):
    words = []
    while sum(len(word) + 1 for word in words) < characters:
        words.append(rng.choice(WORDS))
    return " ".join(words)


SYSTEM_PROMPT = text(random.Random(0), 2000)


def run_output(rng, session_id, run_id, created_at):
    calls = []
    for number in range(rng.randint(1, 4)):
        name = rng.choice(TOOLS)
        failed = rng.random() < 0.05
        calls.append(ToolExecution(
            tool_call_id="call_{}_{}".format(run_id, number), tool_name=name,
            tool_args={"query": rng.choice(WORDS), "limit": 10},
            result="upstream timed out" if failed else text(rng, 900),
            tool_call_error=failed))
    messages = [Message(role="system", content=SYSTEM_PROMPT, created_at=created_at),
                Message(role="user", content=text(rng, 200), created_at=created_at)]
    messages.append(Message(role="assistant", created_at=created_at, tool_calls=[
        {"id": call.tool_call_id, "type": "function", "function": {
            "name": call.tool_name, "arguments": json.dumps(call.tool_args)}}
        for call in calls]))
    for call in calls:
        messages.append(Message(role="tool", tool_call_id=call.tool_call_id,
                                tool_name=call.tool_name, content=call.result,
                                created_at=created_at))
    answer = text(rng, 800)
    messages.append(Message(role="assistant", content=answer, created_at=created_at))
    input_tokens = rng.randint(800, 6000)
    output_tokens = rng.randint(50, 900)
    failed = rng.random() < 0.04
    return RunOutput(
        run_id=run_id, session_id=session_id, agent_id="support", agent_name="Support Agent",
        content="Model call timed out" if failed else answer, model="gpt-4o",
        model_provider="OpenAI", messages=messages, tools=calls,
        metrics=RunMetrics(input_tokens=input_tokens, output_tokens=output_tokens,
                           total_tokens=input_tokens + output_tokens,
                           duration=round(rng.uniform(0.5, 30.0), 3),
                           time_to_first_token=round(rng.uniform(0.1, 2.0), 3),
                           cost=round(input_tokens * 2.5e-6 + output_tokens * 1e-5, 6)),
        status=RunStatus.error if failed else RunStatus.completed, created_at=created_at)


def main(sessions: int, folder: str) -> None:
    rng = random.Random(1)
    starts = sorted(DEC_1 + rng.randrange(30 * 86400) for _ in range(sessions))
    with open(os.path.join(folder, "sessions.jsonl"), "w") as session_file, \
            open(os.path.join(folder, "runs.jsonl"), "w") as run_file:
        for number, created_at in enumerate(starts):
            session_id = "session-{:07d}".format(number)
            session = AgentSession(
                session_id=session_id, agent_id="support", user_id="user-{}".format(
                    rng.randrange(1000)), created_at=created_at,
                agent_data={"name": "Support Agent", "agent_id": "support", "model": MODEL})
            stored = session.to_dict(include_runs=False)
            record = {key: stored.get(key) for key in (
                "session_id", "agent_id", "user_id", "agent_data", "session_data", "summary",
                "metadata", "created_at")}
            record.update(session_type="agent", updated_at=created_at + 3600)
            session_file.write(json_util.dumps(record) + "\n")
            for index in range(rng.randint(1, 5)):
                run = run_output(rng, session_id, "{}-{}".format(session_id, index),
                                 created_at + 60 * index)
                row = build_single_run_row(run, session_id=session_id,
                                           user_id=record["user_id"], run_index=index)
                row["updated_at"] = row["created_at"]
                run_file.write(json_util.dumps(row) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
