"""A per-second request limit for the fake calling API, as Webex enforces one per org: past
``per_second`` requests in the last second, the answer is 429 with ``Retry-After`` (whole
seconds, as Webex sends) and nothing is handled.

    state.faults.rate_limit = RateLimit(per_second=20)   # every /v1/telephony request
    ...
    state.faults.rate_limit.refused                      # how many 429s it gave

A sliding one-second window over the requests it let through (refused ones don't count, as
they cost Webex nothing). Thread-safe: the sandbox may serve from several threads.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateLimit:
    per_second: int
    path_prefix: str = "/v1/telephony"
    clock: Callable[[], float] = time.monotonic
    admitted: int = 0
    refused: int = 0
    _window: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.per_second < 1:
            raise ValueError("per_second must be at least 1")

    def applies(self, path: str) -> bool:
        return path.startswith(self.path_prefix)

    def retry_after(self, path: str) -> int | None:
        """None when the request may go ahead (it is counted); else the whole seconds after
        which the window has room again (at least 1)."""
        if not self.applies(path):
            return None
        with self._lock:
            now = self.clock()
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) < self.per_second:
                self._window.append(now)
                self.admitted += 1
                return None
            self.refused += 1
            return max(1, math.ceil(self._window[0] + 1.0 - now))
