"""The audit trail in chat: one line per row, latest first, within Webex's message size.
Every value is escaped (:func:`bot.markdown.esc`, :func:`bot.markdown.code`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from bot import replies
from bot.audit_view.rows import request_value
from bot.markdown import code, esc
from bot.store import AuditRecord

#: Webex refuses a message longer than this many bytes.
MAX_MESSAGE_BYTES = 7439


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
