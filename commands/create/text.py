"""`create trunk key=value …`: grammar → TrunkRequest → checks → confirm card or create.

The order matters, and each step changes nothing when it fails:

1. the gate: the person may create trunks at all (before we look at anything they typed);
2. :func:`scope` reads the request: a password typed in a group space is refused, and the
   fields are validated, every problem reported at once;
3. the gate again: the org (before any Webex call about it), then the location;
4. the handler: ``create trunk`` alone, or a request missing something, answers with the
   form (only the locations the person may use); ``prepare.prepare_create`` checks the
   certificate details and the name (``dry-run`` stops here and says what it would do);
5. a confirm card unless the grant says ``confirm = false``, an approval request where the
   grant requires one (whatever ``confirm`` says), else ``flow.execute``, keyed on the
   Webex message id (a redelivery is a no-op).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot import cards, replies
from bot.errors import NotAllowed
from bot.events import Context
from bot.gate import Permit
from bot.grammar import Fields, canonical_key, parse_args
from bot.logs import scrub_in_request
from bot.router import Command, Request, Scope
from bot.store import CreateRecord
from bot.validation import InvalidRequest, TrunkRequest
from commands import cardkit
from commands.args import answer_key, take_flag
from commands.create.flow import ask_create_approval, execute
from commands.create.prepare import ACTION, Prepared, prepare_create
from commands.create.reconcile import STALE_CREATE_SECONDS, settle_if_abandoned
from commands.create.route_group import route_group_permit

if TYPE_CHECKING:
    from bot.services import Services

FORM, CONFIRM = "form", "confirm"
DRY_RUN = "dry-run"


def replies_dry_run(prepared: Prepared, permit: Permit) -> str:
    """What a real create would do, and that nothing was written."""
    facts = "\n".join(f"• {label}: {replies.esc(value)}" for label, value in prepared.facts())
    then = (
        "a second person would have to approve it"
        if permit.needs_approval
        else "you would confirm it on a card"
        if permit.confirm
        else "it would be created at once"
    )
    return (
        f"Dry run: every check passed for trunk **{replies.esc(prepared.request.name)}**, "
        f"and nothing was created. For real, {then}:\n{facts}"
    )


@dataclass(frozen=True)
class Parsed:
    """A text create as read: its fields, and the request when it is complete."""

    fields: Fields
    request: TrunkRequest | None
    missing: InvalidRequest | None = None
    dry_run: bool = False


def _typed_password(fields: dict[str, str]) -> bool:
    value = fields.get("password")
    return value is not None and value.strip().lower() != "auto"


def _form_values(fields: dict[str, str]) -> dict[str, str]:
    """What a form may show back: canonical keys, never a password."""
    out: dict[str, str] = {}
    for key, value in fields.items():
        canon = canonical_key(key)
        if canon and canon != "password":
            out[canon] = value
    return out


async def scope(ctx: Context, request: Request) -> Scope:
    """Read ``create trunk …`` (no Webex call): the org and location it names.

    A password typed in a group space is refused here, before anything else happens.
    """
    dry_run, args = take_flag(request.args, DRY_RUN)
    fields = parse_args(args) if args.strip() else Fields()
    if _typed_password(fields):
        scrub_in_request(fields["password"])
        if not ctx.event.space.is_direct:
            raise NotAllowed(replies.TYPED_IN_GROUP_REFUSAL, reason="password typed in a group")
    ctx.audit.request = {k: v for k, v in fields.items() if k != "password"} or None
    org = fields.get("org") or None
    if not fields:
        return Scope(org=org, parsed=Parsed(fields, None, dry_run=dry_run), request=request)
    try:
        trunk = TrunkRequest.from_fields(fields)
    except InvalidRequest as exc:
        if all(p.code == "missing" for p in exc.problems):
            parsed = Parsed(fields, None, exc, dry_run=dry_run)
            return Scope(org=org, parsed=parsed, request=request)
        raise
    parsed = Parsed(fields, trunk, dry_run=dry_run)
    return Scope(org=trunk.org_id, location=trunk.location, parsed=parsed, request=request)


def rewrite(args: str, key: str, value: str) -> str:
    """The request with ``key`` answered (the person picked one of several locations)."""
    return answer_key(args, key, value, flags=(DRY_RUN,))


def command(services: Services) -> Command:
    async def run(ctx: Context, permit: Permit, scope_: Scope) -> None:
        await create(services, ctx, permit, scope_.parsed)

    return Command(
        action=ACTION,
        words=("create", "trunk"),
        scope=scope,
        handler=run,
        rewrite=rewrite,
        usage=(
            '`create trunk name=<name> location="<location>"` — a registering trunk (Cisco '
            "CUBE local gateway), its password generated by Webex; `type=certificate "
            "device=<device> address=<fqdn> domain=<domain> port=<port> max-calls=<n>` for a "
            "certificate-based one; optional `dual-identity=yes|no`, `org=<orgId>`{password}; "
            "add `dry-run` to check without creating; `create trunk` alone brings a form"
        ),
        example="create trunk name=gate-1 location=Madrid",
    )


async def create(services: Services, ctx: Context, permit: Permit, parsed: Parsed) -> None:
    ev = ctx.event
    if not parsed.fields:
        await send_form(services, ctx, permit, values={}, errors={})
        return
    key = f"message:{ev.message_id or ev.id}"
    if parsed.dry_run and parsed.request is None and parsed.missing is not None:
        raise parsed.missing  # a dry run answers in words, never with a form
    if await answered_before(services, ctx, key):
        return
    if parsed.request is None:
        missing = parsed.missing
        errors = {p.key or p.field: p.message for p in missing.problems} if missing else {}
        await send_form(
            services,
            ctx,
            permit,
            values=_form_values(parsed.fields),
            errors=errors,
            text=missing.user_message if missing else None,
        )
        ctx.audit.result = "invalid"
        return
    at_once = not (parsed.dry_run or permit.confirm or permit.needs_approval)
    # Created at once: the create's own answer says whether the name is taken.
    prepared = await prepare_create(services, ctx, parsed.request, permit, check_name=not at_once)
    await route_group_permit(services, ctx, prepared)  # `route-group=`: asked up front too
    ctx.audit.request = prepared.summary()
    if parsed.dry_run:
        ctx.audit.result = "dry-run"
        await ctx.reply(replies_dry_run(prepared, permit))
        return
    if permit.confirm:
        await send_confirm(services, ctx, prepared, parsed.request.password)
    elif permit.needs_approval:
        await ask_create_approval(services, ctx, prepared, parsed.request.password)
    else:
        await execute(services, ctx, prepared, key=key, password=parsed.request.password)


#: How long a resumed request waits for another caller settling its create key by name.
SETTLING_WAIT = 10.0


async def _settled(services: Services, key: str, record: CreateRecord) -> CreateRecord | None:
    """``key``'s record once it is no longer pending, or as it is after SETTLING_WAIT."""
    loop = asyncio.get_running_loop()
    until = loop.time() + SETTLING_WAIT
    current: CreateRecord | None = record
    while current is not None and current.state.value == "pending" and loop.time() < until:
        await asyncio.sleep(0.25)
        current = await services.store.get_create(key)
    return current


async def answered_before(services: Services, ctx: Context, key: str) -> bool:
    """A redelivered or resumed request whose create was already claimed: answer as the
    first time did (before any check that its own trunk would now fail)."""
    record = await services.store.get_create(key)  # the first time: none, one read
    if record is not None and record.state.value == "pending":
        # Its owner died mid-create (we are being resumed): settle it now, by name.
        await settle_if_abandoned(services, key, older_than=STALE_CREATE_SECONDS)
        record = await services.store.get_create(key)
        if record is not None and record.state.value == "pending":
            # Someone holds it at this moment: reconciliation on this replica or another,
            # settling it by name. Wait for its verdict (released: create it now; done:
            # answer as done) rather than leave the person without an answer.
            record = await _settled(services, key, record)
    if record is None or record.state.value == "released":
        return False
    ctx.audit.result = "duplicate"
    if record.state.value == "done":
        done = json.loads(record.result_json or "{}")
        ctx.audit.trunk_id = done.get("trunk_id")
        await ctx.reply(replies.already_done(record.name, str(done.get("trunk_id", ""))))
    elif record.state.value == "failed":
        failed = json.loads(record.error_json or "{}")
        await ctx.reply(str(failed.get("sentence") or replies.ALREADY_FAILED))
    else:
        await ctx.reply(replies.in_progress(record.name))
    return True


async def send_form(
    services: Services,
    ctx: Context,
    permit: Permit,
    *,
    values: dict[str, str],
    errors: Mapping[str, str],
    text: str | None = None,
) -> None:
    """Post the form card (prefilled, problems at their fields), bound to a fresh nonce.
    It offers only the locations ``permit`` covers, in the org the gate admitted."""
    ev = ctx.event
    org_id = permit.org_id
    locations = [
        loc
        for loc in await services.calling.list_locations(org_id=org_id)
        if permit.covers(loc.id, loc.name)
    ]
    trunk_types = await services.calling.trunk_types(org_id=org_id)
    offered = {
        "locations": [loc.id for loc in locations],
        "devices": [d.device_type for t in trunk_types for d in t.device_types],
        "org": org_id,
        "direct": ev.space.is_direct,
        "thread_id": ev.thread_id if not ev.space.is_direct else None,
        "for": ev.actor.email or None,
    }
    nonce = await cardkit.issue_nonce(services, ctx, FORM, offered)
    card = cards.form_card(
        nonce=nonce,
        locations=locations,
        trunk_types=trunk_types,
        values=values,
        errors=errors,
        direct=ev.space.is_direct,
        note=text,
    )
    await cardkit.post_card(services, ctx, nonce, text or cards.fallback_text(card), card)


async def send_confirm(
    services: Services, ctx: Context, prepared: Prepared, password: SecretStr | None
) -> None:
    """Post the summary with Create and Cancel; a typed password waits in memory only."""
    ev = ctx.event
    payload = {
        "request": prepared.summary(),
        "typed_password": password is not None,
        "thread_id": ev.thread_id if not ev.space.is_direct else None,
        "for": ev.actor.email or None,
    }
    nonce = await cardkit.issue_nonce(services, ctx, CONFIRM, payload)
    if password is not None:
        services.vault.put(nonce, password, services.card_ttl)
    card = cards.confirm_card(
        nonce=nonce,
        facts=prepared.facts(),
        requester=ev.actor.email or ev.actor.person_id,
        note=replies.confirm_note(),
    )
    await cardkit.post_card(services, ctx, nonce, replies.confirm_text(prepared.request.name), card)
    ctx.audit.result = "awaiting-confirmation"
