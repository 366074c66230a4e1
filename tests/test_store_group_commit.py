"""The SQLite store commits statements that wait together as one transaction (group commit):
fewer fsyncs in a burst, yet each statement's outcome is its own — one that fails is undone
alone, each caller hears back only after the commit, and a commit asks for FULL durability
when any of its statements did."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store.sqlite import SqliteDatabase


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[tuple[SqliteDatabase, list[str]]]:
    """A store on a file with a table ``t`` and the statements its connection runs."""
    opened = await SqliteDatabase.open(str(tmp_path / "group.db"))
    await opened.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    seen: list[str] = []
    await opened._run(lambda: opened._c().set_trace_callback(seen.append))
    yield opened, seen
    await opened.close()


def _hold(store: SqliteDatabase) -> asyncio.Task[None]:
    """Keeps the store's thread busy a moment, so what is asked meanwhile waits together."""
    return asyncio.ensure_future(store._run(time.sleep, 0.1))


def _commits(seen: list[str]) -> int:
    return sum(1 for s in seen if s.strip().upper() == "COMMIT")


async def test_a_burst_of_writes_shares_a_few_commits(
    db: tuple[SqliteDatabase, list[str]],
) -> None:
    store, seen = db
    held = _hold(store)
    await asyncio.gather(
        *(store.execute("INSERT INTO t (k, v) VALUES (?, ?)", [f"k{i}", i]) for i in range(60))
    )
    await held
    rows = await store.fetch("SELECT count(*) AS n FROM t")
    assert rows == [{"n": 60}]
    assert _commits(seen) == 1  # the 60 waited together: one commit, not 60
    assert "PRAGMA synchronous = FULL" in seen  # durable statements: a FULL commit


async def test_a_failing_statement_is_undone_alone(
    db: tuple[SqliteDatabase, list[str]],
) -> None:
    store, seen = db
    await store.execute("INSERT INTO t (k, v) VALUES ('taken', 0)")
    held = _hold(store)
    outcomes = await asyncio.gather(
        store.execute("INSERT INTO t (k, v) VALUES ('a', 1)"),
        store.execute("INSERT INTO t (k, v) VALUES ('taken', 2)"),  # a UNIQUE violation
        store.execute("UPDATE t SET v = v + 10 WHERE k = 'a'"),  # sees the first one
        store.fetch("SELECT v FROM t WHERE k = 'a'"),
        return_exceptions=True,
    )
    await held
    assert outcomes[0] == 1
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    assert outcomes[2] == 1
    assert outcomes[3] == [{"v": 11}]
    assert any(s.startswith("SAVEPOINT") for s in seen)  # they did share one transaction
    rows = await store.fetch("SELECT k, v FROM t ORDER BY k")
    assert rows == [{"k": "a", "v": 11}, {"k": "taken", "v": 0}]


async def test_light_statements_alone_commit_with_normal_durability(
    db: tuple[SqliteDatabase, list[str]],
) -> None:
    store, seen = db
    seen.clear()
    await asyncio.gather(
        *(
            store.fetch_light("INSERT INTO t (k, v) VALUES (?, 0) RETURNING k", [f"l{i}"])
            for i in range(5)
        )
    )
    assert "PRAGMA synchronous = NORMAL" in seen
    assert seen[-1] == "PRAGMA synchronous = FULL"  # back to FULL for whatever comes next
    seen.clear()
    held = _hold(store)
    await asyncio.gather(
        store.fetch_light("INSERT INTO t (k, v) VALUES ('m1', 0) RETURNING k"),
        store.execute("INSERT INTO t (k, v) VALUES ('m2', 0)"),
    )
    await held
    first = next(s for s in seen if s.startswith("PRAGMA synchronous"))
    assert first == "PRAGMA synchronous = FULL"  # one durable statement makes the commit FULL


async def test_a_cancelled_caller_leaves_the_statement_to_run_and_others_unharmed(
    db: tuple[SqliteDatabase, list[str]],
) -> None:
    store, _ = db
    gone = asyncio.create_task(store.execute("INSERT INTO t (k, v) VALUES ('gone', 1)"))
    kept = asyncio.create_task(store.execute("INSERT INTO t (k, v) VALUES ('kept', 2)"))
    gone.cancel()
    assert await kept == 1
    with pytest.raises(asyncio.CancelledError):
        await gone
    rows = await store.fetch("SELECT k FROM t ORDER BY k")
    assert [r["k"] for r in rows] in (["gone", "kept"], ["kept"])


async def test_a_closed_store_refuses_and_close_waits_for_what_was_asked(
    tmp_path: Path,
) -> None:
    store = await SqliteDatabase.open(str(tmp_path / "closing.db"))
    await store.execute("CREATE TABLE t (k TEXT)")
    pending = [
        asyncio.create_task(store.execute("INSERT INTO t VALUES (?)", [str(i)])) for i in range(5)
    ]
    await asyncio.sleep(0)
    await store.close()
    assert [await p for p in pending] == [1] * 5
    with pytest.raises(RuntimeError, match="closed"):
        await store.fetch("SELECT 1")
    reopened = await SqliteDatabase.open(str(tmp_path / "closing.db"))
    try:
        assert await reopened.fetch("SELECT count(*) AS n FROM t") == [{"n": 5}]
    finally:
        await reopened.close()


async def test_a_statement_that_undoes_the_whole_batch_fails_it_with_the_right_errors(
    db: tuple[SqliteDatabase, list[str]],
) -> None:
    """INSERT OR ROLLBACK undoes the whole transaction on a conflict: it hears its own
    IntegrityError, the statements beside it hear that they were rolled back, and none of
    them stands."""
    store, _ = db
    await store.execute("INSERT INTO t (k, v) VALUES ('taken', 0)")
    held = _hold(store)
    outcomes = await asyncio.gather(
        store.execute("INSERT INTO t (k, v) VALUES ('before', 1)"),
        store.execute("INSERT OR ROLLBACK INTO t (k, v) VALUES ('taken', 2)"),
        store.execute("INSERT INTO t (k, v) VALUES ('after', 3)"),
        return_exceptions=True,
    )
    await held
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    for innocent in (outcomes[0], outcomes[2]):
        assert isinstance(innocent, sqlite3.OperationalError)
        assert "rolled back" in str(innocent)
    assert await store.fetch("SELECT k FROM t ORDER BY k") == [{"k": "taken"}]
