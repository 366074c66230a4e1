"""Reading a card submission before the gate, and using its nonce after.

Anyone who can see a card can post any inputs to it (Webex checks nothing), so a submission is
looked at only when its ``trunkbot`` data names a nonce this bot issued, for this space and
this card message, with a verb that card offers; in a group space the submitter must be the
person the card was made for (an approval card is for any approver). The router then gates
it like any command (the nonce's purpose names the command, and so the action); the handler
uses the nonce atomically (one winner for a double click or a replay).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot import cards, replies
from bot.errors import CardRefused, NotAllowed
from bot.events import Context
from bot.router import CardReader, CardSubmission
from bot.store import NonceOutcome, NonceResult

if TYPE_CHECKING:
    from bot.services import Services

FORM, CONFIRM, APPROVAL = "form", "confirm", "approval"
# A change to an existing trunk: the picker (which trunk, what to change) and the summary.
PICK_UPDATE, PICK_DELETE, UPDATE, DELETE = "pick-update", "pick-delete", "update", "delete"
# A location's PSTN connection: its summary card (commands.gateway.connect).
CONNECT = "connect"
# A file of trunks (commands.bulk): Create N / Cancel, and Stop while it runs.
BULK_CONFIRM, BULK_STOP, STOP = "bulk-confirm", "bulk-stop", "stop"
VERBS = {
    FORM: {cards.REVIEW, cards.CANCEL},
    CONFIRM: {cards.CONFIRM, cards.CANCEL},
    APPROVAL: {cards.APPROVE, cards.REJECT},
    PICK_UPDATE: {cards.REVIEW, cards.CANCEL},
    PICK_DELETE: {cards.REVIEW, cards.CANCEL},
    UPDATE: {cards.CONFIRM, cards.CANCEL},
    DELETE: {cards.CONFIRM, cards.CANCEL},
    CONNECT: {cards.CONFIRM, cards.CANCEL},
    BULK_CONFIRM: {cards.CONFIRM, cards.CANCEL},
    BULK_STOP: {STOP},
}
MAX_NONCE = 128


def _meta(inputs: dict[str, Any]) -> tuple[str, str]:
    data = inputs.get(cards.DATA_KEY)
    if not isinstance(data, dict):
        raise CardRefused(replies.CARD_NOT_OURS)
    nonce, verb = data.get("nonce"), data.get("action")
    if not isinstance(nonce, str) or not isinstance(verb, str) or not 0 < len(nonce) <= MAX_NONCE:
        raise CardRefused(replies.CARD_NOT_OURS)
    return nonce, verb


def reader(services: Services) -> CardReader:
    async def read(ctx: Context) -> CardSubmission:
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
        payload = json.loads(record.payload_json)
        # Answer in the thread the card was posted in (a reply to a reply is refused).
        thread = payload.get("thread_id")
        ctx.event = ev = replace(ev, parent_id=thread if isinstance(thread, str) else None)
        if verb not in VERBS.get(record.purpose, set()):
            raise CardRefused(replies.CARD_NOT_OURS)
        return CardSubmission(nonce, verb, record, inputs, payload)

    return read


async def check_person(ctx: Context, card: CardSubmission) -> None:
    """A card is for the person it was made for; an approval card for anyone but them.
    (Refused before the nonce is used, so the card stays live for the right person.)"""
    person_id, record = ctx.event.actor.person_id, card.record
    if record.purpose != APPROVAL and record.person_id != person_id:
        owner = card.payload.get("for") or "the person who asked for it"
        raise NotAllowed(replies.card_for_someone_else(str(owner)), reason="someone else's card")
    if record.purpose == APPROVAL and record.person_id == person_id:
        raise NotAllowed(replies.NO_SELF_APPROVAL, reason="requester can't approve")


async def consume(
    services: Services, ctx: Context, card: CardSubmission, *, resume: bool = False
) -> NonceResult:
    """Use the card's nonce (after the gate): one winner; the others get why not (with
    ``resume``, the same person's press of a live card again is returned as USED)."""
    ev = ctx.event
    used = await services.store.use_nonce(
        card.nonce,
        room_id=ev.space.room_id,
        person_id=ev.actor.person_id,
        message_id=ev.card_message_id or "",
        person_must_match=card.record.purpose != APPROVAL,
    )
    if used.ok or (resume and resumable(used, ev.actor.person_id)):
        return used
    raise CardRefused(refusal(used.outcome))


def resumable(used: NonceResult, person_id: str) -> bool:
    """The same person's second press of a card that is still within its life (a double
    click, a redelivery, a restart mid-create): the create key answers it. An expired card
    stays dead whatever the key says."""
    record = used.record
    return (
        used.outcome is NonceOutcome.USED
        and record is not None
        and record.used_by == person_id
        and record.expires_at > datetime.now(UTC)
    )


def refusal(outcome: NonceOutcome) -> str:
    if outcome is NonceOutcome.EXPIRED:
        return replies.CARD_EXPIRED
    if outcome is NonceOutcome.USED:
        return replies.CARD_ALREADY_USED
    return replies.CARD_NOT_OURS


async def issue_nonce(
    services: Services,
    ctx: Context,
    purpose: str,
    payload: dict[str, Any],
    *,
    ttl: float | None = None,
) -> str:
    """The nonce of a card for this person in this space (``payload`` kept server-side), live
    for ``ttl`` seconds (a card's life unless said)."""
    ev = ctx.event
    return await services.store.issue_nonce(
        purpose=purpose,
        room_id=ev.space.room_id,
        person_id=ev.actor.person_id,
        message_id=None,
        payload_json=json.dumps(payload),
        ttl_seconds=services.card_ttl if ttl is None else ttl,
    )


async def post_card(
    services: Services, ctx: Context, nonce: str, text: str, card: dict[str, Any]
) -> str | None:
    """Reply with ``card`` and bind its nonce to the message that carries it."""
    message_id = await ctx.reply(text, card=card)
    if message_id:
        await services.store.attach_message(nonce, message_id)
    return message_id
