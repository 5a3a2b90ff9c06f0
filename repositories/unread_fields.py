"""The large fields no feature reads, left out as early as each source can.

Agno stores the system prompt and the message history again in every run, so messages are
most of a session's (and a run document's) bytes, while the features read metrics, tools,
status, events and a few names. MongoDB leaves these fields out on the server (an exclusion
projection); the runs file leaves them out before it stores a run.

Exclusion, not inclusion: excluding `runs.messages` leaves a `runs` that is null, text or a
list of scalars exactly as stored, so shape detection and rejects are the same as without
the projection (docs/mongodb.md).
"""

from typing import Dict

# Per-run fields Agno stores that no feature reads (1.x RunResponse, 2.x/3.x RunOutput).
UNREAD_RUN_FIELDS = (
    "messages", "input", "extra_data", "images", "videos", "audio", "response_audio",
    "files", "citations", "reasoning_content", "reasoning_steps", "reasoning_messages",
    "references", "additional_input", "session_state", "member_responses", "formatted_tool_calls",
    "compaction", "requirements", "model_provider_data",
)
_UNREAD_SESSION_FIELDS = (
    "session_data", "extra_data", "summary", "metadata", "memory.memories", "memory.summaries",
    "memory.messages", "memory.runs.message", "memory.runs.messages",
)


def sessions_projection() -> Dict[str, int]:
    """Exclusion projection for session documents: every large field the features skip."""
    paths = list(_UNREAD_SESSION_FIELDS)
    for prefix in ("runs", "memory.runs", "memory.runs.response"):
        paths.extend("{}.{}".format(prefix, name) for name in UNREAD_RUN_FIELDS
                     if "{}.{}".format(prefix, name) not in paths)
    return {path: 0 for path in paths}


def runs_projection() -> Dict[str, int]:
    """Exclusion projection for Agno 3 run documents (the run itself is `run_data`)."""
    return {"run_data." + name: 0 for name in UNREAD_RUN_FIELDS}
