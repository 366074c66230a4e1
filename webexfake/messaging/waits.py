"""Waiting on the fake's state from any thread's event loop, without polling.

Whatever changes the state calls :meth:`Waits.notify`; a test's ``await waits.until(…)`` wakes
on its own loop (``call_soon_threadsafe``), checks its predicate again, and sleeps until the
next change or its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable


class Waits:
    """Waiters on every loop, woken by :meth:`notify`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def notify(self) -> None:
        """Wake every waiter (on whatever loop it waits)."""
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # its loop has closed
                loop.call_soon_threadsafe(event.set)

    async def until(
        self, predicate: Callable[[], bool], seconds: float, what: Callable[[], str]
    ) -> None:
        """Return once ``predicate()`` holds; TimeoutError naming ``what()`` after ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            event = asyncio.Event()
            waiter = (loop, event)
            with self._lock:
                self._waiters.add(waiter)
            try:
                if predicate():
                    return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {seconds}s waiting for {what()}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
            finally:
                with self._lock:
                    self._waiters.discard(waiter)
