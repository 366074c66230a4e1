"""Changing: `update trunk` and `delete trunk` (actions ``trunk.update``, ``trunk.delete``).

Every change is confirmed on a summary card first (an update breaks the gateway's
registration until it has the new password; a delete can't be undone), goes to the
approvers where the grant requires it, and is made once per key: the summary card's nonce
(or the approval) names a keyed claim in the store, so a double click or a redelivery gets
the first answer and never a second PUT or DELETE. A delete reads the trunk's usage first
and refuses while anything routes calls through it, naming what does.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot import cards, replies
from bot.errors import CardRefused, NotAllowed, UsageError, WebexConflict, WebexError
from bot.events import Context
from bot.gate import Permit
from bot.grammar import Fields
from bot.logs import GENERATED, PASSWORD_TTL, SECRETS, delivering, scrub_in_request
from bot.router import CardSubmission, Command, Request, Scope
from bot.store import ClaimStatus
from bot.validation import password_problem
from bot.webex.models import TrunkDetails, TrunkUpdate
from commands.approvals import Executor, ask_approval
from commands.cardkit import DELETE, PICK_DELETE, PICK_UPDATE, UPDATE, consume
from commands.lifecycle import cards as lcards
from commands.lifecycle import words
from commands.lifecycle.target import TrunkQuery, trunk_scope

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

UPDATE_ACTION, DELETE_ACTION = "trunk.update", "trunk.delete"
UPDATE_KEYS = frozenset({"name", "max-calls", "dual-identity", "password", "org"})
DELETE_KEYS = frozenset({"org"})
MAX_PICK = 100  # a picker lists at most this many trunks (Webex's card size)


def commands(services: Services) -> list[Command]:
    update_scope, update_rewrite = trunk_scope(
        services, "update trunk", UPDATE_KEYS, need_target=False
    )
    delete_scope, delete_rewrite = trunk_scope(
        services, "delete trunk", DELETE_KEYS, need_target=False
    )

    async def update_text(ctx: Context, permit: Permit, scope: Scope) -> None:
        query: TrunkQuery = scope.parsed
        if query.target is None:
            await send_picker(services, ctx, permit, PICK_UPDATE)
            return
        await propose_update(services, ctx, permit, query, query.fields)

    async def delete_text(ctx: Context, permit: Permit, scope: Scope) -> None:
        query: TrunkQuery = scope.parsed
        if query.target is None:
            await send_picker(services, ctx, permit, PICK_DELETE)
            return
        await propose_delete(services, ctx, permit, query)

    async def guarded_update_scope(ctx: Context, request: Request) -> Scope:
        scope = await update_scope(ctx, request)
        _refuse_group_password(ctx, scope.parsed.fields)
        return scope

    return [
        Command(
            action=UPDATE_ACTION,
            words=("update", "trunk"),
            scope=guarded_update_scope,
            handler=update_text,
            example="update trunk lifecycle-1 max-calls=300",
            usage="`update trunk <name> [name=<new name>] [max-calls=<n>] [dual-identity=yes|no]` "
            "— change it (always with a new password); `update trunk` alone brings a card",
            rewrite=update_rewrite,
        ),
        Command(
            action=DELETE_ACTION,
            words=("delete", "trunk"),
            scope=delete_scope,
            handler=delete_text,
            example="delete trunk lifecycle-1",
            usage="`delete trunk <name>` — delete a trunk nothing uses; `delete trunk` alone "
            "brings a card",
            rewrite=delete_rewrite,
        ),
        Command(
            action=UPDATE_ACTION,
            purpose=PICK_UPDATE,
            scope=_picked_scope(services),
            handler=lambda ctx, permit, scope: _picked(services, ctx, permit, scope, UPDATE),
        ),
        Command(
            action=DELETE_ACTION,
            purpose=PICK_DELETE,
            scope=_picked_scope(services),
            handler=lambda ctx, permit, scope: _picked(services, ctx, permit, scope, DELETE),
        ),
        Command(
            action=UPDATE_ACTION,
            purpose=UPDATE,
            scope=_summary_scope,
            handler=lambda ctx, permit, scope: _confirmed(services, ctx, permit, scope, UPDATE),
        ),
        Command(
            action=DELETE_ACTION,
            purpose=DELETE,
            scope=_summary_scope,
            handler=lambda ctx, permit, scope: _confirmed(services, ctx, permit, scope, DELETE),
        ),
    ]


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    """What an approved update or delete needs and does (commands.approvals)."""
    return {UPDATE: (UPDATE_ACTION, _approved_update), DELETE: (DELETE_ACTION, _approved_delete)}


def _refuse_group_password(ctx: Context, fields: Fields) -> None:
    typed = fields.get("password")
    if typed and typed.strip().casefold() != "auto":
        scrub_in_request(typed)
        if not ctx.event.space.is_direct:
            raise NotAllowed(replies.TYPED_IN_GROUP_REFUSAL, reason="password typed in a group")


# --- the picker -------------------------------------------------------------------------


async def send_picker(services: Services, ctx: Context, permit: Permit, purpose: str) -> None:
    """``update trunk`` / ``delete trunk`` alone: a card to pick one of the person's trunks."""
    verb = "update" if purpose == PICK_UPDATE else "delete"
    trunks = sorted(
        (
            t
            for t in await services.calling.list_trunks(org_id=permit.org_id)
            if t.location is not None and permit.covers(t.location.id, t.location.name)
        ),
        key=lambda t: t.name.casefold(),
    )[:MAX_PICK]
    if not trunks:
        raise UsageError(words.NO_TRUNKS.format(verb=verb))
    choices = [(f"{t.name} ({t.location.name if t.location else '?'})", t.id) for t in trunks]
    ev = ctx.event
    payload = {
        "trunks": [t.id for t in trunks],
        "org": permit.org_id,
        "thread_id": ev.thread_id if not ev.space.is_direct else None,
        "for": ev.actor.email or None,
    }
    nonce = await services.store.issue_nonce(
        purpose=purpose,
        room_id=ev.space.room_id,
        person_id=ev.actor.person_id,
        message_id=None,
        payload_json=json.dumps(payload),
        ttl_seconds=services.card_ttl,
    )
    card = lcards.picker(nonce=nonce, verb=verb, trunks=choices)
    message_id = await ctx.reply(words.WHICH_TRUNK.format(verb=verb), card=card)
    if message_id:
        await services.store.attach_message(nonce, message_id)
    ctx.audit.result = "asked"


def _picked_scope(services: Services) -> Any:
    async def scope(ctx: Context, request: Request) -> Scope:
        card = _card(request)
        org = card.payload.get("org")
        if card.verb == cards.CANCEL:
            return Scope(org=org, request=request)
        trunk_id = card.inputs.get(lcards.TRUNK_INPUT)
        offered = card.payload.get("trunks") or []
        if not isinstance(trunk_id, str) or trunk_id not in offered:
            raise CardRefused(replies.card_not_offered("trunk"))
        fields = Fields()
        for key in lcards.UPDATE_INPUTS:
            value = card.inputs.get(key)
            if isinstance(value, int | float) and key == "max-calls":
                value = str(int(value))
            if isinstance(value, str) and value.strip():
                if len(value) > 256:
                    raise CardRefused(replies.card_oversized(key))
                fields[key] = value.strip()
        query = TrunkQuery(trunk_id, fields)
        inner, _ = _trunk_locator(services, query)
        return Scope(org=org, parsed=query, request=request, locate=inner)

    return scope


def _trunk_locator(services: Services, query: TrunkQuery) -> tuple[Any, None]:
    from bot.webex.models import Location

    async def locate(permit: Permit) -> Location:
        trunk = await services.trunks.find_trunk(str(query.target), permit.org_id)
        if trunk.location is None:
            raise NotAllowed(replies.not_allowed(permit.action), reason="trunk has no location")
        query.trunk.append(trunk)
        return Location(id=trunk.location.id, name=trunk.location.name)

    return locate, None


async def _picked(
    services: Services, ctx: Context, permit: Permit, scope: Scope, kind: str
) -> None:
    card = _card(scope.request)
    await consume(services, ctx, card)
    await ctx.delete(card.record.message_id)
    if card.verb == cards.CANCEL:
        await ctx.reply("Cancelled — nothing was changed.")
        ctx.audit.result = "cancelled"
        return
    query: TrunkQuery = scope.parsed
    if kind == UPDATE:
        await propose_update(services, ctx, permit, query, query.fields)
    else:
        await propose_delete(services, ctx, permit, query)


# --- proposing a change -----------------------------------------------------------------


async def propose_update(
    services: Services, ctx: Context, permit: Permit, query: TrunkQuery, fields: Fields
) -> None:
    """Check the changes against Webex, then the summary card."""
    trunk = query.found
    changes: dict[str, Any] = {}
    new_name = (fields.get("name") or "").strip()
    if new_name and new_name != trunk.name:
        if await services.calling.find_trunk_by_name(new_name, org_id=permit.org_id):
            raise UsageError(replies.name_taken(new_name))
        changes["name"] = new_name
    details = await services.calling.get_trunk(trunk.id, org_id=permit.org_id)
    if fields.get("max-calls"):
        changes["max-calls"] = await _max_calls(services, permit, details, fields["max-calls"])
    if fields.get("dual-identity"):
        flag = fields["dual-identity"].strip().casefold()
        if flag not in ("yes", "no"):
            raise UsageError("`dual-identity` is `yes` or `no`.")
        changes["dual-identity"] = flag == "yes"
    typed = fields.get("password")
    password = None
    if typed and typed.strip().casefold() != "auto":
        problem = password_problem(typed)
        if problem is not None:  # Webex's rules, before the summary (as a create checks)
            raise UsageError(problem)
        password = SecretStr(typed)
    if not changes and not typed:
        raise UsageError(words.NOTHING_TO_CHANGE)
    ctx.audit.trunk_id = trunk.id
    ctx.audit.request = {"trunk": trunk.name, **changes}
    facts = [("Trunk", trunk.name), ("Location", _where(permit))]
    facts += [(_label(k), _value(v)) for k, v in changes.items()]
    facts.append(("Password", "typed by you" if password else "new, generated by Webex"))
    await _send_summary(
        services,
        ctx,
        permit,
        kind=UPDATE,
        trunk_id=trunk.id,
        name=trunk.name,
        extra={"changes": changes},
        facts=facts,
        title=f"Change trunk {trunk.name}?",
        button="Change",
        note=words.update_note(password is not None),
        password=password,
    )


async def propose_delete(
    services: Services, ctx: Context, permit: Permit, query: TrunkQuery
) -> None:
    """Refuse while the trunk is in use, naming what uses it; else the summary card."""
    trunk = query.found
    ctx.audit.trunk_id = trunk.id
    ctx.audit.request = {"trunk": trunk.name}
    usage = await services.trunks.usage(trunk.id, org_id=permit.org_id)
    if usage.in_use:
        ctx.audit.result = "in-use"
        raise UsageError(words.in_use_refusal(trunk.name, usage))
    facts = [
        ("Trunk", trunk.name),
        ("Location", _where(permit)),
        ("Type", words.type_label(trunk.trunk_type)),
        ("ID", trunk.id),
    ]
    await _send_summary(
        services,
        ctx,
        permit,
        kind=DELETE,
        trunk_id=trunk.id,
        name=trunk.name,
        extra={},
        facts=facts,
        title=f"Delete trunk {trunk.name}?",
        button="Delete",
        note=words.delete_note(),
        style="destructive",
        password=None,
    )


async def _send_summary(
    services: Services,
    ctx: Context,
    permit: Permit,
    *,
    kind: str,
    trunk_id: str,
    name: str,
    extra: dict[str, Any],
    facts: list[tuple[str, str]],
    title: str,
    button: str,
    note: str,
    password: SecretStr | None,
    style: str = "positive",
) -> None:
    ev = ctx.event
    location = permit.location
    payload = {
        "trunk_id": trunk_id,
        "name": name,
        "summary": {
            "name": name,
            "org": permit.org_id,
            "location_id": location.id if location else "",
            "location": location.name if location else "",
        },
        "facts": facts,
        "typed_password": password is not None,
        "thread_id": ev.thread_id if not ev.space.is_direct else None,
        "for": ev.actor.email or None,
        **extra,
    }
    nonce = await services.store.issue_nonce(
        purpose=kind,
        room_id=ev.space.room_id,
        person_id=ev.actor.person_id,
        message_id=None,
        payload_json=json.dumps(payload),
        ttl_seconds=services.card_ttl,
    )
    if password is not None:
        services.vault.put(nonce, password, services.card_ttl)
    card = lcards.summary(
        nonce=nonce, title=title, button=button, facts=facts, note=note, style=style
    )
    message_id = await ctx.reply(f"{title} Confirm on the card.", card=card)
    if message_id:
        await services.store.attach_message(nonce, message_id)
    ctx.audit.result = "awaiting-confirmation"


async def _max_calls(services: Services, permit: Permit, details: TrunkDetails, value: str) -> int:
    if details.is_registering:
        raise UsageError(words.MAX_CALLS_REGISTERING)
    if not value.strip().isdigit():
        raise UsageError("`max-calls` is a whole number.")
    wanted = int(value.strip())
    for info in await services.calling.trunk_types(org_id=permit.org_id):
        for device in info.device_types:
            if device.device_type != details.device_type:
                continue
            low, high = device.min_concurrent_calls, device.max_concurrent_calls
            if (low is not None and wanted < low) or (high is not None and wanted > high):
                raise UsageError(
                    f"`max-calls` for a {replies.esc(device.device_type)} is between {low} and "
                    f"{high}."
                )
    return wanted


def _where(permit: Permit) -> str:
    return permit.location.name if permit.location else "?"


def _label(key: str) -> str:
    return {
        "name": "New name",
        "max-calls": "Max concurrent calls",
        "dual-identity": "Dual identity",
    }[key]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- the summary card, pressed -----------------------------------------------------------


def _card(request: Request) -> CardSubmission:
    if request.card is None:
        raise CardRefused(replies.CARD_NOT_OURS)
    return request.card


async def _summary_scope(ctx: Context, request: Request) -> Scope:
    card = _card(request)
    summary = card.payload.get("summary") or {}
    ctx.audit.request = {"trunk": card.payload.get("name"), **(card.payload.get("changes") or {})}
    ctx.audit.trunk_id = card.payload.get("trunk_id")
    if card.verb == cards.CANCEL:
        return Scope(org=summary.get("org"), request=request)
    return Scope(
        org=summary.get("org"),
        location=str(summary.get("location_id", "")),
        parsed=card.payload,
        request=request,
    )


async def _confirmed(
    services: Services, ctx: Context, permit: Permit, scope: Scope, kind: str
) -> None:
    card = _card(scope.request)
    used = await consume(services, ctx, card, resume=card.verb == cards.CONFIRM)
    key = f"{kind}:card:{card.nonce}"
    if not used.ok and await _answered(services, ctx, key):
        return
    if card.verb == cards.CANCEL:
        services.vault.pop(card.nonce)
        await ctx.delete(card.record.message_id)
        await ctx.reply("Cancelled — nothing was changed.")
        ctx.audit.result = "cancelled"
        return
    payload = card.payload
    password = services.vault.get(card.nonce)
    if payload.get("typed_password") and password is None:
        raise UsageError(replies.TYPED_PW_FORGOTTEN)
    if permit.needs_approval:
        if not used.ok:
            raise CardRefused(replies.CARD_ALREADY_USED)
        await ask_approval(
            services,
            ctx,
            permit,
            kind=kind,
            name=str(payload["name"]),
            summary=payload["summary"],
            facts=[(str(k), str(v)) for k, v in payload.get("facts") or []],
            password=password,
            extra={"trunk_id": payload["trunk_id"], "changes": payload.get("changes") or {}},
        )
        services.vault.pop(card.nonce)
        return
    try:
        await make_change(services, ctx, permit, kind, payload, password, key=key)
    finally:
        services.vault.pop(card.nonce)


async def _approved_update(
    services: Services, ctx: Context, permit: Permit, stored: dict[str, Any], pw: SecretStr | None
) -> None:
    await make_change(services, ctx, permit, UPDATE, stored, pw, key=f"update:{ctx.event.id}")


async def _approved_delete(
    services: Services, ctx: Context, permit: Permit, stored: dict[str, Any], pw: SecretStr | None
) -> None:
    await make_change(services, ctx, permit, DELETE, stored, pw, key=f"delete:{ctx.event.id}")


async def _answered(services: Services, ctx: Context, key: str) -> bool:
    """A second press of the same card: the first answer again, never a second change."""
    record = await services.store.get_create(key)
    if record is None or record.state.value == "released":
        return False
    ctx.audit.result = "duplicate"
    if record.state.value == "done":
        await ctx.reply(str(json.loads(record.result_json or "{}").get("sentence", "Done.")))
    elif record.state.value == "failed":
        failed = json.loads(record.error_json or "{}")
        await ctx.reply(str(failed.get("sentence") or replies.ALREADY_FAILED))
    else:
        await ctx.reply(f"I'm already on it for trunk **{replies.esc(record.name)}**.")
    return True


# --- making the change, once ---------------------------------------------------------------


async def make_change(
    services: Services,
    ctx: Context,
    permit: Permit,
    kind: str,
    request: dict[str, Any],
    password: SecretStr | None,
    *,
    key: str,
) -> None:
    """Claim ``key``, then PUT or DELETE once, and answer (or give the first answer again)."""
    action = UPDATE_ACTION if kind == UPDATE else DELETE_ACTION
    summary = request["summary"]
    org_id, location_id = summary.get("org"), str(summary.get("location_id", ""))
    permit.check_write(action, org_id, location_id)
    trunk_id, name = str(request["trunk_id"]), str(request["name"])
    ctx.audit.trunk_id = trunk_id
    claim = await services.store.begin_create(
        key, name=name, org_id=org_id, location_id=location_id, requester=ctx.event.actor.person_id
    )
    if claim.status is not ClaimStatus.OWNER:
        await _answered(services, ctx, key)
        return
    try:
        if kind == DELETE:
            sentence = await _delete(services, ctx, trunk_id, name, org_id)
            done = {"sentence": sentence}
        else:
            done = await _update(services, ctx, permit, request, password)
    except (WebexError, UsageError) as exc:
        sentence = exc.user_message
        retryable = True  # nothing was changed: the same request may work later
        if isinstance(exc, WebexError):
            sentence = replies.webex_refused(exc.user_message)
            retryable = exc.status is None or exc.status >= 500
            if isinstance(exc, WebexConflict) and kind == DELETE:
                sentence = words.in_use_now(name)
        await services.store.fail_create(
            key, json.dumps({"sentence": sentence}), retryable=retryable
        )
        raise
    await services.store.complete_create(key, json.dumps(done))


async def _delete(
    services: Services, ctx: Context, trunk_id: str, name: str, org_id: str | None
) -> str:
    usage = await services.trunks.usage(trunk_id, org_id=org_id)
    if usage.in_use:
        raise UsageError(words.in_use_refusal(name, usage))
    removed = await services.trunks.delete_trunk(trunk_id, org_id=org_id)
    ctx.audit.result = "deleted" if removed else "already-gone"
    log.info("trunk.deleted", extra={"trunk_id": trunk_id, "already_gone": not removed})
    sentence = words.deleted(name, already=not removed)
    await ctx.reply(sentence)
    return sentence


async def _update(
    services: Services,
    ctx: Context,
    permit: Permit,
    request: dict[str, Any],
    password: SecretStr | None,
) -> dict[str, Any]:
    trunk_id, name = str(request["trunk_id"]), str(request["name"])
    org_id = permit.org_id
    changes: dict[str, Any] = request.get("changes") or {}
    generated = None
    if password is None:
        location_id = permit.location.id if permit.location else ""
        generated = password = await services.calling.generate_password(location_id, org_id)
        SECRETS.add(password.get_secret_value(), ttl=PASSWORD_TTL, kind=GENERATED)
    else:
        scrub_in_request(password.get_secret_value())
    body = TrunkUpdate(
        name=str(changes.get("name") or name),
        password=password,
        max_concurrent_calls=changes.get("max-calls"),
        dual_identity_support_enabled=changes.get("dual-identity"),
    )
    await services.trunks.update_trunk(trunk_id, body, org_id=org_id)
    ctx.audit.result = "updated"
    new_name = body.name
    try:
        details: TrunkDetails | None = await services.calling.get_trunk(trunk_id, org_id=org_id)
    except WebexError:
        details = None
    shown = [f"{_label(k).lower()} {_value(v)}" for k, v in changes.items()]
    head = words.updated(new_name, shown)
    settings = replies.gateway_settings(details)
    secret = generated.get_secret_value() if generated is not None else None
    ev = ctx.event
    if secret is not None:
        delivering(
            secret,
            person_id=ev.actor.person_id,
            email=ev.actor.email,
            room_id=ev.space.room_id,
            direct=ev.space.is_direct,
        )
    if ev.space.is_direct:
        await ctx.reply(head + "\n" + replies.with_password(settings, secret))
    else:
        await ctx.reply(head + "\n" + replies.sent_privately(secret is not None))
        await ctx.reply_private(
            replies.private_delivery(new_name, _where(permit), settings, secret)
        )
    return {"sentence": head}
