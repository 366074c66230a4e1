"""Creating the trunk, exactly once per idempotency key (the Webex message id of a text
command, the nonce of the confirm card, or the approval): the key is claimed in the store
*before* the POST (a unique constraint, so two workers or replicas racing on it make one POST),
completed after, and a redelivered message or a replayed card gets the first answer again.

The checks before it are :mod:`commands.create.prepare`; the answer after it
:mod:`commands.create.result`; ``route-group=`` :mod:`commands.create.route_group`.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot import replies
from bot.errors import (
    WebexBadRequest,
    WebexConflict,
    WebexError,
    WebexRetryable,
    WebexServerError,
)
from bot.events import Context
from bot.gate import Permit
from bot.logs import GENERATED, PASSWORD_TTL, SECRETS, scrub_in_request
from bot.store import ClaimStatus
from bot.validation import TrunkRequest, to_create_body
from bot.webex.calling import CallingClient
from bot.webex.errors import WebexConnectFailed, user_sentence
from bot.webex.refusals import ADDRESS_IN_USE, known_refusal
from bot.webex.trunk_create import TrunkCreateUnknown, TrunkNotCreated
from commands.approvals import ask_approval
from commands.create.prepare import ACTION, Prepared, fields_from_summary, prepare_create
from commands.create.result import deliver_result
from commands.create.route_group import join_route_group, route_group_permit

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def _certainly_nothing_created(exc: WebexError) -> bool:
    """True when Webex did not create the trunk and the same request may succeed later."""
    return isinstance(exc, TrunkNotCreated | WebexConnectFailed | WebexRetryable) or (
        isinstance(exc, WebexServerError) and not isinstance(exc, TrunkCreateUnknown)
    )


def _error_json(exc: WebexError, sentence: str) -> str:
    return json.dumps(
        {
            "sentence": sentence,
            "status": exc.status,
            "error_code": exc.error_code,
            "tracking_id": exc.tracking_id,
        }
    )


async def execute(
    services: Services,
    ctx: Context,
    prepared: Prepared,
    *,
    key: str,
    password: SecretStr | None,
) -> None:
    """Create the trunk once for ``key`` and answer with the result (or the first answer)."""
    ev, store, calling = ctx.event, services.store, services.calling
    req, location, org_id = prepared.request, prepared.location, prepared.org_id
    # The gate's decision, for exactly this org and location, approved where required.
    prepared.permit.check_write(ACTION, org_id, location.id)
    group_permit = await route_group_permit(services, ctx, prepared)  # before any create
    claim = await store.begin_create(
        key, name=req.name, org_id=org_id, location_id=location.id, requester=ev.actor.person_id
    )
    if claim.status is ClaimStatus.DONE:
        done = json.loads(claim.record.result_json or "{}")
        ctx.audit.result, ctx.audit.trunk_id = "duplicate", done.get("trunk_id")
        await ctx.reply(replies.already_done(req.name, str(done.get("trunk_id", ""))))
        if group_permit is not None and done.get("trunk_id"):  # a retry finishes the group
            await join_route_group(services, ctx, prepared, str(done["trunk_id"]), group_permit)
        return
    if claim.status is ClaimStatus.FAILED:
        failed = json.loads(claim.record.error_json or "{}")
        ctx.audit.result = "duplicate"
        await ctx.reply(str(failed.get("sentence") or replies.ALREADY_FAILED))
        return
    if claim.status is ClaimStatus.IN_PROGRESS:
        ctx.audit.result = "duplicate"
        await ctx.reply(replies.in_progress(req.name))
        return

    type_label = replies.trunk_type_label(req.trunk_type)
    await ctx.reply(replies.creating(req.name, location.name, type_label))
    generated: SecretStr | None = None
    try:
        if password is None:
            generated = password = await calling.generate_password(location.id, org_id=org_id)
            # Webex made it: scrubbed from every log line from now on.
            SECRETS.add(password.get_secret_value(), ttl=PASSWORD_TTL, kind=GENERATED)
        else:
            scrub_in_request(password.get_secret_value())  # typed: this request's records
        body = to_create_body(
            req, location_id=location.id, password=password, device=prepared.device
        )
        try:
            outcome = await calling.create_trunk(body, org_id=org_id)
        except WebexConflict as exc:
            if exc.error_code == ADDRESS_IN_USE:
                raise known_refusal(exc, req.address, req.domain) from None
            raise WebexConflict(  # the name is taken: Webex's answer is the name check
                replies.name_taken(req.name),
                status=exc.status,
                description=exc.description,
                error_code=exc.error_code,
                tracking_id=exc.tracking_id,
            ) from None
        except WebexBadRequest as exc:
            raise await _bad_request(calling, exc, req, org_id) from None
    except WebexError as exc:
        if isinstance(exc, TrunkCreateUnknown):
            pass  # stays pending: reconciliation looks the trunk up by name
        else:
            sentence = replies.webex_refused(user_sentence(exc))
            await store.fail_create(
                key, _error_json(exc, sentence), retryable=_certainly_nothing_created(exc)
            )
        raise
    await store.complete_create(
        key,
        json.dumps(
            {"trunk_id": outcome.trunk_id, "recovered": outcome.recovered, "name": req.name}
        ),
    )
    ctx.audit.result = "recovered" if outcome.recovered else "created"
    ctx.audit.trunk_id = outcome.trunk_id
    log.info(
        "trunk.created",
        extra={"trunk_id": outcome.trunk_id, "recovered": outcome.recovered, "event_id": ev.id},
    )
    await deliver_result(ctx, prepared, services, outcome.trunk_id, outcome.recovered, generated)
    if group_permit is not None:
        await join_route_group(services, ctx, prepared, outcome.trunk_id, group_permit)


async def _bad_request(
    calling: CallingClient, exc: WebexBadRequest, req: TrunkRequest, org_id: str | None
) -> WebexError:
    """Webex's 400 to the create, with our sentence. Webex does not document the status of
    a duplicate name (409 or 400), so an unexplained 400 asks whether the name is taken:
    one lookup, on this refusal only, names the trunk that already has it."""
    refusal = known_refusal(exc, req.address, req.domain)
    if refusal is not exc:
        return refusal
    try:
        existing = await calling.find_trunk_by_name(req.name, org_id=org_id)
    except WebexError:
        return exc
    if existing is None:
        return exc
    return WebexBadRequest(
        replies.name_taken(existing.name),
        status=exc.status,
        description=exc.description,
        error_code=exc.error_code,
        tracking_id=exc.tracking_id,
    )


async def ask_create_approval(
    services: Services, ctx: Context, prepared: Prepared, password: SecretStr | None
) -> None:
    """Send the create to the approvers (see commands.approvals)."""
    await ask_approval(
        services,
        ctx,
        prepared.permit,
        kind="create",
        name=prepared.request.name,
        summary=prepared.summary(),
        facts=prepared.facts(),
        password=password,
    )


async def execute_approved(
    services: Services,
    ctx: Context,
    permit: Permit,
    stored: dict[str, Any],
    password: SecretStr | None,
) -> None:
    """The approved create, checked again and made once (keyed on the approval)."""
    trunk_request = TrunkRequest.from_fields(fields_from_summary(stored["summary"]))
    if password is not None:
        trunk_request = trunk_request.model_copy(update={"password": password})
    prepared = await prepare_create(services, ctx, trunk_request, permit)
    await execute(services, ctx, prepared, key=ctx.event.id, password=password)
