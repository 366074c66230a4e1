"""The audit trail as people read it: one line per row in chat; a table, CSV or JSON on the CLI.

A row leaves through the fields chosen here and nothing else. ``request`` is never shown as
a whole: the store has already stripped secrets from it, and the view picks the few values a
reader needs (the trunk's name and type, the org) rather than trusting that. Chat text is
escaped (:func:`bot.markdown.esc`, :func:`bot.markdown.code`); terminal text loses control
characters, so a stored value can't move the cursor or recolour the screen.

The CLI reads forward (oldest first); chat shows the latest first.

    rows.py    the fields a row leaves through (FIELDS, flatten)
    chat.py    the `audit` command's answer
    export.py  `trunkbot audit`: table, CSV, JSON
"""

from __future__ import annotations

from bot.audit_view.chat import MAX_MESSAGE_BYTES, chat_line, chat_reply, short_id
from bot.audit_view.export import (
    FORMULA_STARTS,
    RENDERERS,
    csv_cell,
    parse_since,
    print_audit,
    read_trail,
    render_csv,
    render_json,
    render_table,
)
from bot.audit_view.rows import FIELDS, Value, flatten, iso, request_value

__all__ = [
    "FIELDS",
    "FORMULA_STARTS",
    "MAX_MESSAGE_BYTES",
    "RENDERERS",
    "Value",
    "chat_line",
    "chat_reply",
    "csv_cell",
    "flatten",
    "iso",
    "parse_since",
    "print_audit",
    "read_trail",
    "render_csv",
    "render_json",
    "render_table",
    "request_value",
    "short_id",
]
