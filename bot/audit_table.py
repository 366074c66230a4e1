"""`trunkbot audit`: the chat's filters on the command line, and a table that fits a terminal.

    trunkbot audit                                  # the whole trail, oldest first
    trunkbot audit --last 20 --person alice@example.com --location "London HQ"
    trunkbot audit --since 2026-11-01 --format csv  # every field: for a spreadsheet or a script

The filters mean what they mean in chat (``commands/audit.py``): ``--person`` is an email (any
case) or a person ID, ``--location`` a location's full name (any case) or ID, ``--last N``
the newest N rows (still printed oldest first). The table keeps the columns a person scans
(when, who, what, the outcome, where, the trunk, why) within :data:`WIDTH`
columns, cutting long cells with "…"; IDs, tracking IDs, status codes and durations are in
CSV and JSON, which print every field in full (:mod:`bot.audit_view`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot import audit_view, replies
from bot.store import AuditRecord, open_store, sqlite_path

#: The table's width when the terminal's is unknown (a pipe); never narrower than MIN_WIDTH.
WIDTH, MIN_WIDTH, MAX_WIDTH = 120, 80, 200
GAP = "  "

Row = dict[str, audit_view.Value]


@dataclass(frozen=True)
class Column:
    heading: str
    get: Callable[[Row], audit_view.Value]
    cap: int  # never wider than this
    floor: int  # never shrunk narrower than this
    weight: float = 1.0  # a heavier column keeps more of its width when all must shrink


def _who(row: Row) -> audit_view.Value:
    if row["email"]:
        return row["email"]
    return audit_view.short_id(str(row["person_id"])) if row["person_id"] else None


def _where(row: Row) -> audit_view.Value:
    if row["location_name"]:
        return row["location_name"]
    return audit_view.short_id(str(row["location_id"])) if row["location_id"] else None


def _outcome(row: Row) -> audit_view.Value:
    """The decision and the result in one: ``refused``, ``created``, ``failed (400)``…"""
    if row["decision"] != "allowed":
        return row["decision"]
    result, status = row["result"], row["status"]
    if not result:
        return row["decision"]
    return f"{result} ({status})" if status else result


COLUMNS: tuple[Column, ...] = (
    Column("WHEN (UTC)", lambda r: str(r["at"])[:19].replace("T", " "), 19, 19),
    Column("WHO", _who, 32, 8, weight=1.5),
    Column("ACTION", lambda r: r["action"], 16, 6),
    Column("OUTCOME", _outcome, 16, 7),
    Column("LOCATION", _where, 24, 8),
    Column("TRUNK", lambda r: r["trunk_name"], 24, 6),
    Column("WHY", lambda r: r["reason"], 100, 8, weight=2.0),
)


def _terminal(value: audit_view.Value) -> str:
    """A cell for a terminal: "-" when empty, control characters made visible."""
    if value is None or value == "":
        return "-"
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in str(value))


def _char_width(c: str) -> int:
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


def display_width(text: str) -> int:
    return sum(_char_width(c) for c in text)


def cut(text: str, width: int) -> str:
    """``text`` within ``width`` display columns, ending in "…" when something was cut."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for c in text:
        if used + _char_width(c) > width - 1:
            break
        out.append(c)
        used += _char_width(c)
    return "".join(out) + "…"


def _widths(cells: list[list[str]], width: int) -> list[int]:
    """Each column's width: its content, capped; while the line is too long, the column that
    is widest for its weight gives up one character (so long cells share the cut)."""
    widths = [
        min(col.cap, max(display_width(row[i]) for row in cells)) for i, col in enumerate(COLUMNS)
    ]
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    while excess > 0:
        shrinkable = [i for i, col in enumerate(COLUMNS) if widths[i] > col.floor]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i] / COLUMNS[i].weight)
        widths[widest] -= 1
        excess -= 1
    return widths


def terminal_width() -> int:
    """The terminal's width on a terminal (or $COLUMNS), else :data:`WIDTH`; clamped."""
    columns = WIDTH
    env = os.environ.get("COLUMNS", "")
    if env.isdigit():
        columns = int(env)
    elif sys.stdout.isatty():
        columns = os.get_terminal_size(sys.stdout.fileno()).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


def render_table(records: Sequence[AuditRecord], width: int = WIDTH) -> str:
    """A heading and one line per row, no line wider than ``width``; the last column ragged."""
    cells = [[col.heading for col in COLUMNS]]
    for record in records:
        row = audit_view.flatten(record)
        cells.append([_terminal(col.get(row)) for col in COLUMNS])
    widths = _widths(cells, width)
    lines = []
    for line_cells in cells:
        parts = [cut(cell, widths[i]) for i, cell in enumerate(line_cells)]
        padded = [p + " " * (widths[i] - display_width(p)) for i, p in enumerate(parts[:-1])]
        lines.append(GAP.join([*padded, parts[-1]]).rstrip())
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Query:
    since: datetime | None = None
    last: int | None = None
    person: str | None = None
    location: str | None = None

    def describe(self) -> str:
        """``since 2026-11-01…, for alice@…, in London HQ`` for "nothing matched"."""
        parts = []
        if self.since is not None:
            parts.append(f"since {audit_view.iso(self.since)}")
        if self.person is not None:
            parts.append(f"for {self.person}")
        if self.location is not None:
            parts.append(f"in {self.location}")
        return ", ".join(parts)


async def read_trail(database_url: str, query: Query) -> list[AuditRecord]:
    """The rows the query selects, oldest first (``last``: the newest N of them)."""
    async with await open_store(database_url) as store:
        rows = await store.list_audit(
            since=query.since,
            person=query.person,
            location=query.location,
            limit=query.last,
            newest_first=query.last is not None,
        )
    return rows[::-1] if query.last is not None else rows


def print_trail(
    database_url: str,
    query: Query,
    *,
    fmt: str = "table",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`trunkbot audit`: the rows on ``out`` (only data there), notes on ``err``; returns 0.

    An SQLite file that does not exist is not created. A database that can't be opened
    raises (the CLI's exit code).
    """
    out = out or sys.stdout
    err = err or sys.stderr

    def render(records: Sequence[AuditRecord]) -> str:
        if fmt == "table":
            return render_table(records, terminal_width()) if records else ""
        return audit_view.RENDERERS[fmt](records)

    if database_url.startswith("sqlite:"):
        path = sqlite_path(database_url)
        if path != ":memory:" and not Path(path).exists():
            print(replies.audit_cli_no_database(path), file=err)
            out.write(render([]))
            return 0
    records = asyncio.run(read_trail(database_url, query))
    if not records:
        if query.person is None and query.location is None:
            since = None if query.since is None else audit_view.iso(query.since)
            print(replies.audit_cli_empty(since), file=err)
        else:
            print(f"No audit rows {query.describe()}.", file=err)
    out.write(render(records))
    return 0
