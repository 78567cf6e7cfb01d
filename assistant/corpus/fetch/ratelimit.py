"""Sliding-window rate limiter with an injectable clock (so tests can measure it without waiting)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class RateLimiter:
    """At most ``rate`` calls to :meth:`acquire` in any window of ``period`` seconds.

    Keeps the start times of the last ``rate`` calls; a new call waits until the oldest of them
    has left the window.
    """

    def __init__(self, rate: int, period: float = 1.0, *, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        if rate < 1:
            raise ValueError("rate must be >= 1")
        self.rate = rate
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def set_rate(self, rate: int, period: float | None = None) -> None:
        """Change the limit (e.g. from a server's rate-limit headers)."""
        with self._lock:
            self.rate = max(1, int(rate))
            if period:
                self.period = period

    def acquire(self) -> float:
        """Block until a call is allowed; return the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - self.period:
                    self._starts.popleft()
                if len(self._starts) < self.rate:
                    self._starts.append(now)
                    return waited
                delay = self._starts[0] + self.period - now
                self._sleep(delay)
                waited += delay
