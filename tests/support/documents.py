"""Small session documents for repository and job tests."""

import datetime as dt

DEC_1 = 1733011200  # 2024-12-01T00:00:00Z


def v2_session(session_id, created_at, runs=1, **extra):
    document = {
        "session_id": session_id, "session_type": "agent", "user_id": "u1",
        "agent_data": {"name": "Agent", "model": {"id": "gpt-4o", "provider": "OpenAI"}},
        "runs": [{"metrics": {"input_tokens": 100 * (i + 1), "output_tokens": 10,
                              "total_tokens": 100 * (i + 1) + 10, "duration": 1.5},
                  "status": "COMPLETED", "created_at": created_at if isinstance(
                      created_at, (int, float)) else DEC_1,
                  "messages": [{"role": "system", "content": "You are helpful. " * 50}]}
                 for i in range(runs)],
        "created_at": created_at, "updated_at": created_at,
    }
    document.update(extra)
    return document


def v1_session(session_id, created_at, **extra):
    document = {
        "session_id": session_id, "user_id": "u2",
        "agent_data": {"name": "Old", "model": {"id": "gpt-4o-mini", "provider": "OpenAI"}},
        "memory": {"runs": [{"metrics": {"input_tokens": [10, 20], "output_tokens": [1, 2],
                                         "time": [0.5, 0.25]}, "status": "RUNNING",
                             "created_at": DEC_1, "tools": [{"tool_name": "t"}],
                             "messages": [{"role": "user", "content": "hi"}]}],
                   "memories": [{"memory": "likes tea"}]},
        "created_at": created_at,
    }
    document.update(extra)
    return document


def utc(*args):
    return dt.datetime(*args)
