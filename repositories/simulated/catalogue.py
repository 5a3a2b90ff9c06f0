"""What the simulated sessions are made of: agents, models, teams, the session profiles
and shapes with their weights, and every number that shapes an anomaly, by name."""

import random
from typing import NamedTuple, Sequence, Tuple

AGENTS = (
    ("Weather Agent", ("get_weather", "get_forecast")),
    ("Support Agent", ("search_kb", "create_ticket", "get_order")),
    ("Research Agent", ("web_search", "read_url", "summarise")),
    ("SQL Agent", ("run_query", "describe_table", "list_tables")),
    ("Finance Agent", ("get_stock_price", "get_company_news", "get_fundamentals")),
)
MODELS = (
    ("OpenAI", "gpt-4o", "OpenAIChat"), ("OpenAI", "gpt-4o-mini", "OpenAIChat"),
    ("Anthropic", "claude-sonnet-4-5", "Claude"), ("Google", "gemini-2.0-flash", "Gemini"),
)
TEAMS = (("Research Team", "Research Agent", "Support Agent"),
         ("Trading Desk", "Finance Agent", "SQL Agent"))


class Profile(NamedTuple):
    """A kind of session and how often it occurs (weights add up to 100)."""

    name: str
    weight: int
    makes: str


PROFILES: Tuple[Profile, ...] = (
    Profile("normal", 52, "ordinary runs: a few model calls and tool calls each"),
    Profile("token_explosion", 8, "the last run's last call reads EXPLOSION_INPUT_TOKENS"),
    Profile("slow_or_looping", 8, "at least 3 runs; most end with a LOOPING_RUN_SECONDS call, "
            "timed out past 60 s"),
    Profile("tool_storm", 8, "at least 3 runs of STORM_TOOL_CALLS calls, some failing, some "
            "repeated with their arguments reordered"),
    Profile("failing", 8, "failed runs, mostly in the second half, some timed out"),
    Profile("erratic_speed", 8, "runs at ERRATIC_SLOW or ERRATIC_FAST tokens per second"),
    Profile("damaged", 4, "text metrics, nulls in lists, tools or metrics null, no session_id"),
    Profile("no_runs", 4, "runs null, missing or empty"),
)
SHAPES = (("agno_v3", 30), ("agno_v2", 30), ("agno_v1", 30), ("agno_v1_legacy", 10))
# Agno 3 sessions: an agent's, a team's (whose members' runs are runs of the session too),
# or an agent's half-migrated from 2.x (stale embedded copies beside the runs collection).
V3_KINDS = (("agent", 60), ("team", 25), ("half_migrated", 15))

# Runs of a session: 1 + an exponential count with this mean (more for some profiles).
MEAN_EXTRA_RUNS = 2.5
MIN_RUNS_LOOPING_OR_STORM = 3
GAP_BETWEEN_RUNS_SECONDS = (5, 240)
# The evolving world (repositories/simulated/world.py): a gap may instead be a return
# hours or days later; a session's runs start within MAX_SESSION_LIFE_SECONDS of its first;
# a run is saved RUN_SAVE_SECONDS after it starts; an Agno 3 run may wait PAUSED and
# complete RESUMED_AFTER_SECONDS after its save.
RETURN_LATER_CHANCE = 0.15
RETURN_LATER_SECONDS = (3_600, 2 * 86_400)
MAX_SESSION_LIFE_SECONDS = 3 * 86_400
RUN_SAVE_SECONDS = 30
PAUSED_RUN_CHANCE = 0.1
RESUMED_AFTER_SECONDS = (1_800, 86_400)
MODEL_CALLS_PER_RUN = (1, 3)
INPUT_TOKENS_PER_CALL = (300, 2500)
CONTEXT_GROWTH_PER_RUN = 400  # input tokens added by each earlier run's history
OUTPUT_TOKENS_PER_CALL = (20, 600)
TOKENS_PER_SECOND = (60, 400)
EXPLOSION_INPUT_TOKENS = (45_000, 160_000)
EXPLOSION_OUTPUT_TOKENS = (2_000, 12_000)
ERRATIC_SLOW = (2, 30)
ERRATIC_FAST = (1500, 6000)
LOOPING_RUN_SECONDS = (31, 140)
STORM_TOOL_CALLS = (8, 30)
TOOL_CALLS_PER_RUN = (0, 0, 1, 1, 2, 3)  # drawn from uniformly
HISTORY_RUNS = 3  # Agno stores the previous runs' messages again in every run
SYSTEM_PROMPT = (
    "You are a helpful assistant. Use the tools you are given when they help, answer "
    "concisely, cite the data you used and never invent numbers.\n<instructions>\n"
    "- Ask for the missing detail when a request is ambiguous.\n- Prefer one tool call that "
    "answers the question over several partial ones.\n- Report tool errors plainly.\n"
    "</instructions>\n<additional_information>\n- Use markdown to format your answers.\n"
    "- The current time is given in UTC.\n</additional_information>")
WORDS = ("the", "agent", "answer", "tool", "result", "user", "question", "data", "report",
         "summary", "weather", "order", "price", "city", "table", "query", "found", "value")
_TEXT = " ".join(random.Random(0).choice(WORDS) for _ in range(4000))


def weighted(rng: random.Random, choices: Sequence[Tuple[str, int]]) -> str:
    total = sum(weight for _, weight in choices)
    pick = rng.random() * total
    for name, weight in choices:
        pick -= weight
        if pick < 0:
            return name
    return choices[-1][0]


def sentence(rng: random.Random, words: int) -> str:
    """About `words` words of filler text (a slice of a fixed text: cheap to make)."""
    start = rng.randrange(0, len(_TEXT) - 8 * words)
    return _TEXT[start:start + 6 * words]
