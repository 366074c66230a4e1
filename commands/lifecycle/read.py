"""Looking: `locations`, `trunk types`, `list trunks`, `show trunk` (action ``trunk.read``).

Each shows only what the person may act on: the locations of their grants, and the trunks in
those locations. A list reads every page of Webex's answer, shows at most ``MAX_ROWS`` (with
their status, asked in parallel) and says how many more there are.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from bot.errors import BotError, UsageError, WebexError
from bot.events import Context
from bot.gate import Permit
from bot.gateway_watch import FIRST_LOOK, WATCH_FOR
from bot.router import Command, Request, Scope, ScopeReader
from bot.webex.models import TrunkDetails, TrunkSummary
from commands.lifecycle import words
from commands.lifecycle.target import TrunkQuery, read_fields, trunk_scope

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

READ = "trunk.read"
ORG_ONLY = frozenset({"org"})
LIST_KEYS = frozenset({"org", "location", "type"})
PAGE = re.compile(r"(?<!\S)page\s*=\s*(\d{1,6})(?!\S)", re.IGNORECASE)
STATUS_AT_ONCE = 8


def _org_scope(command: str) -> ScopeReader:
    async def scope(_ctx: Context, request: Request) -> Scope:
        fields = read_fields(command, request.args, ORG_ONLY)
        return Scope(org=fields.get("org") or None, parsed=fields, request=request)

    return scope


def commands(services: Services) -> list[Command]:
    async def locations(ctx: Context, permit: Permit, _scope: Scope) -> None:
        rows = [
            loc
            for loc in await services.calling.list_locations(org_id=permit.org_id)
            if permit.covers(loc.id, loc.name)
        ]
        await ctx.reply(words.locations(sorted(rows, key=lambda r: r.name.casefold())))

    async def trunk_types(ctx: Context, permit: Permit, _scope: Scope) -> None:
        await ctx.reply(words.trunk_types(await services.calling.trunk_types(org_id=permit.org_id)))

    async def show(ctx: Context, permit: Permit, scope: Scope) -> None:
        query: TrunkQuery = scope.parsed
        trunk = query.found
        details = await services.calling.get_trunk(trunk.id, org_id=permit.org_id)
        try:
            usage = await services.trunks.usage(trunk.id, org_id=permit.org_id)
        except WebexError:
            usage = None
        ctx.audit.trunk_id = trunk.id
        text = words.show(details, usage)
        if details.is_registering and details.online is False:
            line = await _watch(services, ctx, permit, details)
            text += "\n" + line if line else ""
        await ctx.reply(text)

    show_scope, show_rewrite = trunk_scope(services, "show trunk", ORG_ONLY)
    return [
        Command(
            action=READ,
            words=("locations",),
            scope=_org_scope("locations"),
            handler=locations,
            example="locations",
            usage="`locations` — the calling locations you may use, with their IDs",
        ),
        Command(
            action=READ,
            words=("trunk", "types"),
            scope=_org_scope("trunk types"),
            handler=trunk_types,
            example="trunk types",
            usage="`trunk types` — device types and their call limits",
        ),
        Command(
            action=READ,
            words=("list", "trunks"),
            scope=_list_scope,
            handler=lambda ctx, permit, scope: list_trunks(services, ctx, permit, scope),
            example="list trunks location=Madrid",
            usage="`list trunks [location=<name>] [type=registering|certificate] [page=<n>]` — "
            "your trunks, with status, 20 at a time",
            rewrite=_list_rewrite,
        ),
        Command(
            action=READ,
            words=("show", "trunk"),
            scope=show_scope,
            handler=show,
            example="show trunk lifecycle-1",
            usage="`show trunk <name>` — its details, status and what uses it",
            rewrite=show_rewrite,
        ),
    ]


async def _watch(
    services: Services, ctx: Context, permit: Permit, details: TrunkDetails
) -> str | None:
    """Watch an offline registering trunk for the asker (as after a create): they're told 1:1
    when its gateway registers, or after 30 minutes what to check. The line that says so;
    None when the watch couldn't be stored."""
    ev, store = ctx.event, services.store
    try:
        added = await store.add_watch(
            details.id,
            name=details.name,
            org_id=permit.org_id,
            requester=ev.actor.person_id,
            email=ev.actor.email or None,
            first_in=FIRST_LOOK,
            watch_for=WATCH_FOR,
        )
        watch = None if added else await store.get_watch(details.id)
    except BotError:
        log.warning("trunk.watch_not_stored", extra={"trunk_id": details.id})
        return None
    for_asker = watch is None or watch.requester == ev.actor.person_id
    return words.watching(round(WATCH_FOR / 60), already=not added, for_asker=for_asker)


async def _list_scope(_ctx: Context, request: Request) -> Scope:
    page, args = _take_page(request.args)
    fields = read_fields("list trunks", args, LIST_KEYS)
    fields["page"] = str(page)
    kind = (fields.get("type") or "").strip().casefold()
    if kind and kind not in ("registering", "certificate", "certificate-based"):
        raise UsageError("`type` is `registering` or `certificate`.")
    return Scope(
        org=fields.get("org") or None,
        location=fields.get("location") or None,
        parsed=fields,
        request=request,
    )


def _take_page(args: str) -> tuple[int, str]:
    """``page=N`` (not a create key, so read here); 1 when absent."""
    match = PAGE.search(args)
    if match is None:
        return 1, args
    number = int(match.group(1))
    if number < 1:
        raise UsageError("`page` is a number from 1.")
    return number, (args[: match.start()] + args[match.end() :]).strip()


def _list_rewrite(args: str, key: str, value: str) -> str:
    from commands.args import answer_key

    page, rest = _take_page(args)
    return f"{answer_key(rest, key, value)} page={page}"


async def list_trunks(services: Services, ctx: Context, permit: Permit, scope: Scope) -> None:
    fields = scope.parsed
    kind = (fields.get("type") or "").strip().casefold()
    wanted_type = (
        "CERTIFICATE_BASED" if kind.startswith("certificate") else ("REGISTERING" if kind else None)
    )

    def shown(trunk: TrunkSummary) -> bool:
        loc = trunk.location
        if loc is None or not permit.covers(loc.id, loc.name):
            return False
        if permit.location is not None and loc.id != permit.location.id:
            return False
        return wanted_type is None or (trunk.trunk_type or "").upper() == wanted_type

    trunks = sorted(
        (t for t in await services.calling.list_trunks(org_id=permit.org_id) if shown(t)),
        key=lambda t: t.name.casefold(),
    )
    number = int(fields.get("page") or 1)
    first = (number - 1) * words.MAX_ROWS
    page = trunks[first : first + words.MAX_ROWS]
    statuses = await _statuses(services, page, permit.org_id)
    rows = [words.trunk_row(t, online) for t, online in zip(page, statuses, strict=True)]
    filters = ""
    if permit.location is not None:
        filters += f" in {permit.location.name}"
    if wanted_type:
        filters += f" ({words.type_label(wanted_type)})"
    ctx.audit.result = f"{len(trunks)} trunks"
    await ctx.reply(words.trunk_list(rows, len(trunks), filters, first=first, page=number))


async def _statuses(
    services: Services, trunks: list[TrunkSummary], org_id: str | None
) -> list[bool | None]:
    """Each trunk's in-service status (None when Webex doesn't say), a few at a time."""
    limit = asyncio.Semaphore(STATUS_AT_ONCE)

    async def one(trunk: TrunkSummary) -> bool | None:
        async with limit:
            try:
                return (await services.calling.get_trunk(trunk.id, org_id=org_id)).online
            except WebexError:
                return None

    return list(await asyncio.gather(*(one(t) for t in trunks)))
