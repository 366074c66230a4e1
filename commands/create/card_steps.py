"""The create cards: the form (Review, Cancel) and the summary (Create, Cancel).

Each is a command the router gates like a text one (action ``trunk.create``): the form's
scope is the location and org it was filled in with, the summary's the ones it shows. The
inputs are untrusted: exactly the form's fields, within size, with choices among those
offered, and the same TrunkRequest validation as a text command. The create is keyed on the
summary card's nonce, so even a second winner could not make a second trunk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import cards, replies
from bot.errors import CardRefused, UsageError
from bot.events import Context
from bot.gate import Permit
from bot.grammar import Fields
from bot.logs import scrub_in_request
from bot.router import CardSubmission, Command, Request, Scope
from bot.validation import CERTIFICATE_ONLY_KEYS, InvalidRequest, TrunkRequest
from commands.cardkit import CONFIRM, FORM, consume
from commands.create.flow import ask_create_approval, execute
from commands.create.prepare import ACTION, fields_from_summary, prepare_create
from commands.create.text import answered_before, send_confirm, send_form

if TYPE_CHECKING:
    from bot.services import Services

FORM_KEYS = frozenset(cards.FORM_INPUTS)  # the only keys a form submission may carry
MAX_VALUE = 256


def _card(request: Request) -> CardSubmission:
    if request.card is None:
        raise CardRefused(replies.CARD_NOT_OURS)
    return request.card


def _clean_inputs(inputs: dict[str, Any], payload: dict[str, Any], direct: bool) -> Fields:
    """The form's inputs, refused if anything was added, oversized, or not offered."""
    fields = Fields()
    for key, value in inputs.items():
        if key == cards.DATA_KEY:
            continue
        if key not in FORM_KEYS or (key == "password" and not direct):
            raise CardRefused(replies.card_unexpected_input(key))
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise CardRefused(replies.card_oversized(key))
        fields[key] = value
    if fields.get("type", "") in ("", cards.TYPE_REGISTERING):
        for key in CERTIFICATE_ONLY_KEYS:  # hidden certificate inputs still post
            fields.pop(key, None)
    offered = {"location": payload.get("locations"), "device": payload.get("devices")}
    for key, allowed in offered.items():
        value = fields.get(key, "")
        if value and isinstance(allowed, list) and allowed and value not in allowed:
            # Above the choice limit the form asks for a typed location name instead.
            if key == "location" and len(allowed) > cards.LOCATION_CHOICES_MAX:
                continue
            raise CardRefused(replies.card_not_offered(key))
    if fields.get("type", "") not in ("", cards.TYPE_REGISTERING, cards.TYPE_CERTIFICATE):
        raise CardRefused(replies.card_not_offered("type"))
    if fields.get("dual-identity", "") not in ("", "yes", "no"):
        raise CardRefused(replies.card_not_offered("dual-identity"))
    if payload.get("org"):
        fields["org"] = str(payload["org"])
    return fields


async def form_scope(ctx: Context, request: Request) -> Scope:
    """The form's inputs, cleaned; its org, and the location it names."""
    card = _card(request)
    org = card.payload.get("org")
    if card.verb == cards.CANCEL:
        return Scope(org=org, request=request)
    fields = _clean_inputs(card.inputs, card.payload, ctx.event.space.is_direct)
    scrub_in_request(fields.get("password"))
    ctx.audit.request = {k: v for k, v in fields.items() if k != "password"}
    return Scope(org=org, location=fields.get("location") or None, parsed=fields, request=request)


async def confirm_scope(ctx: Context, request: Request) -> Scope:
    """The summary the card shows: its org and location."""
    card = _card(request)
    summary = card.payload.get("request") or {}
    ctx.audit.request = summary
    if card.verb == cards.CANCEL:
        return Scope(org=summary.get("org"), request=request)
    return Scope(
        org=summary.get("org"),
        location=str(summary.get("location_id", "")),
        parsed=summary,
        request=request,
    )


def commands(services: Services) -> list[Command]:
    async def form(ctx: Context, permit: Permit, scope: Scope) -> None:
        card = _card(scope.request)
        await consume(services, ctx, card)
        await _form(services, ctx, permit, card, scope.parsed)

    async def confirm(ctx: Context, permit: Permit, scope: Scope) -> None:
        await _confirm(services, ctx, permit, _card(scope.request))

    return [
        Command(action=ACTION, purpose=FORM, scope=form_scope, handler=form),
        Command(action=ACTION, purpose=CONFIRM, scope=confirm_scope, handler=confirm),
    ]


async def _form(
    services: Services,
    ctx: Context,
    permit: Permit,
    card: CardSubmission,
    fields: Fields | None,
) -> None:
    if card.verb == cards.CANCEL or fields is None:
        await ctx.delete(card.record.message_id)
        await ctx.reply(replies.CANCELLED)
        ctx.audit.result = "cancelled"
        return
    values = {k: v for k, v in fields.items() if k not in ("password", "org")}
    try:
        request = TrunkRequest.from_fields(fields, ignore_empty=True)
        prepared = await prepare_create(services, ctx, request, permit)
    except InvalidRequest as exc:
        errors = {p.key or p.field: p.message for p in exc.problems}
        await ctx.delete(card.record.message_id)
        await send_form(services, ctx, permit, values=values, errors=errors, text=exc.user_message)
        ctx.audit.result = "invalid"
        return
    except UsageError as exc:
        await ctx.delete(card.record.message_id)
        await send_form(services, ctx, permit, values=values, errors={}, text=exc.user_message)
        ctx.audit.result = "invalid"
        return
    await ctx.delete(card.record.message_id)
    ctx.audit.request = prepared.summary()
    await send_confirm(services, ctx, prepared, request.password)


async def _confirm(services: Services, ctx: Context, permit: Permit, card: CardSubmission) -> None:
    nonce = card.nonce
    used = await consume(services, ctx, card, resume=card.verb == cards.CONFIRM)
    resumed = not used.ok
    if resumed and await answered_before(services, ctx, f"card:{nonce}"):
        # The same person's Create again: a double click, a redelivery, or a restart that
        # cut the first one short. The create key answers (or finishes) it, never twice.
        return
    # Kept until the create is settled: a double click racing this one may still need it.
    password = services.vault.get(nonce)
    if card.verb == cards.CANCEL:
        services.vault.pop(nonce)
        await ctx.delete(card.record.message_id)
        await ctx.reply(replies.CANCELLED)
        ctx.audit.result = "cancelled"
        return
    if card.payload.get("typed_password") and password is None:
        raise UsageError(replies.TYPED_PW_FORGOTTEN)
    if password is not None:
        scrub_in_request(password.get_secret_value())
    summary = card.payload.get("request") or {}
    request = TrunkRequest.from_fields(fields_from_summary(summary))
    if password is not None:
        request = request.model_copy(update={"password": password})
    # Re-checked: the world (and the policy: the gate just ran) may have moved since.
    prepared = await prepare_create(services, ctx, request, permit, check_name=not resumed)
    ctx.audit.request = prepared.summary()
    if permit.needs_approval:
        if resumed:
            raise CardRefused(replies.CARD_ALREADY_USED)  # the approval request exists already
        await ask_create_approval(services, ctx, prepared, password)
        services.vault.pop(nonce)
        return
    try:
        await execute(services, ctx, prepared, key=f"card:{nonce}", password=password)
    finally:
        services.vault.pop(nonce)
