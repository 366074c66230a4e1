"""A BotRunner with its real intake and a real (in-memory SQLite) store, but stand-ins for
the router and Webex: for unit tests of what the runner itself decides."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from bot.app import App
from bot.errors import WebexError
from bot.events import Event, Outbox
from bot.inbound import BotIdentity
from bot.runner import BotRunner
from bot.settings import Settings
from bot.store import Store, open_store
from bot.webex.messaging import Message, MessagingClient, Person

BOT = BotIdentity("bot-id", "Trunkbot", ("trunkbot@webex.bot",))
NOW = datetime(2026, 12, 6, 9, 0, 0, tzinfo=UTC)


@dataclass
class Router:
    """Records what the runner dispatched and what it put on the record as ignored."""

    dispatched: list[Event] = field(default_factory=list)
    skipped: list[tuple[Event, str]] = field(default_factory=list)

    async def handle(self, event: Event, outbox: Outbox) -> None:
        self.dispatched.append(event)

    async def ignored(self, event: Event, reason: str) -> None:
        self.skipped.append((event, reason))


@dataclass
class Webex:
    """The REST objects the bot may fetch, by path; any other path fails like Webex does."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetches: list[str] = field(default_factory=list)

    async def get_json(self, path: str, params: Any = None) -> dict[str, Any]:
        self.fetches.append(path)
        if path not in self.objects:
            raise WebexError("Webex couldn't find it.")
        return self.objects[path]

    async def get_person(self, person_id: str) -> Person:
        return Person(id=person_id, emails=[f"{person_id}@example.com"], org_id="org-1")

    async def get_message(self, message_id: str) -> Message:
        return Message(id=message_id, room_id="room-1", room_type="direct")

    @property
    def http(self) -> Webex:
        return self


def message(msg_id: str, created: Any, text: str = "help") -> dict[str, Any]:
    """A message as ``GET /messages/{id}`` returns it (what webhooks and recovery hand over)."""
    body = {
        "id": msg_id,
        "roomId": "room-1",
        "roomType": "direct",
        "text": text,
        "personId": "alice",
        "personEmail": "alice@example.com",
    }
    if created is not None:
        body["created"] = created
    return body


def card_action(action_id: str, created: Any) -> dict[str, Any]:
    """A card submission as ``GET /attachment/actions/{id}`` returns it."""
    return {
        "id": action_id,
        "type": "submit",
        "messageId": "card-msg",
        "inputs": {"nonce": "n-1"},
        "personId": "alice",
        "roomId": "room-1",
        "created": created,
    }


@dataclass
class Harness:
    runner: BotRunner
    router: Router
    webex: Webex
    store: Store
    clock: list[datetime]  # clock[0] is "now" for the runner
    timer: list[float]  # timer[0] is the runner's monotonic time


@asynccontextmanager
async def harness(max_event_age: float = 3600.0) -> AsyncIterator[Harness]:
    router, webex = Router(), Webex()
    clock, timer = [NOW], [1000.0]
    now: Callable[[], datetime] = lambda: clock[0]  # noqa: E731
    tick: Callable[[], float] = lambda: timer[0]  # noqa: E731
    async with await open_store("sqlite:///:memory:") as store:
        app = SimpleNamespace(router=router, services=SimpleNamespace(store=store))
        runner = BotRunner(
            Settings(max_event_age=max_event_age),
            app=cast(App, app),
            messaging=cast(MessagingClient, webex),
            bot=BOT,
            clock=now,
            timer=tick,
        )
        yield Harness(runner, router, webex, store, clock, timer)
