"""A transcript harness: say things as a person, read what the bot answered.

It builds the real App (router, policy, commands, httpx clients) and swaps only the admin
client's transport for the in-process sandbox — so a test reads like the chat it protects:

    replies = await chat.say('create trunk name=lon-1 location="London HQ"')
    assert "created" in replies[-1].markdown
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from bot.app import App, build_app
from bot.auth import Policy
from bot.events import Actor, Event, Reply, Space, SpaceKind
from bot.sandbox import DEMO_ADMIN_TOKEN, SandboxState, SandboxTransport
from bot.settings import Settings
from bot.transports.shell import person_id_for

ALICE = "alice@example.com"

DEFAULT_POLICY = """
[[grant]]
people    = ["alice@example.com", "bob@example.com"]
actions   = ["trunk.create", "trunk.read"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["pat@example.com"]
actions   = ["trunk.create"]
locations = ["London HQ", "Paris Office"]

[[grant]]
people    = ["olga@example.com"]
actions   = ["trunk.create"]
orgs      = ["{sandbox_org}"]

[[grant]]
people    = ["outsider@example.com"]
actions   = ["trunk.create"]
orgs      = ["Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9zb21lLW90aGVyLW9yZw"]
"""


@dataclass
class RecordingOutbox:
    sent: list[Reply] = field(default_factory=list)

    async def send(self, reply: Reply) -> str | None:
        self.sent.append(reply)
        return f"msg-{len(self.sent)}"


@dataclass
class Chat:
    app: App
    state: SandboxState
    outbox: RecordingOutbox = field(default_factory=RecordingOutbox)
    slept: list[float] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def say(
        self, text: str, *, person: str = ALICE, space: str = "direct", is_bot: bool = False
    ) -> list[Reply]:
        """One message from ``person``; returns the replies it got, in order."""
        kind = SpaceKind(space)
        n = next(self._ids)
        event = Event(
            id=f"msg-in-{n}",
            actor=Actor(person_id_for(person), person, self.state.org_id, is_bot=is_bot),
            space=Space(f"room-{space}", kind),
            text=text,
            message_id=f"msg-in-{n}",
            mentions_bot=True,
        )
        before = len(self.outbox.sent)
        await self.app.router.handle(event, self.outbox)
        return self.outbox.sent[before:]

    async def answer(self, text: str, **kw: str) -> str:
        """The last reply's markdown (most commands end with their outcome)."""
        replies = await self.say(text, **kw)  # type: ignore[arg-type]
        assert replies, f"no reply to {text!r}"
        return replies[-1].markdown

    def trunk_posts(self) -> list[dict[str, object]]:
        return [c.json for c in self.state.calls("POST", "/premisePstn/trunks") if c.json]


def make_chat(
    state: SandboxState | None = None,
    *,
    policy: str = DEFAULT_POLICY,
    tmp: Path | None = None,
    **settings: object,
) -> Chat:
    state = state or SandboxState.seeded()
    config = Settings(
        admin_token=SecretStr(DEMO_ADMIN_TOKEN),
        api_url="https://webexapis.com/v1",
        policy=(tmp or Path("/nonexistent")) / "policy.toml",
        **settings,  # type: ignore[arg-type]
    )
    app = build_app(
        config,
        policy=Policy.parse(policy.replace("{sandbox_org}", state.org_id)),
        admin_transport=SandboxTransport(state),
        bot_names=("Trunkbot",),
    )
    chat = Chat(app=app, state=state)

    # Tests never wait for real: Retry-After and backoff sleeps are recorded instead.
    async def no_sleep(seconds: float) -> None:
        chat.slept.append(seconds)

    app.services.admin_http.sleep = no_sleep
    return chat
