"""Watching new trunks until their gateway registers (a job the intake runs every minute).

A watch (``trunk_watches`` in the store, so it survives a restart) is added when a
registering trunk is created. Each round takes the watches that are due — at most
:data:`PER_ROUND`, each leased to this replica — and asks Webex for each trunk's status once
(``GET …/trunks/{id}``): online → the requester is told 1:1 and the watch ends; past its
deadline (30 minutes) → the requester is told it hasn't registered, with the three things to
check; otherwise the next look backs off (1, 1, 2, 2, 4, 4, then every 5 minutes). A trunk
deleted meanwhile ends its watch quietly. The counts are in ``/metrics``
(bot.gateway_watch.WATCH_STATS). "Now" is the store's clock.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.errors import WebexError, WebexNotFound
from bot.events import Job, Outbox, Reply
from bot.gateway_watch import WATCH_STATS, next_look
from bot.store import TrunkWatch
from commands.gateway import words

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

PER_ROUND = 50  # GET trunk requests one round makes at most (the rest wait for the next)
LEASE_SECONDS = 120.0  # a round that dies mid-way frees its watches after this


def job(services: Services) -> Job:
    async def run(outbox: Outbox, _stale_after: float) -> object:
        return await watch_round(services, outbox)

    return run


async def watch_round(services: Services, outbox: Outbox) -> int:
    """One round; returns how many trunks were looked at."""
    store = services.store
    due = await store.due_watches(limit=PER_ROUND, lease_seconds=LEASE_SECONDS)
    for watch in due:
        await _look(services, outbox, watch)
    return len(due)


async def _look(services: Services, outbox: Outbox, watch: TrunkWatch) -> None:
    store = services.store
    now = store.clock()
    minutes = max(1, round((now - watch.created_at).total_seconds() / 60))
    WATCH_STATS.looks += 1
    try:
        details = await services.calling.get_trunk(watch.trunk_id, org_id=watch.org_id)
    except WebexNotFound:
        if await store.end_watch(watch.trunk_id):
            WATCH_STATS.gone += 1
            log.info("watch.trunk_gone", extra={"trunk_id": watch.trunk_id})
        return
    except WebexError:
        WATCH_STATS.failed_looks += 1
        log.warning("watch.look_failed", extra={"trunk_id": watch.trunk_id})
        if now >= watch.deadline:
            await _give_up(services, outbox, watch, minutes, None)
        else:
            await store.reschedule_watch(watch.trunk_id, next_in=next_look(watch.attempts))
        return
    if details.online:
        if await store.end_watch(watch.trunk_id):
            WATCH_STATS.online += 1
            log.info("watch.online", extra={"trunk_id": watch.trunk_id, "minutes": minutes})
            await _tell(outbox, watch, words.online_now(details.name, minutes))
        return
    if now >= watch.deadline:
        user = (details.line_port or "").partition("@")[0] or None
        await _give_up(services, outbox, watch, minutes, user, details.name)
        return
    await store.reschedule_watch(watch.trunk_id, next_in=next_look(watch.attempts))


async def _give_up(
    services: Services,
    outbox: Outbox,
    watch: TrunkWatch,
    minutes: int,
    line_port_user: str | None,
    name: str | None = None,
) -> None:
    if await services.store.end_watch(watch.trunk_id):
        WATCH_STATS.gave_up += 1
        log.info("watch.gave_up", extra={"trunk_id": watch.trunk_id, "minutes": minutes})
        text = words.still_offline(name or watch.name, minutes, line_port_user)
        await _tell(outbox, watch, text)


async def _tell(outbox: Outbox, watch: TrunkWatch, text: str) -> None:
    reply = Reply(
        markdown=text,
        to_person_id=watch.requester,
        to_person_email=watch.email,
        private=True,
    )
    try:
        await outbox.send(reply)
    except Exception:
        log.exception("watch.notice_failed", extra={"trunk_id": watch.trunk_id})
