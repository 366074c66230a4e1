"""Work that finishes what a crash, a restart or the clock left open.

* **Pending creates**: a create key still PENDING long after any create could take (the owner
  died between its POST and recording the answer) is reconciled by looking the trunk up by
  name: found → recorded as created, and the requester is told its ID; not found → released
  (nothing was created), and the requester is told to try again.
* **Approvals** past their expiry are closed, and the requester is told.

Each is safe to run on every replica at once: the store hands each row to one caller.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from bot import replies
from bot.errors import WebexError
from bot.events import STALE_AFTER, Outbox, Reply
from bot.store import AuditRecord, CreateRecord

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# Longer than any create can take: client timeouts, 429 waits and the lookup included.
STALE_CREATE_SECONDS = STALE_AFTER
# Keys of changes other than creates share the keyed claims (commands.lifecycle).
OTHER_CHANGES = ("update:", "delete:", "routegroup:", "connect:")
# A text create's key: "message:" and the message's REST id (its intake row's event id).
MESSAGE = "message:"


async def settle(services: Services, record: CreateRecord) -> bool | None:
    """Settle one pending create key by looking its trunk up by name.

    True: it exists (recorded as done); False: it doesn't (released, nothing was created);
    None: not settled now (the lookup failed, or another replica settled it first).
    """
    try:
        found = await services.calling.find_trunk_by_name(record.name, org_id=record.org_id)
    except WebexError:
        log.warning("reconcile.lookup_failed", extra={"key": record.key})
        return None
    if found is not None:
        done = {"trunk_id": found.id, "recovered": True, "name": record.name}
        settled = await services.store.complete_create(record.key, json.dumps(done))
    else:
        error = {"sentence": replies.reconciled_not_created(record.name)}
        settled = await services.store.fail_create(record.key, json.dumps(error), retryable=True)
    if not settled:
        return None
    log.info("reconcile.settled", extra={"key": record.key, "trunk_exists": found is not None})
    # On record like any attempt: the trail must name every trunk the bot created.
    await services.store.append_audit(
        AuditRecord(
            action="trunk.create",
            decision="allowed",
            event_id=record.key,
            person_id=record.requester,
            location_id=record.location_id,
            request={"name": record.name, "org": record.org_id},
            reason="settled after an interruption, by looking the trunk up by name",
            result="recovered" if found is not None else "not-created",
            trunk_id=found.id if found is not None else None,
        )
    )
    return found is not None


async def settle_if_abandoned(
    services: Services, key: str, *, older_than: float = STALE_CREATE_SECONDS
) -> None:
    """A resumed request (its replica died, or the process restarted) settles its own create
    key now if nobody works on it any more: its owner's lease lapsed, or it has no lease and
    is older than ``older_than`` (bot.store.leases). Otherwise it is left alone."""
    record = await services.store.take_create(key, older_than)
    if record is not None:
        await settle(services, record)


async def reconcile_creates(
    services: Services, outbox: Outbox, *, older_than: float = STALE_CREATE_SECONDS
) -> int:
    """Settle create keys left pending and tell each requester; returns how many.

    A key whose message is still unfinished in the intake is left to that message: recovery
    fetches it again (here or on another replica) and its resumed request settles its own key
    and answers in its space — the requester hears one verdict, not "try again" from here
    and "created" from there."""
    count = 0
    pending = await services.store.pending_creates(older_than)
    messages = [r.key.removeprefix(MESSAGE) for r in pending if r.key.startswith(MESSAGE)]
    resumed = await services.store.unfinished_intake(messages)
    for record in pending:
        if record.key.startswith(OTHER_CHANGES):
            continue  # an update's or a delete's key: its feature settles it
        if record.key.removeprefix(MESSAGE) in resumed:
            continue
        exists = await settle(services, record)
        if exists is None:
            continue
        count += 1
        done = await services.store.get_create(record.key)
        trunk_id = json.loads(done.result_json or "{}").get("trunk_id", "") if done else ""
        text = (
            replies.reconciled_created(record.name, str(trunk_id))
            if exists
            else replies.reconciled_not_created(record.name)
        )
        await _tell(outbox, Reply(markdown=text, to_person_id=record.requester, private=True))
    return count


async def expire_approvals(services: Services, outbox: Outbox) -> int:
    """Close approvals nobody decided in time and tell each requester."""
    expired = await services.store.expire_approvals()
    for approval in expired:
        try:
            request = json.loads(approval.request_json)
            name = str(request.get("name") or request["summary"]["name"])
            kind = str(request.get("kind") or "create")
            room = str(request["room_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("approval.unreadable", extra={"approval_id": approval.approval_id})
            continue
        services.vault.pop(f"approval:{approval.approval_id}")
        await _tell(
            outbox,
            Reply(
                markdown=replies.approval_expired(name, kind),
                room_id=room,
                parent_id=request.get("thread_id") if request.get("room_kind") == "group" else None,
            ),
        )
    return len(expired)


async def _tell(outbox: Outbox, reply: Reply) -> None:
    try:
        await outbox.send(reply)
    except Exception:
        log.exception("maintenance.notice_failed")
