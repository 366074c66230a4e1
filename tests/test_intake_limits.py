"""Bounded intake: a recorded activity Webex never gives back is given up after a few refetches
(on the audit trail), and the ids recorded before an ack can't pile up."""

from __future__ import annotations

import logging

import pytest

from bot.intake import dispatch as intake_module
from bot.intake.dispatch import ACCEPTED_TTL
from bot.intake.refetch import LOST_REASON, MAX_FETCH_FAILURES
from tests.runner_harness import Harness, harness, message


async def recover_once(h: Harness) -> int:
    h.runner.recover_after = 0  # every pending row is due at once: no waiting
    return await h.runner.recover()


async def test_an_activity_that_cant_be_fetched_is_given_up_after_five_attempts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with harness() as h:
        assert await h.runner.accept("gone-1", "message")
        for attempt in range(1, MAX_FETCH_FAILURES):
            assert await recover_once(h) == 0
            [pending] = await h.store.pending_intake(0)
            assert pending.fetch_failures == attempt
        assert await h.store.list_audit() == []
        caplog.set_level(logging.WARNING, logger="bot.runner")
        assert await recover_once(h) == 0  # the fifth failure
        assert await h.store.pending_intake(0) == []
        [row] = await h.store.list_audit()
        assert (row.action, row.decision, row.result, row.reason, row.event_id) == (
            "message",
            "refused",
            "lost",
            "couldn't be fetched from Webex after 5 attempts",
            "gone-1",
        )
        assert row.reason == LOST_REASON
        assert [r.message for r in caplog.records].count("intake.abandoned") == 1
        fetches = len(h.webex.fetches)
        assert await recover_once(h) == 0  # never asked for again
        assert len(h.webex.fetches) == fetches == MAX_FETCH_FAILURES
        assert h.router.dispatched == []


async def test_an_activity_fetched_before_the_limit_is_handled() -> None:
    """Webex failing a few times is not the end: a later refetch is handled as usual."""
    async with harness() as h:
        assert await h.runner.accept("slow-1", "message")
        for _ in range(MAX_FETCH_FAILURES - 1):
            await recover_once(h)
        h.webex.objects["/messages/slow-1"] = message("slow-1", None)
        assert await recover_once(h) == 1
        assert [e.id for e in h.router.dispatched] == ["slow-1"]
        assert await h.store.pending_intake(0) == []
        assert await h.store.list_audit() == []


async def test_accepted_ids_expire_when_their_fetch_never_delivers() -> None:
    """A webhook or websocket ack recorded the id, and the fetch failed: the id goes after
    ACCEPTED_TTL; the row itself stays for recovery."""
    async with harness() as h:
        for n in range(3):
            assert await h.runner.accept(f"acked-{n}", "message")
        assert len(h.runner._accepted) == 3
        h.timer[0] += ACCEPTED_TTL - 1
        assert len(h.runner._accepted) == 3
        h.timer[0] += 2
        h.runner._accepted.expire()
        assert len(h.runner._accepted) == 0
        assert len(await h.store.pending_intake(0)) == 3


async def test_accepted_ids_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake_module, "ACCEPTED_MAX", 5)
    async with harness() as h:
        for n in range(12):
            assert await h.runner.accept(f"acked-{n}", "message")
        assert len(h.runner._accepted) == 5
        assert set(h.runner._accepted) == {f"acked-{n}" for n in range(7, 12)}  # newest kept


async def test_a_delivery_within_the_window_is_handled_once() -> None:
    """The usual case: recorded before the ack, delivered a moment later, handled, forgotten."""
    async with harness() as h:
        assert await h.runner.accept("m-1", "message")
        h.runner.submit("message", message("m-1", None))
        h.runner.submit("message", message("m-1", None))  # a redelivery
        await h.runner.drain()
        assert [e.id for e in h.router.dispatched] == ["m-1"]
        assert len(h.runner._accepted) == 0


async def test_a_delivery_after_its_id_expired_is_finished_by_recovery() -> None:
    """Past ACCEPTED_TTL the late delivery looks like a redelivery and is dropped, but the
    intake row is still pending: recovery fetches and answers it, once."""
    async with harness() as h:
        assert await h.runner.accept("late-1", "message")
        h.timer[0] += ACCEPTED_TTL + 1
        h.runner.submit("message", message("late-1", None))
        await h.runner.drain()
        assert h.router.dispatched == []
        h.webex.objects["/messages/late-1"] = message("late-1", None)
        assert await recover_once(h) == 1
        assert [e.id for e in h.router.dispatched] == ["late-1"]
        assert await recover_once(h) == 0
