"""Writes Agno 3 sessions and runs into MongoDB with Agno's own storage code (agno==3.1.10).

Runs in the test-only environment .venv-agno (requirements-agno.txt), not in the job's:
    python tests/support/agno_writer.py MONGO_URI DATABASE

No model is called: run outputs are built with their metrics and tool calls and persisted
with `MongoDb.upsert_session` and `MongoDb.upsert_run`, the two calls Agno makes when an
agent or team saves. The expected feature values are worked out by hand in
tests/integration/test_agno3_written_by_agno.py; keep the two in step.
"""

import sys

from agno.db.mongo import MongoDb
from agno.metrics import RunMetrics
from agno.models.response import ToolExecution
from agno.run.agent import RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunOutput
from agno.session import AgentSession, TeamSession
from pymongo import MongoClient

DEC_2 = 1733097600  # 2024-12-02T00:00:00Z
MODEL = {"id": "gpt-4o", "name": "OpenAIChat", "provider": "OpenAI"}


def metrics(input_tokens, output_tokens, duration, cost=None):
    return RunMetrics(input_tokens=input_tokens, output_tokens=output_tokens,
                      total_tokens=input_tokens + output_tokens, duration=duration, cost=cost)


def agent_run(run_id, session_id, created_at, run_metrics, status=RunStatus.completed,
              content="done", tools=None, parent_run_id=None, agent_name="Weather Agent"):
    return RunOutput(run_id=run_id, session_id=session_id, agent_id="weather",
                     agent_name=agent_name, parent_run_id=parent_run_id, content=content,
                     model="gpt-4o", model_provider="OpenAI", metrics=run_metrics, tools=tools,
                     status=status, created_at=created_at)


def weather_session(db):
    """An agent session: a run with a repeated tool call, a failed call with no tokens
    (timed out), and a large run."""
    session_id = "agno3-agent"
    db.upsert_session(AgentSession(
        session_id=session_id, agent_id="weather", user_id="u-1", created_at=DEC_2,
        agent_data={"name": "Weather Agent", "agent_id": "weather", "model": MODEL}))
    paris = {"city": "Paris"}
    runs = [
        agent_run("a-1", session_id, DEC_2 + 10, metrics(100, 20, 2.0, cost=0.001), tools=[
            ToolExecution(tool_call_id="c1", tool_name="get_weather", tool_args=paris,
                          result="12C"),
            ToolExecution(tool_call_id="c2", tool_name="get_weather", tool_args=dict(paris),
                          result="12C")]),
        agent_run("a-2", session_id, DEC_2 + 70, RunMetrics(duration=5.0),
                  status=RunStatus.error, content="Model call timed out after 5s"),
        agent_run("a-3", session_id, DEC_2 + 130, metrics(900, 300, 3.0, cost=0.009)),
    ]
    for index, run in enumerate(runs):
        db.upsert_run(run, session_id=session_id, user_id="u-1", run_index=index)


def team_session(db):
    """A team session: the team's run and one member run (parent_run_id set)."""
    session_id = "agno3-team"
    db.upsert_session(TeamSession(
        session_id=session_id, team_id="research", user_id="u-2", created_at=DEC_2 + 3600,
        team_data={"name": "Research Team", "team_id": "research",
                   "model": {"id": "claude-sonnet-4-5", "provider": "Anthropic"}}))
    team_run = TeamRunOutput(run_id="t-1", team_id="research", team_name="Research Team",
                             session_id=session_id, content="report",
                             metrics=metrics(400, 100, 4.0), status=RunStatus.completed,
                             created_at=DEC_2 + 3600)
    member = agent_run("m-1", session_id, DEC_2 + 3601, metrics(250, 50, 1.5),
                       parent_run_id="t-1", agent_name="Researcher", tools=[
                           ToolExecution(tool_call_id="w1", tool_name="web_search",
                                         tool_args={"q": "agno"}, tool_call_error=True,
                                         result="search timed out")])
    db.upsert_run(team_run, session_id=session_id, user_id="u-2", run_index=0)
    db.upsert_run(member, session_id=session_id, user_id="u-2", run_index=1)


def half_migrated_session(db, client, database):
    """A 2.x session upgraded to 3.x: its embedded runs (one stale copy, one the migration
    never copied) stay in the session document beside the runs collection."""
    session_id = "agno3-migrated"
    session = AgentSession(session_id=session_id, agent_id="weather", user_id="u-3",
                           created_at=DEC_2 + 7200,
                           agent_data={"name": "Weather Agent", "model": MODEL})
    db.upsert_session(session)
    stale = agent_run("h-1", session_id, DEC_2 + 7200, metrics(10, 0, 0.5),
                      status=RunStatus.running)
    only_embedded = agent_run("h-0", session_id, DEC_2 + 7100, metrics(60, 40, 1.0))
    client[database][db.session_table_name].update_one(
        {"session_id": session_id},
        {"$set": {"runs": [only_embedded.to_dict(), stale.to_dict()]}})
    db.upsert_session(session)  # a later 3.x save carries the embedded list forward
    current = agent_run("h-1", session_id, DEC_2 + 7200, metrics(150, 50, 2.0))
    newer = agent_run("h-2", session_id, DEC_2 + 7300, metrics(700, 100, 4.0))
    db.upsert_run(current, session_id=session_id, user_id="u-3", run_index=0)
    db.upsert_run(newer, session_id=session_id, user_id="u-3", run_index=1)


def main(uri: str, database: str) -> None:
    client = MongoClient(uri)
    default = MongoDb(db_client=client, db_name=database)
    weather_session(default)
    team_session(default)
    half_migrated_session(default, client, database)
    custom = MongoDb(db_client=client, db_name=database, session_collection="support_sessions")
    db_session = AgentSession(session_id="agno3-custom", agent_id="support", user_id="u-4",
                              created_at=DEC_2 + 10800,
                              agent_data={"name": "Support Agent", "model": MODEL})
    custom.upsert_session(db_session)
    custom.upsert_run(agent_run("s-1", "agno3-custom", DEC_2 + 10800, metrics(30, 10, 1.0),
                                agent_name="Support Agent"),
                      session_id="agno3-custom", user_id="u-4", run_index=0)
    print(sorted(client[database].list_collection_names()))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
