"""The Intake: record before the ack, deduplicate, date, dispatch as tasks, hold leases,
recover after a restart, run the features' jobs, drain.

The websocket host (bot/runner.py) and the webhook (bot/transports/webhook.py) both hand
their activities here. One asyncio loop runs every command as a task, so a slow Webex
answer for one person never delays another's; :meth:`Intake.drain` lets the tasks in
flight finish when the process is asked to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from cachetools import TTLCache

from bot.app import App
from bot.events import STALE_AFTER, Event, Outbox, run_jobs
from bot.inbound import BotIdentity, field_of, message_event
from bot.intake.card_event import card_event
from bot.intake.people import PeopleCache
from bot.intake.refetch import kind_of_rest_id, refetch
from bot.settings import Settings
from bot.store import STORE_DOWN, StoreUnavailable
from bot.store.leases import working_on
from bot.store.models import utcnow
from bot.webex.messaging import MessagingClient

log = logging.getLogger(__name__)

DRAIN_SECONDS = 25.0
# An unanswered activity this old is taken to be a dead process's: above the longest a
# command can take (Webex calls, 429 waits within the HTTP retry budget, the lookup).
RECOVER_AFTER = 300.0
MAINTENANCE_EVERY = 60.0
# Ids recorded before the ack whose fetch hasn't delivered yet: at most this many, for at
# most this long (past it, a recorded activity is recovery's to finish).
ACCEPTED_MAX = 10_000
ACCEPTED_TTL = RECOVER_AFTER
PRUNE_EVERY = 3600.0
KEEP_SECONDS = 7 * 24 * 3600.0  # far longer than Webex redelivers anything


def describe_age(seconds: float) -> str:
    """``3600`` → "1 hour", ``5400`` → "90 minutes", ``2`` → "2 seconds"."""
    whole = round(seconds)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if whole >= size and whole % size == 0:
            count = whole // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{whole} second" + ("s" if whole != 1 else "")


class Intake:
    """What every transport hands its activities to: each is recorded before Webex is told
    we have it, deduplicated, dated, turned into an Event and answered as a task; what a
    dead process left unanswered is finished later; the features' jobs run every minute."""

    def __init__(
        self,
        settings: Settings,
        *,
        app: App,
        messaging: MessagingClient,
        bot: BotIdentity,
        recover_after: float = RECOVER_AFTER,
        maintenance_every: float = MAINTENANCE_EVERY,
        stale_create: float = STALE_AFTER,
        clock: Callable[[], datetime] = utcnow,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.recover_after = recover_after
        self.maintenance_every = maintenance_every
        self.stale_create = stale_create
        self.settings = settings
        self.app = app
        self.messaging = messaging
        self.outbox: Outbox = messaging
        self.bot = bot
        self.people = PeopleCache(messaging)
        self.stop = asyncio.Event()
        self.connected = asyncio.Event()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.handled = 0
        self._loop = asyncio.get_running_loop()
        self._active: set[str] = set()
        # Create keys begun by each command in flight (bot.store.leases): renewed with it.
        self._working: dict[str, set[str]] = {}
        self._leases: asyncio.Task[None] | None = None
        self._accepted: TTLCache[str, bool] = TTLCache(
            maxsize=ACCEPTED_MAX, ttl=ACCEPTED_TTL, timer=timer
        )

    async def accept(self, rest_id: str, kind: str, *, strict: bool = False) -> bool:
        """Record an activity *before* the transport tells Webex it has it (the websocket ack,
        the webhook's 200); False for a redelivery of one already recorded.

        From here on it can't be lost: it is this replica's under a lease renewed while it
        works (:mod:`bot.store.leases`); if the process dies before it is answered, the lease
        lapses and :meth:`recover` — here after a restart, or on any other replica — fetches
        it again by id. When the database doesn't answer, ``strict`` raises
        :class:`~bot.store.StoreUnavailable` (the webhook then refuses the delivery); else
        it is answered anyway, unrecorded: better than dropping it.
        """
        try:
            fresh = await self.app.services.store.record_intake(
                rest_id, kind, json.dumps({"id": rest_id}), leased=True
            )
        except Exception as exc:  # noqa: BLE001  -- the driver's errors, whatever they are
            log.warning("intake.unavailable", extra={"error": type(exc).__name__})
            if strict:
                raise StoreUnavailable(STORE_DOWN) from None
            fresh = True
        if fresh:
            self._accepted[rest_id] = True
        return fresh

    def release(self, rest_id: str) -> None:
        """Stop renewing an accepted activity this process will not handle (its fetch failed):
        its lease lapses and recovery, on any replica, fetches it again."""
        self._accepted.pop(rest_id, None)

    def submit(self, kind: str, obj: Any) -> None:
        """Handle a fetched message or card action (kind "message" or "card"; a REST JSON
        object) as a task, exactly as a websocket activity: recorded, deduplicated by its
        REST id, answered; ``drain()`` waits for it. Call on the loop (the webhook transport).
        """
        self._start(kind, obj)

    def _start(self, kind: str, obj: Any) -> None:
        task = self._loop.create_task(self._intake(kind, obj))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _intake(self, kind: str, obj: Any) -> None:
        """Record the activity before handling it; mark it done only when it was answered.

        webex-bot acks an activity before we handle it, so a process that dies mid-command
        would lose it; the intake row (ids only — the text may hold a password) lets the next
        start fetch it again and finish or answer it. A redelivered activity is dropped here.
        """
        rest_id = str(field_of(obj, "id", "") or "")
        store = self.app.services.store
        recorded = self._accepted.pop(rest_id, None) is not None  # by accept(), before the ack
        if not recorded and rest_id and not await self.accept(rest_id, kind):
            log.info("event.duplicate", extra={"event_id": rest_id})
            return
        self._accepted.pop(rest_id, None)  # accept() just added it
        with self._working_on(rest_id):
            await self._handle(kind, obj)  # a cancellation (process dying) skips the next line
            if rest_id:
                with contextlib.suppress(Exception):  # left to recovery when the store is down
                    await store.complete_intake(rest_id)

    @contextlib.contextmanager
    def _working_on(self, rest_id: str) -> Iterator[None]:
        """While handling ``rest_id``: its lease, and those of the create keys it begins
        (this task's own set, through bot.store.leases), are renewed."""
        keys: set[str] = set()
        working_on(keys)
        self._active.add(rest_id)
        self._working[rest_id] = keys
        try:
            yield
        finally:
            self._active.discard(rest_id)
            self._working.pop(rest_id, None)

    async def renew_leases(self) -> int:
        """Extend the leases of everything this replica is working on; returns how many."""
        ids = set(self._active) | set(self._accepted.keys())
        ids.discard("")
        keys = set().union(*self._working.values()) if self._working else set()
        if not ids and not keys:
            return 0
        return await self.app.services.store.renew_leases(ids, keys)

    async def keep_leases(self) -> None:
        """Renew this replica's leases every third of their length until stopped (and then
        while commands still drain, so no other replica takes over work being finished)."""
        every = self.app.services.store.lease_seconds / 3
        while True:
            try:
                await self.renew_leases()
            except Exception as exc:  # noqa: BLE001  -- the store is down: try again next time
                log.warning("lease.renew_failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(every)

    async def recover(self) -> int:
        """Finish what a previous process received but never answered; returns how many."""
        store = self.app.services.store
        recovered = 0
        for item in await store.pending_intake(self.recover_after, leased=True):
            if item.event_id in self._active:
                continue  # still being handled here, just slowly
            kind = item.kind if item.kind in ("message", "card") else kind_of_rest_id(item.event_id)
            with self._working_on(item.event_id):  # now under this replica's lease
                obj = await refetch(self.messaging, store, item.event_id, kind)
                if obj is None:
                    continue
                log.info("intake.recovered", extra={"event_id": item.event_id, "kind": kind})
                await self._handle(kind, obj)
                await store.complete_intake(item.event_id)
            recovered += 1
        return recovered

    async def maintain(self) -> None:
        """Recovered intake first (it settles its own creates), then orphan creates and
        expired approvals; every ``maintenance_every`` seconds until stopped. Once an hour,
        housekeeping rows (handled events, used nonces, settled keys) older than a week go;
        audit rows never do."""
        if self._leases is None:  # ended by drain(), once the last command is finished
            self._leases = asyncio.create_task(self.keep_leases())
        last_prune = 0.0
        last_jobs = -self.maintenance_every
        # Recovery looks every third of a lease (cheap: one statement), so a dead replica's
        # work is taken over soon after its leases lapse; the jobs keep their own pace.
        tick = min(self.maintenance_every, self.app.services.store.lease_seconds / 3)
        while not self.stop.is_set():
            # Each step on its own: one that fails (a store outage, a broken job) is logged
            # and the others still run this round.
            try:
                await self.recover()
            except Exception:
                log.exception("maintenance.failed", extra={"job": "recover"})
            if time.monotonic() - last_jobs >= self.maintenance_every:
                last_jobs = time.monotonic()
                await run_jobs(self.app.jobs, self.outbox, self.stale_create)
            if time.monotonic() - last_prune >= PRUNE_EVERY:
                last_prune = time.monotonic()
                try:
                    gone = await self.app.services.store.prune(keep_seconds=KEEP_SECONDS)
                    log.info("store.pruned", extra={"rows": gone})
                except Exception:
                    log.exception("maintenance.failed", extra={"job": "prune"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=tick)

    async def _handle(self, kind: str, obj: Any) -> None:
        try:
            if kind == "message":
                event = await message_event(obj, self.bot, self.people.get)
            else:
                event = await card_event(
                    obj, bot=self.bot, people=self.people, messaging=self.messaging
                )
            if event is None:
                return
            if event.created is not None and self._too_old(event.created):
                await self._ignore_old(event, event.created)
                return
            await self.app.router.handle(event, self.outbox)
            self.handled += 1
        except Exception:  # the router answers its own errors; this is the last guard
            log.exception("event.crashed")

    def _too_old(self, created: datetime) -> bool:
        """Sent longer ago than ``max_event_age`` (a replay, or a backlog after an outage)."""
        return (self.clock() - created).total_seconds() > self.settings.max_event_age

    async def _ignore_old(self, event: Event, created: datetime) -> None:
        """Put the old event on the record as ignored; it is never dispatched."""
        sent = created.isoformat(timespec="seconds").replace("+00:00", "Z")
        reason = f"older than {describe_age(self.settings.max_event_age)} (sent {sent})"
        log.warning("event.too_old", extra={"event_id": event.id, "sent": sent})
        await self.app.router.ignored(event, reason)

    async def drain(self) -> None:
        """Let the commands in flight finish (bounded), then stop renewing leases: what is
        left unfinished is another replica's (or the next start's) once they lapse."""
        try:
            if not self.in_flight:
                return
            log.info("bot.draining", extra={"in_flight": len(self.in_flight)})
            _, late = await asyncio.wait(set(self.in_flight), timeout=DRAIN_SECONDS)
            for task in late:
                task.cancel()
            if late:
                log.warning("bot.drain_timeout", extra={"cancelled": len(late)})
        finally:
            if self._leases is not None:
                self._leases.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._leases
