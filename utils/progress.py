"""Progress lines on a long run: every few seconds, key=value, with a total when known."""

import logging
import time
from typing import Callable, Optional

PROGRESS_SECONDS = 5.0
# Reading the clock costs little, but not nothing: look at it every this many steps.
_CHECK_EVERY = 256


class ProgressLog:
    """Logs `<what> done=N total=T percent=P rate_per_s=R eta_s=E elapsed_s=S` at most
    every `seconds`; total, percent and eta only when `total()` knows the total."""

    def __init__(self, logger: logging.Logger, what: str, unit: str,
                 total: Callable[[], Optional[int]] = lambda: None,
                 seconds: float = PROGRESS_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.logger = logger
        self.what = what
        self.unit = unit
        self.total = total
        self.seconds = seconds
        self.clock = clock
        self.started = clock()
        self._next = self.started + seconds
        self._steps = 0

    def step(self, done: int, **extra: int) -> None:
        """Call once per item (cheap); logs when the time has come."""
        self._steps += 1
        if self._steps % _CHECK_EVERY:
            return
        now = self.clock()
        if now >= self._next:
            self._next = now + self.seconds
            self.log(done, now, **extra)

    def log(self, done: int, now: Optional[float] = None, **extra: int) -> None:
        now = self.clock() if now is None else now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        fields = ["{}={}".format(self.unit, done)]
        total = self.total()
        if total:
            left = max(total - done, 0)
            fields += ["total={}".format(total), "percent={:.1f}".format(100.0 * done / total),
                       "eta_s={:.0f}".format(left / rate) if rate > 0 else "eta_s=-"]
        fields += ["{}={}".format(key, value) for key, value in extra.items()]
        fields += ["rate_per_s={:.0f}".format(rate), "elapsed_s={:.1f}".format(elapsed)]
        self.logger.info("%s %s", self.what, " ".join(fields))
