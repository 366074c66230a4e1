"""The SQLite store's one thread (bot.store.sqlite): calls in order, in batches, statements
of a batch committed together (group commit), answers handed back to each loop at once."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Call:
    fn: Callable[[], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    statement: bool  # one statement, which may share a transaction with others
    durable: bool  # its commit must reach the disk (synchronous=FULL)


Done = tuple[Call, bool, Any]  # (the call, it succeeded, its value or exception)


def attempt(call: Call) -> Done:
    try:
        return (call, True, call.fn())
    except Exception as exc:  # noqa: BLE001 -- handed to the caller, whatever it is
        return (call, False, exc)


def in_one_transaction(conn: sqlite3.Connection, calls: list[Call]) -> list[Done]:
    """Each call under a savepoint of one transaction, committed once: a call that fails is
    undone alone; if the commit fails (or SQLite undid the whole transaction), all fail."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        return [(call, False, exc) for call in calls]
    done: list[Done] = []
    for call in calls:
        conn.execute("SAVEPOINT one")
        outcome = attempt(call)
        if not conn.in_transaction:  # an error SQLite answers by rolling everything back
            # The statement that did it hears its own error; the others of the batch were
            # undone with it, and hear that (not its error: an IntegrityError would read as
            # "already there" to a caller that handles one).
            undone = sqlite3.OperationalError("rolled back with the statements beside it")
            return [(c, False, outcome[2] if c is call else undone) for c in calls]
        if outcome[1]:
            conn.execute("RELEASE one")
        else:
            conn.execute("ROLLBACK TO one")
            conn.execute("RELEASE one")
        done.append(outcome)
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return [(call, False, exc) for call in calls]
    return done


class Worker:
    """The connection's one thread: takes every call waiting, runs them as a batch, and
    hands each loop its answers in one callback."""

    def __init__(self, run_batch: Callable[[list[Call]], list[Done]], name: str) -> None:
        self._run_batch = run_batch
        self._queue: collections.deque[Call] = collections.deque()
        self._ready = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def submit(self, call: Call) -> None:
        with self._ready:
            if self._stopping:
                raise RuntimeError("the store is closed")
            self._queue.append(call)
            self._ready.notify()

    def stop(self) -> None:
        with self._ready:
            self._stopping = True
            self._ready.notify()
        self._thread.join()

    def _main(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._stopping:
                    self._ready.wait()
                if not self._queue:
                    return
                batch = list(self._queue)
                self._queue.clear()
            try:
                done = self._run_batch(batch)
            except BaseException as exc:  # noqa: BLE001 -- e.g. the PRAGMA itself failed
                done = [(call, False, exc) for call in batch]
            by_loop: dict[asyncio.AbstractEventLoop, list[Done]] = {}
            for item in done:
                by_loop.setdefault(item[0].loop, []).append(item)
            for loop, items in by_loop.items():
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                    loop.call_soon_threadsafe(_settle, items)


def _settle(items: list[Done]) -> None:
    for call, ok, value in items:
        if call.future.done():  # the caller was cancelled
            continue
        if ok:
            call.future.set_result(value)
        else:
            call.future.set_exception(value)
