"""SIGTERM (Glue's stop or timeout) during a run: the run stops at once, until it starts
switching its published result from the earlier one to the new one. From then on a stop is
only remembered: the switch and the summary finish, so that a stop leaves either the earlier
result or the new one, never a mix, and the summary says which (docs/reliability.md)."""

import contextlib
from typing import Dict, Iterator

from interfaces.errors import JobStopped

_state: Dict[str, bool] = {"switching": False, "pending": False}


def begin_run() -> None:
    _state.update(switching=False, pending=False)


def stop_now_or_after_the_switch(signum=None, frame=None) -> None:
    """The SIGTERM handler: raise JobStopped, or, once the switch has begun, remember it."""
    if _state["switching"]:
        _state["pending"] = True
        return
    raise JobStopped("stopped by SIGTERM")


@contextlib.contextmanager
def switching() -> Iterator[None]:
    """The switch: from here to the end of the run a SIGTERM does not interrupt. If the
    switch fails, stops interrupt again (the run is failing anyway)."""
    _state["switching"] = True
    try:
        yield
    except BaseException:
        _state["switching"] = False
        raise


def stop_was_deferred() -> bool:
    """Whether a SIGTERM arrived after the switch began."""
    return _state["pending"]
