"""`trunkbot audit`: a table that fits a terminal, and the chat's filters on the command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit_table import WIDTH, cut, display_width, render_table
from bot.cli import main
from bot.store import AuditRecord, open_store

LONDON_ID = "Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OL2xvbmRvbi1ocS0wMDAwMDAwMDAwMDAwMDAwMDA"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def record(n: int, email: str, location: str, **extra: object) -> AuditRecord:
    fields: dict[str, object] = {
        "action": "trunk.create",
        "decision": "allowed",
        "at": T0 + timedelta(minutes=n),
        "event_id": f"ev-{n}",
        "person_id": f"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9wZXJzb24t{n:040d}",
        "email": email,
        "location_name": location,
        "location_id": LONDON_ID if location == "London HQ" else f"loc-{location}",
        "request": {"name": f"trunk-{n}", "type": "registering"},
        "result": "created",
        "trunk_id": "Y2lzY29zcGFyazovL3VzL1RSVU5LLzQ3" + "x" * 60,
        "tracking_id": "ROUTER_" + "t" * 50,
        "duration_ms": 812,
    }
    fields.update(extra)
    return AuditRecord(**fields)  # type: ignore[arg-type]


TRAIL = [
    record(0, "ann@example.com", "London HQ"),
    record(1, "bob@example.com", "Paris Office"),
    record(
        2,
        "a.very.long.name.of.somebody.at.the.company@subsidiary.example.com",
        "Zweigstelle Großraum Frankfurt am Main, Gebäude 7, Erdgeschoss",
        decision="refused",
        result="failed",
        status=400,
        reason="Webex refused the request as it stands. " * 6,
        request={"name": "名前が長いトランク-" * 4},
    ),
    record(3, "ANN@example.com", "London HQ", result="duplicate"),
    record(4, "carl@example.com", "london hq", decision="refused", result="refused"),
]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "trail.db"

    async def fill() -> None:
        async with await open_store(f"sqlite:///{path}") as store:
            for row in TRAIL:
                await store.append_audit(row)

    asyncio.run(fill())
    for name in [n for n in os.environ if n.startswith("TRUNKBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setenv("TRUNKBOT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("TRUNKBOT_SECRETS_DIR", str(tmp_path / "no-secrets"))
    monkeypatch.setenv("TRUNKBOT_LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield path
    root.handlers[:], root.level = handlers, level


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_fits_120_columns(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Long emails, locations, reasons and wide characters: every line within 120 columns,
    cut with "…", columns aligned; IDs and tracking IDs only in CSV and JSON."""
    code, out, err = audit(capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 + len(TRAIL)
    assert max(display_width(line) for line in lines) <= WIDTH
    assert lines[0].split() == [
        "WHEN",
        "(UTC)",
        "WHO",
        "ACTION",
        "OUTCOME",
        "LOCATION",
        "TRUNK",
        "WHY",
    ]
    assert "ann@example.com" in lines[1]
    assert "London HQ" in lines[1]
    assert "trunk-0" in lines[1]
    assert lines[5].split()[4] == "refused"  # a refusal is its outcome
    assert " duplicate " in lines[4]
    long_row = lines[3]
    assert "…" in long_row
    assert " refused " in long_row
    assert "Webex refused the" in long_row
    assert "ROUTER_" not in out
    assert "Y2lzY29zcGFyazovL3VzL1RSVU5L" not in out
    for heading in ("WHO", "ACTION", "OUTCOME", "LOCATION", "TRUNK", "WHY"):
        column = display_width(lines[0][: lines[0].index(heading)])
        for line in lines[1:]:
            # the same display column starts every cell: two spaces just before it
            prefix, width = "", 0
            for c in line:
                if width >= column:
                    break
                prefix += c
                width = display_width(prefix)
            assert width == column, (heading, line)
            assert prefix.endswith("  "), (heading, line)

    _, as_json, _ = audit(capsys, "--format", "json")
    first = json.loads(as_json)[0]
    assert first["trunk_id"].startswith("Y2lzY29zcGFyazovL3VzL1RSVU5L")
    assert first["tracking_id"].startswith("ROUTER_")


def test_cut_counts_display_columns() -> None:
    assert cut("short", 10) == "short"
    assert cut("abcdefghij", 5) == "abcd…"
    assert display_width(cut("名前が長いトランク", 7)) <= 7
    assert cut("名前が長いトランク", 7).endswith("…")


def test_a_narrow_terminal_still_gets_every_column() -> None:
    """At 80 columns the reason and the location give way first; nothing is dropped."""
    out = render_table(TRAIL, width=80)
    lines = out.splitlines()
    assert max(display_width(line) for line in lines) <= 80
    assert all(len(line.split()) >= 7 for line in lines)
    assert lines[0].split()[2:] == ["WHO", "ACTION", "OUTCOME", "LOCATION", "TRUNK", "WHY"]
    assert lines[1].split()[2].startswith("ann@exa")


@pytest.mark.parametrize(
    ("args", "emails"),
    [
        (["--last", "2"], ["ANN@example.com", "carl@example.com"]),  # newest 2, oldest first
        (["--person", "ann@EXAMPLE.com"], ["ann@example.com", "ANN@example.com"]),
        (["--person", TRAIL[1].person_id or ""], ["bob@example.com"]),
        (["--location", "LONDON HQ"], ["ann@example.com", "ANN@example.com", "carl@example.com"]),
        (["--location", LONDON_ID], ["ann@example.com", "ANN@example.com"]),
        (["--location", "London HQ", "--last", "1"], ["carl@example.com"]),
        (["--since", "2026-11-01T09:01", "--person", "ann@example.com"], ["ANN@example.com"]),
    ],
    ids=["last", "person-email", "person-id", "location-name", "location-id", "both", "since"],
)
def test_the_chats_filters(
    database: Path, capsys: pytest.CaptureFixture[str], args: list[str], emails: list[str]
) -> None:
    """--last, --person and --location mean what `audit last N person=… location=…` means."""
    code, out, err = audit(capsys, "--format", "json", *args)
    assert code == 0, err
    assert [row["email"] for row in json.loads(out)] == emails


def test_no_match_says_so_on_stderr(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = audit(capsys, "--person", "nobody@example.com", "--location", "Madrid")
    assert code == 0
    assert out == ""
    assert err == "No audit rows for nobody@example.com, in Madrid.\n"


def test_filters_through_the_real_command(database: Path, tmp_path: Path) -> None:
    """The same through `python -m bot audit`, as an operator types it."""
    env = {k: v for k, v in os.environ.items() if "TRUNKBOT_" not in k}
    env.update(
        TRUNKBOT_DATABASE_URL=f"sqlite:///{database}",
        TRUNKBOT_SECRETS_DIR=str(tmp_path / "no-secrets"),
    )
    run = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "--last", "1", "--person", "bob@example.com"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("2026-11-01 09:01:00  bob@example.com")
    assert max(display_width(line) for line in lines) <= WIDTH
