"""`trunkbot audit`: the trail, oldest first, as a table for a terminal (control characters
made visible, so a stored value can't move the cursor or recolour the screen), CSV (no cell
a spreadsheet would run) or JSON."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot import replies
from bot.audit_view.rows import FIELDS, Value, flatten, iso
from bot.store import AuditRecord, open_store, sqlite_path


def parse_since(text: str) -> datetime:
    """``2026-11-01``, ``2026-11-01T09:30``, ``…Z`` or ``…+01:00`` → aware UTC; naive = UTC.

    Raises ValueError for anything else.
    """
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _terminal(value: Value) -> str:
    """A cell for a terminal: "-" when empty, control characters made visible."""
    if value is None or value == "":
        return "-"
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in str(value))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# (heading, how to read it from a flattened row) for the table, in order.
_TABLE: tuple[tuple[str, Callable[[dict[str, Value]], Value]], ...] = (
    ("WHEN (UTC)", lambda r: str(r["at"])[:19].replace("T", " ")),
    ("WHO", lambda r: r["email"] or r["person_id"]),
    ("ACTION", lambda r: r["action"]),
    ("DECISION", lambda r: r["decision"]),
    ("LOCATION", lambda r: r["location_name"] or r["location_id"]),
    ("RESULT", lambda r: r["result"]),
    ("TRUNK", lambda r: r["trunk_name"]),
    ("TRUNK ID", lambda r: r["trunk_id"]),
    ("TRACKING ID", lambda r: r["tracking_id"]),
    ("WHY", lambda r: r["reason"]),
)


def render_table(records: Sequence[AuditRecord]) -> str:
    """Aligned columns, a heading line first; the last column (why) is left ragged."""
    rows = [[h for h, _ in _TABLE]]
    rows += [[_terminal(get(flatten(r))) for _, get in _TABLE] for r in records]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(_TABLE))]
    out = []
    for row in rows:
        cells = [c + " " * (widths[i] - _width(c)) for i, c in enumerate(row[:-1])]
        out.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(out) + "\n"


#: What a spreadsheet takes for the start of a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Value) -> str | int:
    """A cell no spreadsheet runs: text that starts like a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(records: Sequence[AuditRecord]) -> str:
    """A header line, then one line per row; text that a spreadsheet would read as a formula
    is neutralized by :func:`csv_cell`.

    Every text cell is quoted (RFC 4180): the csv module leaves a lone carriage return
    unquoted when lines end in ``\\n``, which would split the row in any reader.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(FIELDS)
    writer = csv.DictWriter(
        buffer, fieldnames=FIELDS, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )
    for record in records:
        writer.writerow({k: csv_cell(v) for k, v in flatten(record).items()})
    return buffer.getvalue()


def render_json(records: Sequence[AuditRecord]) -> str:
    """One JSON array of objects, :data:`FIELDS` as keys, times as ISO 8601 UTC."""
    rows: list[dict[str, Any]] = [flatten(r) for r in records]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


RENDERERS: dict[str, Callable[[Sequence[AuditRecord]], str]] = {
    "table": render_table,
    "csv": render_csv,
    "json": render_json,
}


async def read_trail(database_url: str, since: datetime | None) -> list[AuditRecord]:
    """Every row at or after ``since``, oldest first."""
    async with await open_store(database_url) as store:
        return await store.list_audit(since=since, newest_first=False)


def print_audit(
    database_url: str,
    *,
    since: datetime | None = None,
    fmt: str = "table",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`trunkbot audit`: the trail (from ``since``), oldest first, on ``out``; returns 0.

    A note for a person (nothing to show) goes to ``err``, so ``out`` is only ever data: an
    empty trail prints ``[]`` as JSON and just the header as CSV. An SQLite file that does
    not exist is not created. A database that can't be opened raises (the CLI's exit code).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    render = RENDERERS[fmt]
    if database_url.startswith("sqlite:"):
        path = sqlite_path(database_url)
        if path != ":memory:" and not Path(path).exists():
            print(replies.audit_cli_no_database(path), file=err)
            out.write(render([]) if fmt != "table" else "")
            return 0
    records = asyncio.run(read_trail(database_url, since))
    if not records:
        print(replies.audit_cli_empty(None if since is None else iso(since)), file=err)
        if fmt == "table":
            return 0
    out.write(render(records))
    return 0
