"""A real PostgreSQL server for the store tests: find it, or fail (CI) or skip (elsewhere).

`.ci/install-postgres.sh` starts one on 127.0.0.1:55432; ``TRUNKBOT_TEST_PG_URL`` points
elsewhere. Each test gets a schema of its own (``search_path`` in the URL), dropped after.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

DEFAULT_URL = "postgresql://trunkbot:trunkbot@127.0.0.1:55432/trunkbot_test"


def pg_url() -> str:
    return os.environ.get("TRUNKBOT_TEST_PG_URL") or DEFAULT_URL


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@functools.cache
def _unreachable(url: str) -> str | None:
    """Why the server cannot be used, or None when it can."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        words = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        return words or type(exc).__name__
    return None


def require_server() -> str:
    """The test server's URL; in CI a missing server fails the test, elsewhere it skips."""
    url = pg_url()
    reason = _unreachable(url)
    if reason is not None:
        message = (
            f"PostgreSQL for the store tests is not reachable ({reason}). "
            "Start it with `sudo bash .ci/install-postgres.sh`, or point "
            "TRUNKBOT_TEST_PG_URL at a server."
        )
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return url


def with_search_path(url: str, schema: str) -> str:
    option = quote(f"-c search_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}options={option}"


@asynccontextmanager
async def fresh_schema(url: str) -> AsyncIterator[str]:
    """A URL whose connections see only a new, empty schema; dropped on the way out."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    ident = sql.Identifier(name)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
    try:
        yield with_search_path(url, name)
    finally:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(ident))
