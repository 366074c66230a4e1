"""`gateway config <trunk> [interface=…] [tenant=…] [dial-peer=…] [org=…]` (``trunk.read``).

The configuration goes 1:1 only: in a group space the answer there is only that it was sent
1:1. Later requests can't know the trunk's password (no GET returns it), so it is a marked
placeholder, and the reply says how to get a new one. A certificate-based trunk gets the
values its SBC needs instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.errors import UsageError
from bot.events import Context
from bot.gate import Permit
from bot.gateway_config import (
    DEFAULT_DIAL_PEER,
    DEFAULT_INTERFACE,
    DEFAULT_TENANT,
    INTERFACE,
    Options,
    config_message,
    ios_config,
    sbc_values,
)
from bot.router import Command, Request, Scope
from bot.webex.models import TrunkSummary
from commands.args import answer_target, take_target
from commands.gateway import words
from commands.gateway.reading import (
    number,
    read_keys,
    split_words,
    the_trunk,
    trunk_locator,
)

if TYPE_CHECKING:
    from bot.services import Services

READ = "trunk.read"
NAME = "gateway config"
KEYS = frozenset({"interface", "tenant", "dial-peer", "org"})


@dataclass
class ConfigRequest:
    target: str
    options: Options
    chosen: bool  # the person set an option
    trunk: list[TrunkSummary] = field(default_factory=list)


def read_options(keys: dict[str, str]) -> Options:
    interface = keys.get("interface", DEFAULT_INTERFACE)
    if not INTERFACE.fullmatch(interface):
        raise UsageError(words.bad_interface(interface))
    tenant = number("tenant", keys.get("tenant"), low=1, high=10000)
    dial_peer = number("dial-peer", keys.get("dial-peer"), low=1, high=2147483647)
    return Options(
        interface=interface,
        tenant=DEFAULT_TENANT if tenant is None else tenant,
        dial_peer=DEFAULT_DIAL_PEER if dial_peer is None else dial_peer,
    )


def command(services: Services) -> Command:
    async def scope(_ctx: Context, request: Request) -> Scope:
        target, rest = take_target(request.args)
        keys = read_keys(NAME, split_words(NAME, rest), KEYS)
        if target is None:
            raise UsageError("Which trunk? Say `gateway config <name or ID>`.")
        options = read_options(keys)
        chosen = any(k in keys for k in ("interface", "tenant", "dial-peer"))
        parsed = ConfigRequest(target, options, chosen)
        return Scope(
            org=keys.get("org") or None,
            parsed=parsed,
            request=request,
            locate=trunk_locator(services, target, parsed.trunk),
        )

    async def handler(ctx: Context, permit: Permit, scope_: Scope) -> None:
        parsed: ConfigRequest = scope_.parsed
        trunk = the_trunk(parsed.trunk)
        ctx.audit.trunk_id = trunk.id
        details = await services.calling.get_trunk(trunk.id, org_id=permit.org_id)
        if details.is_registering:
            where = permit.location.name if permit.location else None
            text = ios_config(
                details,
                options=parsed.options,
                stun_secret=secrets.token_hex(16),
                location=where,
            )
            message = config_message(details, text, with_password=False)
        else:
            if parsed.chosen:
                raise UsageError(words.no_option_for_certificate(details.name))
            message = words.certificate_values(details.name, sbc_values(details))
        if not ctx.event.space.is_direct:
            await ctx.reply(words.sent_one_to_one(details.name))
        await ctx.reply_private(message)
        ctx.audit.result = "sent"

    return Command(
        action=READ,
        words=("gateway", "config"),
        scope=scope,
        handler=handler,
        example="gateway config lifecycle-1",
        usage=words.GATEWAY_USAGE,
        rewrite=lambda args, _key, value: answer_target(args, value),
    )
