"""`create trunk key=value …`: grammar → TrunkRequest → checks → confirm card or create.

The order matters, and each step changes nothing when it fails:

1. the person may create trunks at all (before we look at anything they typed);
2. ``create trunk`` alone answers with the form card;
3. a password typed in a group space is refused before any Webex call;
4. the request is parsed and validated, every problem reported at once (with the form,
   prefilled from what was typed, when only something is missing);
5. :func:`commands.flow.prepare`: org, location, certificate details, name;
6. a confirm card, unless the person's grant says ``confirm = false``; then
   :func:`commands.flow.execute`, keyed on the Webex message id (a redelivery is a no-op).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot import cards, replies
from bot.auth import require
from bot.errors import UsageError
from bot.events import Context
from bot.grammar import Fields, parse_args
from bot.logs import PASSWORD_TTL, SECRETS
from bot.maintenance import STALE_CREATE_SECONDS, settle
from bot.router import Handler
from bot.validation import InvalidRequest, TrunkRequest
from commands.flow import ACTION, Prepared, execute, prepare

if TYPE_CHECKING:
    from bot.app import Services

FORM, CONFIRM = "form", "confirm"


def handler(services: Services) -> Handler:
    async def run(ctx: Context, args: str) -> None:
        await create(services, ctx, args)

    return run


def _typed_password(fields: dict[str, str]) -> bool:
    value = fields.get("password")
    return value is not None and value.strip().lower() != "auto"


def _form_values(fields: dict[str, str]) -> dict[str, str]:
    """What a form may show back: canonical keys, never a password."""
    from bot.grammar import canonical_key

    out: dict[str, str] = {}
    for key, value in fields.items():
        canon = canonical_key(key)
        if canon and canon != "password":
            out[canon] = value
    return out


async def create(services: Services, ctx: Context, args: str) -> None:
    ev = ctx.event
    await require(
        services.policy,
        ev.actor,
        ACTION,
        space=ev.space,
        membership=services.membership,
        check_scope=False,
    )
    if not args.strip():
        await send_form(services, ctx, values={}, errors={})
        return
    fields = parse_args(args)
    if _typed_password(fields):
        SECRETS.add(fields["password"], ttl=PASSWORD_TTL)
    if not ev.space.is_direct and _typed_password(fields):
        raise UsageError(replies.TYPED_IN_GROUP_REFUSAL)
    ctx.audit.request = {k: v for k, v in fields.items() if k != "password"}
    key = f"message:{ev.message_id or ev.id}"
    if await answered_before(services, ctx, key):
        return
    try:
        request = TrunkRequest.from_fields(fields)
    except InvalidRequest as exc:
        if all(p.code == "missing" for p in exc.problems):
            errors = {p.key or p.field: p.message for p in exc.problems}
            await send_form(
                services, ctx, values=_form_values(fields), errors=errors, text=exc.user_message
            )
            ctx.audit.result = "invalid"
            return
        raise
    prepared = await prepare(services, ctx, request)
    ctx.audit.request = prepared.summary()
    if prepared.decision.grant is None or prepared.decision.grant.confirm:
        await send_confirm(services, ctx, prepared, request.password)
        return
    await execute(services, ctx, prepared, key=key, password=request.password)


async def answered_before(services: Services, ctx: Context, key: str) -> bool:
    """A redelivered or resumed request whose create was already claimed: answer as the
    first time did (before any check that its own trunk would now fail)."""
    record = await services.store.get_create(key)
    if record is not None and record.state.value == "pending" and _stale(record.updated_at):
        # Its owner died mid-create (we are being resumed after a restart): settle it now.
        await settle(services, record)
        record = await services.store.get_create(key)
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
    *,
    values: dict[str, str],
    errors: dict[str, str],
    text: str | None = None,
) -> None:
    """Post the form card (prefilled, problems at their fields), bound to a fresh nonce."""
    ev = ctx.event
    org_id = await services.target_org(values.get("org") or None)
    locations = await services.calling.list_locations(org_id=org_id)
    trunk_types = await services.calling.trunk_types(org_id=org_id)
    offered = {
        "locations": [loc.id for loc in locations],
        "devices": [d.device_type for t in trunk_types for d in t.device_types],
        "org": org_id,
        "direct": ev.space.is_direct,
        "thread_id": ev.thread_id if not ev.space.is_direct else None,
        "for": ev.actor.email or None,
    }
    nonce = await services.store.issue_nonce(
        purpose=FORM,
        room_id=ev.space.room_id,
        person_id=ev.actor.person_id,
        message_id=None,
        payload_json=json.dumps(offered),
        ttl_seconds=services.card_ttl,
    )
    card = cards.form_card(
        nonce=nonce,
        locations=locations,
        trunk_types=trunk_types,
        values=values,
        errors=errors,
        direct=ev.space.is_direct,
        note=text,
    )
    message_id = await ctx.reply(text or cards.fallback_text(card), card=card)
    if message_id:
        await services.store.attach_message(nonce, message_id)


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
    nonce = await services.store.issue_nonce(
        purpose=CONFIRM,
        room_id=ev.space.room_id,
        person_id=ev.actor.person_id,
        message_id=None,
        payload_json=json.dumps(payload),
        ttl_seconds=services.card_ttl,
    )
    if password is not None:
        services.vault.put(nonce, password, services.card_ttl)
    card = cards.confirm_card(
        nonce=nonce,
        facts=prepared.facts(),
        requester=ev.actor.email or ev.actor.person_id,
        note=replies.confirm_note(prepared.decision.grant is not None),
    )
    message_id = await ctx.reply(replies.confirm_text(prepared.request.name), card=card)
    if message_id:
        await services.store.attach_message(nonce, message_id)
    ctx.audit.result = "awaiting-confirmation"


def _stale(updated_at: datetime) -> bool:
    age = (datetime.now(UTC) - updated_at).total_seconds()
    return age >= STALE_CREATE_SECONDS


def fields_from_summary(summary: dict[str, object]) -> Fields:
    """The confirm card's stored summary as grammar fields again (to re-validate)."""
    out = Fields()
    for key in ("name", "type", "device", "address", "domain", "port", "max-calls", "org"):
        value = summary.get(key)
        if value is not None:
            out[key] = str(value)
    out["location"] = str(summary["location_id"])
    if summary.get("dual-identity") is not None:
        out["dual-identity"] = "yes" if summary["dual-identity"] else "no"
    return out
