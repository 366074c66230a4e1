"""Messages and card actions older than ``max_event_age`` (by Webex's ``created``) are put on
the record as ignored and never dispatched, on every path through the runner's intake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from webexpythonsdk.models.immutable import AttachmentAction as SdkAction
from webexpythonsdk.models.immutable import Message as SdkMessage

from bot.inbound import created_of, message_event, parse_created
from bot.intake.dispatch import describe_age
from tests.runner_harness import BOT, NOW, Webex, card_action, harness, message


def webex_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


TWO_HOURS_AGO = webex_time(NOW - timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-06T08:45:56.123Z", datetime(2026, 12, 6, 8, 45, 56, 123000, tzinfo=UTC)),
        ("2026-12-06T09:45:56+01:00", datetime(2026, 12, 6, 8, 45, 56, tzinfo=UTC)),
        ("2026-12-06T08:45:56", datetime(2026, 12, 6, 8, 45, 56, tzinfo=UTC)),  # no zone: UTC
        (
            datetime(2026, 12, 6, 10, 0, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 12, 6, 8, 0, tzinfo=UTC),
        ),
        ("yesterday", None),
        ("2026-13-01T00:00:00Z", None),
        ("", None),
        ("2026-12-06T08:45:56.123Z" * 100, None),  # absurdly long: not even parsed
        (None, None),
        (1765010756, None),  # epoch seconds are not what Webex sends
        (["2026-12-06T08:45:56Z"], None),
        ("0001-01-01T00:00:00+01:00", None),  # before the calendar once in UTC
    ],
)
def test_created_is_parsed_defensively(value: Any, expected: datetime | None) -> None:
    parsed = parse_created(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


def test_created_of_webex_sdk_objects() -> None:
    """webex-bot hands over webexpythonsdk objects, which parse ``created`` on access."""
    good = SdkMessage({"id": "m1", "created": "2026-12-06T08:45:56.123Z"})
    garbled = SdkMessage({"id": "m2", "created": "6 Dec 2026"})
    action = SdkAction({"id": "a1", "created": "2026-12-06T08:45:56.000Z"})
    assert created_of(good) == datetime(2026, 12, 6, 8, 45, 56, 123000, tzinfo=UTC)
    assert created_of(garbled) is None
    assert created_of(SdkMessage({"id": "m3"})) is None
    assert created_of(action) == datetime(2026, 12, 6, 8, 45, 56, tzinfo=UTC)


async def test_message_event_carries_created() -> None:
    event = await message_event(message("m1", "2026-12-06T08:45:56.123Z"), BOT, Webex().get_person)
    assert event is not None
    assert event.created == datetime(2026, 12, 6, 8, 45, 56, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (3600, "1 hour"),
        (7200, "2 hours"),
        (5400, "90 minutes"),
        (60, "1 minute"),
        (90, "90 seconds"),
        (1, "1 second"),
        (86_400, "1 day"),
        (0.4, "0 seconds"),
    ],
)
def test_the_age_is_said_in_words(seconds: float, words: str) -> None:
    assert describe_age(seconds) == words


async def test_an_old_message_is_recorded_as_ignored_and_not_dispatched() -> None:
    """Through the intake (as the websocket and the webhook hand it over): recorded, ignored,
    finished — so recovery never brings it back either."""
    async with harness() as h:
        h.runner.submit("message", message("old-1", TWO_HOURS_AGO, "create trunk name=x"))
        await h.runner.drain()
        assert h.router.dispatched == []
        [(event, reason)] = h.router.skipped
        assert event.id == "old-1"
        assert event.actor.person_id == "alice"
        sent = (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert reason == f"older than 1 hour (sent {sent})"
        assert h.runner.handled == 0
        assert await h.store.pending_intake(0, now=NOW + timedelta(days=1)) == []


async def test_an_old_card_action_is_ignored_too() -> None:
    async with harness() as h:
        h.runner.submit("card", card_action("act-1", TWO_HOURS_AGO))
        await h.runner.drain()
        assert h.router.dispatched == []
        [(event, reason)] = h.router.skipped
        assert event.is_card_action
        assert reason.startswith("older than 1 hour (sent ")


@pytest.mark.parametrize(
    "created",
    [
        webex_time(NOW - timedelta(minutes=59)),
        webex_time(NOW + timedelta(minutes=5)),  # a sender's clock ahead: only age counts
        None,  # Webex didn't say: no age to hold against it
        "garbled",
    ],
    ids=["59-minutes", "future", "missing", "garbled"],
)
async def test_a_recent_or_undated_message_is_dispatched(created: str | None) -> None:
    async with harness() as h:
        h.runner.submit("message", message("m-1", created))
        await h.runner.drain()
        assert [e.id for e in h.router.dispatched] == ["m-1"]
        assert h.router.skipped == []
        assert h.runner.handled == 1


async def test_the_age_limit_comes_from_the_settings() -> None:
    async with harness(max_event_age=90) as h:
        h.runner.submit("message", message("m-1", webex_time(NOW - timedelta(seconds=89))))
        h.runner.submit("message", message("m-2", webex_time(NOW - timedelta(seconds=91))))
        await h.runner.drain()
        assert [e.id for e in h.router.dispatched] == ["m-1"]
        [(event, reason)] = h.router.skipped
        assert event.id == "m-2"
        assert reason.startswith("older than 90 seconds (sent ")


async def test_recovery_ignores_an_activity_that_has_grown_old() -> None:
    """Received, never answered (a crash), fetched again hours later: ignored, not run."""
    async with harness() as h:
        assert await h.runner.accept("late-1", "message")
        h.webex.objects["/messages/late-1"] = message("late-1", TWO_HOURS_AGO)
        h.runner.recover_after = 0
        assert await h.runner.recover() == 1
        assert h.router.dispatched == []
        assert [e.id for e, _ in h.router.skipped] == ["late-1"]
        assert await h.store.pending_intake(0) == []
