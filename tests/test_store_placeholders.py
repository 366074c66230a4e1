"""The store's ``?`` placeholders on both databases: a literal ``?`` or ``%`` in a statement
is text, never a parameter (the PostgreSQL driver reads ``%s``, so the store rewrites)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import sqlite_path
from bot.store.placeholders import to_psycopg
from bot.store.postgres import PostgresDatabase
from bot.store.sql import Database
from bot.store.sqlite import SqliteDatabase
from tests.pg import fresh_schema, require_server


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ?", "SELECT %s"),
        ("SELECT '?', ?", "SELECT '?', %s"),
        ("SELECT '%', ?", "SELECT '%%', %s"),
        ("SELECT ? LIKE 'a%'", "SELECT %s LIKE 'a%%'"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', %s"),
        ("SELECT E'\\'?', ?", "SELECT E'\\'?', %s"),
        ('SELECT 1 AS "what?", ?', 'SELECT 1 AS "what?", %s'),
        ("SELECT $$ ? $$, $t$ ?'$t$, ?", "SELECT $$ ? $$, $t$ ?'$t$, %s"),
        ("SELECT ? -- why?\n, ?", "SELECT %s -- why?\n, %s"),
        ("SELECT /* a ? /* b ? */ c ? */ ?", "SELECT /* a ? /* b ? */ c ? */ %s"),
        ("SELECT 7 % ?", "SELECT 7 %% %s"),
    ],
)
def test_only_placeholders_outside_literals_are_rewritten(sql: str, expected: str) -> None:
    assert to_psycopg(sql) == expected


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A bare database driver of each kind (what the store sends its SQL through)."""
    if request.param == "sqlite":
        opened: Database = await SqliteDatabase.open(
            sqlite_path(f"sqlite:///{tmp_path / 'trunkbot.db'}")
        )
    else:
        async with fresh_schema(require_server()) as url:
            opened = await PostgresDatabase.open(url)
            try:
                yield opened
            finally:
                await opened.close()
            return
    try:
        yield opened
    finally:
        await opened.close()


async def test_literal_question_marks_and_percents_are_text(db: Database) -> None:
    """On the real server: ``'?'`` and ``'%'`` in the statement come back as typed, and the
    one real placeholder takes the one parameter."""
    rows = await db.fetch(
        "SELECT '?' AS q, '%' AS p, 'a?%b' AS both_, 'it''s?' AS quoted, ? AS given, "
        "? LIKE 'x%' AS matched",
        ["x?%", "xyz"],
    )
    assert rows == [
        {
            "q": "?",
            "p": "%",
            "both_": "a?%b",
            "quoted": "it's?",
            "given": "x?%",
            "matched": True if db.dialect == "postgresql" else 1,
        }
    ]


async def test_literal_question_marks_and_percents_in_a_write(db: Database) -> None:
    await db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    changed = await db.execute(
        "INSERT INTO notes (id, body) VALUES (?, '100% sure? yes') , (?, ?)", [1, 2, "50%?"]
    )
    assert changed == 2
    rows = await db.fetch(
        "SELECT id, body FROM notes WHERE body LIKE '%?%' AND id >= ? ORDER BY id", [1]
    )
    assert rows == [{"id": 1, "body": "100% sure? yes"}, {"id": 2, "body": "50%?"}]
