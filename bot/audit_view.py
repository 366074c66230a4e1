"""The audit trail as people read it: one line per row in chat; a table, CSV or JSON on the CLI.

A row leaves through the fields chosen here and nothing else. ``request`` is never shown as
a whole: the store has already stripped secrets from it, and the view picks the few values a
reader needs (the trunk's name and type, the org) rather than trusting that. Chat text is
escaped (:func:`bot.replies.esc`, :func:`bot.replies.code`); terminal text loses control
characters, so a stored value can't move the cursor or recolour the screen.

The CLI reads forward (oldest first); chat shows the latest first.
"""

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
from bot.replies import code, esc
from bot.store import AuditRecord, open_store, sqlite_path

#: Webex refuses a message longer than this many bytes.
MAX_MESSAGE_BYTES = 7439

#: The columns of CSV and the keys of JSON, in order.
FIELDS: tuple[str, ...] = (
    "id",
    "at",
    "action",
    "decision",
    "reason",
    "email",
    "person_id",
    "room_id",
    "event_id",
    "location_name",
    "location_id",
    "trunk_name",
    "trunk_type",
    "org_id",
    "approver_id",
    "result",
    "trunk_id",
    "status",
    "error_code",
    "tracking_id",
    "duration_ms",
)

# Output field → the request key it is read from. Nothing else of a request is ever shown.
_REQUEST_FIELDS = {"trunk_name": "name", "trunk_type": "type", "org_id": "org"}

Value = str | int | None


# --- picking fields -------------------------------------------------------------------------


def request_value(record: AuditRecord, key: str) -> str | None:
    """One scalar of the request (``name``, ``type``, ``org``), or None; never a structure."""
    if record.request is None:
        return None
    value = record.request.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def iso(at: datetime) -> str:
    """``2026-11-02T14:05:07.123Z``: UTC, milliseconds (rows a moment apart stay apart)."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def flatten(record: AuditRecord) -> dict[str, Value]:
    """The row as :data:`FIELDS` → value: what CSV and JSON print."""
    row: dict[str, Value] = {
        "id": record.id,
        "at": iso(record.at),
        "action": record.action,
        "decision": record.decision,
        "reason": record.reason,
        "email": record.email,
        "person_id": record.person_id,
        "room_id": record.room_id,
        "event_id": record.event_id,
        "location_name": record.location_name,
        "location_id": record.location_id,
        "approver_id": record.approver_id,
        "result": record.result,
        "trunk_id": record.trunk_id,
        "status": record.status,
        "error_code": record.error_code,
        "tracking_id": record.tracking_id,
        "duration_ms": record.duration_ms,
    }
    for out, key in _REQUEST_FIELDS.items():
        row[out] = request_value(record, key)
    return {name: row[name] for name in FIELDS}


# --- chat -----------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_id(value: str, keep: int = 10) -> str:
    """The tail of a long Webex ID (their heads are all alike: ``Y2lzY29zcGFyazovL3VzL…``)."""
    return value if len(value) <= keep + 4 else "…" + value[-keep:]


def _plain(sentence: str) -> str:
    """A stored reply sentence without its own markdown, to be escaped again."""
    return sentence.replace("**", "").replace("`", "")


def chat_line(record: AuditRecord) -> str:
    """``• 2026-11-02 14:05 · alice@… · trunk.create · ✅ allowed · London HQ · created · …``"""
    parts = [record.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")]
    if record.email:
        parts.append(esc(_cut(record.email, 80)))
    elif record.person_id:
        parts.append(code(short_id(record.person_id)))
    else:
        parts.append("someone unknown")
    parts.append(esc(_cut(record.action, 40)))
    parts.append(replies.AUDIT_DECISION.get(record.decision, esc(record.decision)))
    location = record.location_name or (
        short_id(record.location_id) if record.location_id else None
    )
    if location:
        parts.append(esc(_cut(location, 60)))
    if record.result and not (record.result == "refused" and record.decision == "refused"):
        status = f" (HTTP {record.status})" if record.status else ""
        parts.append(esc(_cut(record.result, 40)) + status)
    name = request_value(record, "name")
    if name:
        parts.append(f"**{esc(_cut(name, 60))}**")
    if record.trunk_id:
        parts.append(code(short_id(record.trunk_id)))
    if record.approver_id:
        parts.append("approver " + code(short_id(record.approver_id)))
    if record.tracking_id:
        parts.append("tracking ID " + code(_cut(record.tracking_id, 80)))
    line = "• " + " · ".join(parts)
    if record.reason:
        line += " — " + esc(_cut(_plain(record.reason), 100))
    return line


def chat_reply(
    records: Sequence[AuditRecord],
    *,
    person: str | None = None,
    location: str | None = None,
    capped_at: int | None = None,
    limit: int = MAX_MESSAGE_BYTES,
) -> str:
    """The whole answer to ``audit``, rows as given (newest first), within ``limit`` bytes.

    ``capped_at``: the person asked for more rows than that, and is told so.
    """
    if not records:
        return replies.audit_empty(person, location)
    head = [replies.audit_header(len(records), person, location)]
    if capped_at is not None:
        head.append(replies.audit_capped(capped_at))
    lines = [chat_line(r) for r in records]

    def size(parts: Sequence[str]) -> int:
        return len("\n".join(parts).encode("utf-8"))

    shown = len(lines)
    while shown > 0:
        tail = [] if shown == len(lines) else [replies.audit_more(len(lines) - shown)]
        if size([*head, *lines[:shown], *tail]) <= limit:
            return "\n".join([*head, *lines[:shown], *tail])
        shown -= 1
    # Not even one row fits (a tiny limit): say so rather than send a cut line.
    return "\n".join([*head, replies.audit_more(len(lines))])


# --- the command line -----------------------------------------------------------------------


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
