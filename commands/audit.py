"""`audit [last N] [person=…] [location=…]`: the latest rows of the audit trail, newest first.

    audit
    audit last 20
    audit last=5 person=alice@example.com location="London HQ"

Decisions:

* Only for people with ``audit.read``: the router's gate checks it before anything typed
  is read.
* ``last N`` and ``last=N`` both work: 10 by default, at most :data:`MAX_LAST` (a larger
  number shows that many and says so); the CLI has the whole trail.
* ``person`` is an email (any case) or a person ID; ``location`` a location's full name
  (any case) or ID — the store matches them exactly. Keys are case-insensitive; ``email``,
  ``personId`` and ``locationId`` are accepted too. Values may be quoted, as in
  ``create trunk``.
* A grant that gives ``audit.read`` only for some locations shows only rows of those
  locations (a row with no location, such as a refusal before one was known, is not one of
  them), and only in the orgs of the grant; asking for another location is refused with
  the ones allowed.
* Every problem is one sentence (:class:`~bot.errors.UsageError`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot import audit_view, replies
from bot.auth import ANY
from bot.errors import NotAllowed, UsageError
from bot.events import Context
from bot.gate import Permit
from bot.router import Command, Scope
from bot.store import AuditRecord

if TYPE_CHECKING:
    from bot.services import Services

ACTION = "audit.read"
DEFAULT_LAST, MAX_LAST = 10, 50
SCAN_FACTOR = 5  # a scoped reader's rows are filtered by org after the query: read more

_ALIASES = {
    "last": "last",
    "person": "person",
    "email": "person",
    "personid": "person",
    "location": "location",
    "locationid": "location",
}
_DOUBLE_QUOTES = '"“”„‟'
_SINGLE_QUOTES = "'‘’‚‛"
_QUOTES = _DOUBLE_QUOTES + _SINGLE_QUOTES
# After "=" and whitespace: does the next word look like another "key="? (then no value)
_LOOKS_LIKE_KEY = re.compile(r"[^\s=" + _QUOTES + r"]+\s*=")


@dataclass(frozen=True)
class AuditQuery:
    last: int = DEFAULT_LAST
    person: str | None = None
    location: str | None = None
    capped: bool = False  # the person asked for more than MAX_LAST

    def as_request(self) -> dict[str, Any]:
        """What the audit trail keeps of this query."""
        out: dict[str, Any] = {"last": self.last}
        if self.person is not None:
            out["person"] = self.person
        if self.location is not None:
            out["location"] = self.location
        return out


def _norm(key: str) -> str:
    return key.casefold().replace("-", "").replace("_", "")


def _tokens(text: str) -> list[tuple[str | None, str]]:
    """``key=value`` pairs as (key, value), other words as (None, word), in order."""
    out: list[tuple[str | None, str]] = []
    n, i = len(text), 0
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return out
        j = i
        while j < n and not text[j].isspace() and text[j] != "=":
            j += 1
        k = j
        while k < n and text[k].isspace():
            k += 1
        if k >= n or text[k] != "=" or j == i:
            end = j if j > i else i + 1
            while end < n and not text[end].isspace():
                end += 1
            out.append((None, text[i:end]))
            i = end
            continue
        key, v = text[i:j], k + 1
        while v < n and text[v].isspace():
            v += 1
        if v > k + 1 and _LOOKS_LIKE_KEY.match(text, v):
            out.append((key, ""))
            i = v
        elif v < n and text[v] in _QUOTES:
            closers = _DOUBLE_QUOTES if text[v] in _DOUBLE_QUOTES else _SINGLE_QUOTES
            end = v + 1
            while end < n and text[end] not in closers:
                end += 1
            if end >= n:
                raise UsageError(replies.unterminated_quote(key))
            out.append((key, text[v + 1 : end]))
            i = end + 1
        else:
            end = v
            while end < n and not text[end].isspace():
                end += 1
            out.append((key, text[v:end]))
            i = end


def _last(value: str) -> tuple[int, bool]:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise UsageError(replies.audit_bad_last(MAX_LAST))
    n = int(value)
    return min(n, MAX_LAST), n > MAX_LAST


def parse_query(args: str) -> AuditQuery:
    """Read ``last N`` / ``last=N``, ``person=…``, ``location=…``; UsageError otherwise."""
    tokens = _tokens(args)
    seen: dict[str, str] = {}
    last, capped = DEFAULT_LAST, False
    i = 0
    while i < len(tokens):
        key, value = tokens[i]
        i += 1
        if key is None:
            if value.casefold() != "last":
                raise UsageError(replies.audit_bare_word(value))
            if i >= len(tokens) or tokens[i][0] is not None:
                raise UsageError(replies.audit_bad_last(MAX_LAST))
            key, value = "last", tokens[i][1]
            i += 1
        canon = _ALIASES.get(_norm(key))
        if canon is None:
            close = difflib.get_close_matches(_norm(key), list(replies.AUDIT_KEYS), n=1)
            raise UsageError(replies.audit_unknown_key(key, close[0] if close else None))
        if canon in seen:
            raise UsageError(replies.audit_repeated_key(key))
        seen[canon] = value
        if canon == "last":
            last, capped = _last(value.strip())
        elif not value.strip():
            raise UsageError(replies.empty_value(key))
    person, location = seen.get("person"), seen.get("location")
    return AuditQuery(
        last=last,
        person=person.strip() if person else None,
        location=location.strip() if location else None,
        capped=capped,
    )


def command(services: Services) -> Command:
    async def run(ctx: Context, permit: Permit, scope: Scope) -> None:
        await show(services, ctx, permit, scope.request.args)

    return Command(
        action=ACTION,
        words=("audit",),
        handler=run,
        example="audit last 5",
        usage="`audit [last N] [person=<email>] [location=<name>]` — the latest attempts "
        "(in a 1:1 space)",
    )


def visible(permit: Permit, row: AuditRecord) -> bool:
    """May the reader see this row? Some grant of theirs must cover both its location and
    its org (a name alone matches in every org: London HQ here is not London HQ there)."""
    org = (row.request or {}).get("org")
    org_id = org if isinstance(org, str) else None
    return any(
        g.names_location(row.location_id, row.location_name) and g.names_org(org_id)
        for g in permit.grants
    )


async def show(services: Services, ctx: Context, permit: Permit, args: str) -> None:
    if not ctx.event.space.is_direct:
        # The trail names people and why they were refused: not for everyone in a space.
        raise UsageError(replies.AUDIT_ONLY_DIRECT)
    query = parse_query(args)
    ctx.audit.request = query.as_request()
    allowed = list(permit.locations)
    unrestricted = ANY in allowed and ANY in permit.orgs
    if ANY in allowed or query.location is None:
        wanted: list[str | None] = [query.location] if ANY in allowed else list(allowed)
    elif query.location.casefold() in {a.casefold() for a in allowed}:
        wanted = [query.location]
    else:
        raise NotAllowed(
            replies.only_in_locations(ACTION, allowed), reason="location outside the grant"
        )
    rows = await _latest(services, query, wanted, None if unrestricted else permit)
    await ctx.reply(
        audit_view.chat_reply(
            rows,
            person=query.person,
            location=query.location,
            capped_at=MAX_LAST if query.capped else None,
        )
    )


async def _latest(
    services: Services,
    query: AuditQuery,
    locations: list[str | None],
    permit: Permit | None,
) -> list[AuditRecord]:
    """The newest ``query.last`` rows in any of ``locations`` (None: anywhere) that the
    reader may see (``permit`` None: every row), newest first."""
    found: dict[int, AuditRecord] = {}
    fetch = query.last if permit is None else query.last * SCAN_FACTOR
    for location in locations:
        for row in await services.store.list_audit(
            person=query.person, location=location, limit=fetch, newest_first=True
        ):
            if permit is None or visible(permit, row):
                found[row.id if row.id is not None else -len(found) - 1] = row
    rows = sorted(found.values(), key=lambda r: (r.at, r.id or 0), reverse=True)
    return rows[: query.last]
