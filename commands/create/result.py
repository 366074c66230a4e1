"""What a created trunk's requester is told: the result (text and a card), then one 1:1
message with the generated password and, for a registering trunk, its gateway configuration
and a watch that says when the gateway registers."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot import cards, replies
from bot.errors import BotError, WebexError
from bot.events import Context
from bot.gateway_config import GatewayConfigError, config_message, ios_config
from bot.gateway_watch import FIRST_LOOK, WATCH_FOR, watching_note
from bot.logs import delivering_to
from bot.webex.models import TrunkDetails
from commands.create.prepare import Prepared

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


async def deliver_result(
    ctx: Context,
    prepared: Prepared,
    services: Services,
    trunk_id: str,
    recovered: bool,
    generated: SecretStr | None,
) -> None:
    """The result, as text and a card, then one 1:1 message without a card: the generated
    password (the only message that holds it) and, for a registering trunk, its gateway
    configuration. Webex clients show a message's card rather than its text, so neither
    rides on the result."""
    ev, req, location = ctx.event, prepared.request, prepared.location
    details: TrunkDetails | None
    try:
        details = await services.calling.get_trunk(trunk_id, org_id=prepared.org_id)
    except WebexError:
        log.warning("trunk.details_unavailable", extra={"trunk_id": trunk_id})
        details = None
    type_label = replies.trunk_type_label(req.trunk_type)
    device = prepared.device.device_type if prepared.device else None
    summary = replies.created(
        name=req.name,
        location=location.name,
        type_label=type_label,
        device=device,
        trunk_id=trunk_id,
        recovered=recovered,
    )
    settings = replies.gateway_settings(details)
    facts = [("Trunk", req.name), ("Location", location.name), ("ID", trunk_id)]
    facts += replies.gateway_facts(details)
    secret = generated.get_secret_value() if generated is not None else None
    title = replies.result_title(req.name, recovered)
    config = await gateway_follow_up(ctx, prepared, services, trunk_id, details, secret)
    if ev.space.is_direct:
        if secret is not None:
            facts.append(("Password", replies.PASSWORD_FOLLOWS))
        card = cards.result_card(
            title=title, facts=facts, password=None, next_step=replies.NEXT_STEP
        )
        text = replies.with_password(settings, None, follows=secret is not None)
        await ctx.reply(summary + "\n" + text, card=card)
        parts = [replies.password_only_here(secret)] if secret is not None else []
        delivery = "\n\n".join([*parts, *([config] if config else [])])
    else:
        card = cards.result_card(
            title=title, facts=facts, password=None, next_step=replies.NEXT_STEP
        )
        await ctx.reply(summary + "\n" + replies.sent_privately(generated is not None), card=card)
        delivery = replies.private_delivery(req.name, location.name, settings, secret)
        delivery += "\n\n" + config if config else ""
    if not delivery:
        return
    if secret is not None:
        delivering_to(secret, ev)
    await ctx.reply_private(delivery)


async def gateway_follow_up(
    ctx: Context,
    prepared: Prepared,
    services: Services,
    trunk_id: str,
    details: TrunkDetails | None,
    secret: str | None,
) -> str:
    """For a registering trunk: its gateway configuration (with the generated password in
    it), for the 1:1 message that carries the password, and a watch that tells the
    requester when the gateway registers. "" for other trunks."""
    if details is None or not details.is_registering:
        return ""
    ev = ctx.event
    typed = secret is None and prepared.request.password is not None
    try:
        config = ios_config(
            details,
            password=secret,
            stun_secret=secrets.token_hex(16),
            location=prepared.location.name,
        )
        message = config_message(
            details, config, with_password=secret is not None, typed_password=typed
        )
    except GatewayConfigError as exc:
        message = exc.user_message
    if details.online is not True:
        try:
            await services.store.add_watch(
                trunk_id,
                name=prepared.request.name,
                org_id=prepared.org_id,
                requester=ev.actor.person_id,
                email=ev.actor.email or None,
                first_in=FIRST_LOOK,
                watch_for=WATCH_FOR,
            )
            message += "\n" + watching_note()
        except BotError:
            log.warning("trunk.watch_not_stored", extra={"trunk_id": trunk_id})
    return message
