"""The audit trail in chat and on the command line, and webhook mode."""

from __future__ import annotations

from bot.replies.grammar import shown

__all__ = [
    "AUDIT_DECISION",
    "AUDIT_EXAMPLE",
    "AUDIT_KEYS",
    "AUDIT_ONLY_DIRECT",
    "NOT_READY_STOPPING",
    "NOT_READY_STORE",
    "READY",
    "audit_bad_last",
    "audit_bad_since",
    "audit_bare_word",
    "audit_capped",
    "audit_cli_empty",
    "audit_cli_no_database",
    "audit_empty",
    "audit_header",
    "audit_more",
    "audit_repeated_key",
    "audit_unknown_key",
    "serve_without_webhook_key",
    "webhook_cannot_listen",
]

# --- audit trail (commands/audit.py, bot/audit_view/, `trunkbot audit`) -------------------
# (section: audit)
# Everything a reader of the audit trail sees besides the rows themselves. Filters come from
# the person and go through shown(); row fields are escaped in bot/audit_view/chat.py.

AUDIT_KEYS = ("last", "person", "location")
AUDIT_EXAMPLE = '`audit last 20 person=alice@example.com location="London HQ"`'
AUDIT_DECISION = {"allowed": "✅ allowed", "refused": "⛔ refused"}


def audit_unknown_key(key: str, suggestion: str | None) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    keys = ", ".join(f"`{k}`" for k in AUDIT_KEYS)
    return f"I don't know {shown(key)} for `audit`.{hint} Keys I know: {keys}."


def audit_bare_word(word: str) -> str:
    return f"I don't understand {shown(word)} after `audit`. Try {AUDIT_EXAMPLE}."


def audit_repeated_key(key: str) -> str:
    return f"You gave {shown(key)} twice. Give each key once."


def audit_bad_last(limit: int) -> str:
    return f"`last` takes a whole number from 1 to {limit}, as in `audit last 20`."


def audit_header(count: int, person: str | None, location: str | None) -> str:
    what = "row" if count == 1 else "rows"
    scope = ""
    if person:
        scope += f" by {shown(person, 80)}"
    if location:
        scope += f" in {shown(location, 80)}"
    latest = "The latest" if count == 1 else f"The {count} latest"
    return f"{latest} audit {what}{scope}, newest first (times in UTC):"


def audit_capped(limit: int) -> str:
    return f"(I show at most {limit} rows at once; `trunkbot audit` prints the whole trail.)"


def audit_more(count: int) -> str:
    what = "row doesn't" if count == 1 else "rows don't"
    return (
        f"…and {count} more {what} fit in one message: ask for fewer with `last N`, narrow it "
        "with `person=` or `location=`, or run `trunkbot audit`."
    )


def audit_empty(person: str | None, location: str | None) -> str:
    if not person and not location:
        return "The audit trail is empty: nobody has asked me for anything yet."
    scope = ""
    if person:
        scope += f" by {shown(person, 80)}"
    if location:
        scope += f" in {shown(location, 80)}"
    return (
        f"No audit rows{scope}. A person is an email or a person ID, a location its full "
        "name or ID."
    )


# -- the command line (`trunkbot audit`) --


def audit_bad_since(value: str) -> str:
    return (
        f"--since must be an ISO date or time such as 2026-11-01 or 2026-11-01T09:30 (UTC "
        f"unless it says otherwise), not {value[:40]!r}."
    )


def audit_cli_empty(since: str | None) -> str:
    if since:
        return f"No audit rows since {since}."
    return "The audit trail is empty: the bot has recorded nothing yet."


def audit_cli_no_database(path: str) -> str:
    return (
        f"There is no audit trail at {path} yet (TRUNKBOT_DATABASE_URL names the bot's "
        "database), so there is nothing to print."
    )


AUDIT_ONLY_DIRECT = (
    "I show the audit trail only in a 1:1 space: it names people and why they were refused. "
    "Message me directly with `audit`."
)


# --- webhook mode (`trunkbot serve`, bot/transports/webhook.py) ---------------------------

READY = "ready"
NOT_READY_STOPPING = "not ready: the bot is stopping"
NOT_READY_STORE = "not ready: the database doesn't answer"


def serve_without_webhook_key() -> str:
    return (
        "No webhook secret: set TRUNKBOT_WEBHOOK_SECRET to the `secret` of the bot's Webex "
        "webhooks (see `trunkbot serve --help`)."
    )


def webhook_cannot_listen(host: str, port: int, reason: str) -> str:
    return f"Can't listen on {host}:{port} ({reason}): pick another --host or --port."
