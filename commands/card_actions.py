"""Card submissions: every one is untrusted input, checked before anything happens.

Anyone who can see a card can post any inputs to it (webex-api.md), so a submission counts
only when:

1. its ``trunkbot`` data names a nonce this bot issued, for this space and this card message,
   not expired, not used; in a group space the submitter must be the person the card was
   made for (anyone else is told so, and the nonce stays live for its owner);
2. the verb is one that card offers;
3. the submitter is authorized again, now;
4. the inputs are exactly the form's fields, within size, with choices among those offered,
   and pass the same TrunkRequest validation as a text command.

The nonce is consumed atomically (one winner for a double click or a replay); the create is
keyed on it, so even a second winner could not make a second trunk.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot import cards, replies
from bot.auth import require
from bot.errors import CardRefused, NotAllowed, UsageError
from bot.events import Actor, Context, Event, Space, SpaceKind
from bot.grammar import Fields
from bot.logs import PASSWORD_TTL, SECRETS
from bot.store import ApprovalOutcome, CardNonce, NonceOutcome
from bot.validation import CERTIFICATE_ONLY_KEYS, InvalidRequest, TrunkRequest
from commands.create_trunk import (
    CONFIRM,
    FORM,
    answered_before,
    fields_from_summary,
    send_confirm,
    send_form,
)
from commands.flow import ACTION, Prepared, execute, prepare

if TYPE_CHECKING:
    from bot.app import Services

APPROVAL = "approval"
VERBS = {
    FORM: {cards.REVIEW, cards.CANCEL},
    CONFIRM: {cards.CONFIRM, cards.CANCEL},
    APPROVAL: {cards.APPROVE, cards.REJECT},
}
FORM_KEYS = frozenset(cards.FORM_INPUTS)  # the only keys a form submission may carry
MAX_VALUE = 256
MAX_NONCE = 128


def _meta(inputs: dict[str, Any]) -> tuple[str, str]:
    data = inputs.get(cards.DATA_KEY)
    if not isinstance(data, dict):
        raise CardRefused(replies.CARD_NOT_OURS)
    nonce, verb = data.get("nonce"), data.get("action")
    if not isinstance(nonce, str) or not isinstance(verb, str) or not 0 < len(nonce) <= MAX_NONCE:
        raise CardRefused(replies.CARD_NOT_OURS)
    return nonce, verb


async def handle(services: Services, ctx: Context) -> None:
    """Answer one card submission (router entry point for ``event.card_inputs``)."""
    ev = ctx.event
    inputs = dict(ev.card_inputs or {})
    nonce, verb = _meta(inputs)
    record = await services.store.get_nonce(nonce)
    if (
        record is None
        or record.room_id != ev.space.room_id
        or record.message_id is None
        or record.message_id != ev.card_message_id
    ):
        raise CardRefused(replies.CARD_NOT_OURS)
    ctx.audit.action = "approve" if record.purpose == APPROVAL else ACTION
    # Answer in the thread the card was posted in (a reply to a reply is refused by Webex).
    thread = json.loads(record.payload_json).get("thread_id")
    ctx.event = ev = replace(ev, parent_id=thread if isinstance(thread, str) else None)
    for_anyone = record.purpose == APPROVAL
    if not for_anyone and record.person_id != ev.actor.person_id:
        owner = json.loads(record.payload_json).get("for") or "the person who asked for it"
        raise NotAllowed(replies.card_for_someone_else(str(owner)))
    if verb not in VERBS.get(record.purpose, set()):
        raise CardRefused(replies.CARD_NOT_OURS)
    if for_anyone:
        # Before the nonce is used: a refused self-approval must not burn the approvers' card.
        approval = await services.store.get_approval(
            str(json.loads(record.payload_json).get("approval_id", ""))
        )
        if approval is not None and approval.requester_id == ev.actor.person_id:
            raise NotAllowed(replies.NO_SELF_APPROVAL)
    # Authorized again, on the submitter, now (the card may be old; the policy may have changed).
    await require(
        services.policy,
        ev.actor,
        "approve" if for_anyone else ACTION,
        space=ev.space,
        membership=services.membership,
        check_scope=False,
    )
    used = await services.store.use_nonce(
        nonce,
        room_id=ev.space.room_id,
        person_id=ev.actor.person_id,
        message_id=ev.card_message_id or "",
        person_must_match=not for_anyone,
    )
    resumed = (
        used.outcome is NonceOutcome.USED
        and record.purpose == CONFIRM
        and verb == cards.CONFIRM
        and used.record is not None
        and used.record.used_by == ev.actor.person_id
    )
    if resumed:
        # The same person's Create again: a double click, a redelivery, or a restart that
        # cut the first one short. The create key answers (or finishes) it, never twice.
        if await answered_before(services, ctx, f"card:{nonce}"):
            return
    elif not used.ok:
        raise CardRefused(_nonce_refusal(used.outcome))
    payload = json.loads(used.record.payload_json) if used.record else {}
    if record.purpose == FORM:
        await _form(services, ctx, verb, inputs, payload, record)
    elif record.purpose == CONFIRM:
        await _confirm(services, ctx, verb, payload, nonce, record, resumed=resumed)
    else:
        await _approval(services, ctx, verb, payload)


def _nonce_refusal(outcome: NonceOutcome) -> str:
    if outcome is NonceOutcome.EXPIRED:
        return replies.CARD_EXPIRED
    if outcome is NonceOutcome.USED:
        return replies.CARD_ALREADY_USED
    return replies.CARD_NOT_OURS


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


async def _form(
    services: Services,
    ctx: Context,
    verb: str,
    inputs: dict[str, Any],
    payload: dict[str, Any],
    record: CardNonce,
) -> None:
    ev = ctx.event
    if verb == cards.CANCEL:
        await ctx.delete(record.message_id)
        await ctx.reply(replies.CANCELLED)
        ctx.audit.result = "cancelled"
        return
    fields = _clean_inputs(inputs, payload, ev.space.is_direct)
    typed = fields.get("password", "")
    if typed:
        SECRETS.add(typed, ttl=PASSWORD_TTL)
    ctx.audit.request = {k: v for k, v in fields.items() if k != "password"}
    values = {k: v for k, v in fields.items() if k not in ("password", "org")}
    try:
        request = TrunkRequest.from_fields(fields, ignore_empty=True)
        prepared = await prepare(services, ctx, request)
    except InvalidRequest as exc:
        errors = {p.key or p.field: p.message for p in exc.problems}
        await ctx.delete(record.message_id)
        await send_form(services, ctx, values=values, errors=errors, text=exc.user_message)
        ctx.audit.result = "invalid"
        return
    except UsageError as exc:
        await ctx.delete(record.message_id)
        await send_form(services, ctx, values=values, errors={}, text=exc.user_message)
        ctx.audit.result = "invalid"
        return
    await ctx.delete(record.message_id)
    ctx.audit.request = prepared.summary()
    await send_confirm(services, ctx, prepared, request.password)


async def _confirm(
    services: Services,
    ctx: Context,
    verb: str,
    payload: dict[str, Any],
    nonce: str,
    record: CardNonce,
    *,
    resumed: bool = False,
) -> None:
    # Kept until the create is settled: a double click racing this one may still need it.
    password = services.vault.get(nonce)
    if verb == cards.CANCEL:
        services.vault.pop(nonce)
        await ctx.delete(record.message_id)
        await ctx.reply(replies.CANCELLED)
        ctx.audit.result = "cancelled"
        return
    if payload.get("typed_password") and password is None:
        raise UsageError(replies.TYPED_PW_FORGOTTEN)
    summary = payload.get("request") or {}
    request = TrunkRequest.from_fields(fields_from_summary(summary))
    if password is not None:
        request = request.model_copy(update={"password": password})
    # Re-checked: the world (and the policy) may have moved since the card was made.
    prepared = await prepare(services, ctx, request, check_name=not resumed)
    ctx.audit.request = prepared.summary()
    grant = prepared.decision.grant
    if grant is not None and grant.approval == "required":
        if resumed:
            raise CardRefused(replies.CARD_ALREADY_USED)  # the approval request exists already
        await _ask_approval(services, ctx, prepared, password, grant.approvers_space)
        services.vault.pop(nonce)
        return
    try:
        await execute(services, ctx, prepared, key=f"card:{nonce}", password=password)
    finally:
        services.vault.pop(nonce)


async def _ask_approval(
    services: Services,
    ctx: Context,
    prepared: Prepared,
    password: SecretStr | None,
    approvers_space: str | None,
) -> None:
    ev = ctx.event
    if not approvers_space:
        raise UsageError(replies.NO_APPROVERS_SPACE)
    request = {
        "summary": prepared.summary(),
        "requester": {
            "person_id": ev.actor.person_id,
            "email": ev.actor.email,
            "org_id": ev.actor.org_id,
        },
        "room_id": ev.space.room_id,
        "room_kind": ev.space.kind.value,
        "thread_id": ev.thread_id,
        "typed_password": password is not None,
    }
    approval_id = await services.store.create_approval(
        request_json=json.dumps(request),
        requester_id=ev.actor.person_id,
        approvers_room=approvers_space,
        ttl_seconds=services.approval_ttl,
    )
    if password is not None:
        services.vault.put(f"approval:{approval_id}", password, services.approval_ttl)
    nonce = await services.store.issue_nonce(
        purpose=APPROVAL,
        room_id=approvers_space,
        person_id=ev.actor.person_id,
        message_id=None,
        payload_json=json.dumps({"approval_id": approval_id}),
        ttl_seconds=services.approval_ttl,
    )
    card = cards.approval_card(
        nonce=nonce,
        facts=prepared.facts(),
        requester=ev.actor.email or ev.actor.person_id,
        expires=replies.expires_in(services.approval_ttl),
    )
    message_id = await ctx.post(
        approvers_space,
        replies.approval_request_text(ev.actor.email or ev.actor.person_id, prepared.request.name),
        card=card,
    )
    if message_id:
        await services.store.attach_message(nonce, message_id)
    ctx.audit.result = "awaiting-approval"
    await ctx.reply(replies.sent_for_approval(prepared.request.name))


async def _approval(services: Services, ctx: Context, verb: str, payload: dict[str, Any]) -> None:
    ev = ctx.event
    approval_id = str(payload.get("approval_id", ""))
    approval = await services.store.get_approval(approval_id)
    if approval is None:
        raise CardRefused(replies.CARD_NOT_OURS)
    ctx.audit.approver_id = ev.actor.person_id
    result = await services.store.decide_approval(
        approval_id, approver_id=ev.actor.person_id, approve=verb == cards.APPROVE
    )
    if result.outcome is ApprovalOutcome.EXPIRED:
        raise CardRefused(replies.APPROVAL_EXPIRED)
    if not result.decided:
        raise CardRefused(replies.CARD_ALREADY_USED)
    request = json.loads(approval.request_json)
    requester = request["requester"]
    requester_ctx = Context(
        event=Event(
            id=f"approval:{approval_id}",
            actor=Actor(requester["person_id"], requester["email"], requester.get("org_id")),
            space=Space(request["room_id"], SpaceKind(request["room_kind"])),
            message_id=request.get("thread_id"),
        ),
        outbox=ctx.outbox,
        sent=ctx.sent,
        audit=ctx.audit,
    )
    approver = ev.actor.email or ev.actor.person_id
    if verb == cards.REJECT:
        ctx.audit.result = "rejected"
        await ctx.reply(replies.approval_rejected_here(request["summary"]["name"]))
        await requester_ctx.reply(replies.approval_rejected(request["summary"]["name"], approver))
        return
    await ctx.reply(replies.approval_approved_here(request["summary"]["name"]))
    password = services.vault.pop(f"approval:{approval_id}")
    if request.get("typed_password") and password is None:
        await requester_ctx.reply(replies.TYPED_PW_FORGOTTEN)
        return
    trunk_request = TrunkRequest.from_fields(fields_from_summary(request["summary"]))
    if password is not None:
        trunk_request = trunk_request.model_copy(update={"password": password})
    await requester_ctx.reply(replies.approval_approved(request["summary"]["name"], approver))
    prepared = await prepare(services, requester_ctx, trunk_request)
    await execute(
        services, requester_ctx, prepared, key=f"approval:{approval_id}", password=password
    )
