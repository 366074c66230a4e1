"""A transcript harness: say things as a person, read what the bot answered.

It builds the real App (router, policy, commands, httpx clients) and swaps only the admin
client's transport for the in-process sandbox — so a test reads like the chat it protects:

    replies = await chat.say('create trunk name=lon-1 location="London HQ"')
    assert "created" in replies[-1].markdown
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from bot.app import App, build_app
from bot.auth import Policy
from bot.events import Actor, Event, Reply, Space, SpaceKind
from bot.settings import Settings
from bot.store import open_store
from bot.transports.shell import person_id_for
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState, SandboxTransport

ALICE = "alice@example.com"

DEFAULT_POLICY = """
[[grant]]
people    = ["alice@example.com", "bob@example.com"]
actions   = ["trunk.create", "trunk.read"]
locations = ["*"]
orgs      = ["*"]
confirm   = false

[[grant]]
people    = ["pat@example.com"]
actions   = ["trunk.create"]
locations = ["London HQ", "Paris Office"]
confirm   = false
orgs      = ["*"]

# Cards: carol confirms every create (the default); dave's creates need an approver.
[[grant]]
people    = ["carol@example.com"]
actions   = ["trunk.create"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["dave@example.com"]
actions   = ["trunk.create"]
approval  = "required"
approvers_space = "ROOM-APPROVERS"
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["erin@example.com", "dave@example.com"]
actions   = ["approve"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["olga@example.com"]
actions   = ["trunk.create"]
orgs      = ["{sandbox_org}"]
locations = ["*"]

[[grant]]
people    = ["outsider@example.com"]
actions   = ["trunk.create"]
orgs      = ["Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9zb21lLW90aGVyLW9yZw"]
locations = ["*"]

[[grant]]
people    = ["audrey@example.com"]
actions   = ["audit.read"]
locations = ["*"]
orgs      = ["*"]
"""


@dataclass
class RecordingOutbox:
    sent: list[Reply] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)  # id(reply) → message id
    deleted: list[str] = field(default_factory=list)

    async def send(self, reply: Reply) -> str | None:
        self.sent.append(reply)
        message_id = f"msg-out-{len(self.sent)}"
        self.ids[id(reply)] = message_id
        return message_id

    async def delete(self, message_id: str) -> bool:
        self.deleted.append(message_id)
        return True

    def message_id(self, reply: Reply) -> str:
        return self.ids[id(reply)]


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
        ctx = await self.app.router.handle(event, self.outbox)
        return ctx.sent if ctx is not None else []

    async def submit(
        self,
        card_reply: Reply,
        button: str,
        inputs: dict[str, object] | None = None,
        *,
        person: str = ALICE,
        space: str | None = None,
        room_id: str | None = None,
        message_id: str | None = None,
    ) -> list[Reply]:
        """Press ``button`` (its title) on the card in ``card_reply``, as Webex would post it:
        the inputs (default: the card's current values) merged with the button's data."""
        from bot import cards

        assert card_reply.card is not None, "that reply has no card"
        data = next(
            dict(a["data"])
            for a in card_reply.card["actions"]
            if a.get("type") == "Action.Submit" and a.get("title") == button
        )
        values = cards.current_values(card_reply.card) if inputs is None else dict(inputs)
        room = room_id or card_reply.room_id or "room-direct"
        kind = (
            SpaceKind(space)
            if space
            else (SpaceKind.DIRECT if room == "room-direct" else SpaceKind.GROUP)
        )
        n = next(self._ids)
        event = Event(
            id=f"action-{n}",
            actor=Actor(person_id_for(person), person, self.state.org_id),
            space=Space(room, kind),
            card_inputs={**values, **data},
            card_message_id=message_id or self.outbox.message_id(card_reply),
        )
        ctx = await self.app.router.handle(event, self.outbox)
        return ctx.sent if ctx is not None else []

    async def answer(self, text: str, **kw: str) -> str:
        """The last reply's markdown (most commands end with their outcome)."""
        replies = await self.say(text, **kw)  # type: ignore[arg-type]
        assert replies, f"no reply to {text!r}"
        return replies[-1].markdown

    def trunk_posts(self) -> list[dict[str, object]]:
        return [c.json for c in self.state.calls("POST", "/premisePstn/trunks") if c.json]


#: How the result of a create begins (a new trunk, or one Webex created while it was slow).
RESULT_STARTS = ("✅ Trunk ", "✅ Webex was slow, but the trunk was created")


def result_of(replies: Sequence[Reply]) -> Reply:
    """The result of a create among ``replies``, found by what it says (the 1:1 message with
    the password and the gateway configuration comes after it)."""
    found = [r for r in replies if r.markdown.startswith(RESULT_STARTS)]
    assert found, [r.markdown for r in replies]
    return found[-1]


def delivery_of(replies: Sequence[Reply]) -> Reply:
    """The 1:1 message after a create's result: the generated password and, for a registering
    trunk, the gateway configuration; never a card."""
    found = [
        r
        for r in replies
        if r.private
        and (
            "Password (shown only here)" in r.markdown
            or "Gateway configuration for trunk" in r.markdown
        )
    ]
    assert found, [r.markdown for r in replies]
    assert found[-1].card is None
    return found[-1]


async def make_chat(
    state: SandboxState | None = None,
    *,
    policy: str = DEFAULT_POLICY,
    tmp: Path | None = None,
    store_url: str = "sqlite:///:memory:",
    **settings: object,
) -> Chat:
    state = state or SandboxState.seeded()
    # A transcript sends many messages as one person in no time: flood control (tested on
    # its own in test_flood.py) would set them aside.
    settings.setdefault("rate_per_minute", 10_000)
    settings.setdefault("max_in_flight", 1_000)
    store = await open_store(store_url)
    config = Settings(
        admin_token=SecretStr(DEMO_ADMIN_TOKEN),
        api_url="https://webexapis.com/v1",
        policy=(tmp or Path("/nonexistent")) / "policy.toml",
        **settings,  # type: ignore[arg-type]
    )
    app = build_app(
        config,
        store=store,
        policy=Policy.parse(policy.replace("{sandbox_org}", state.org_id)),
        admin_transport=SandboxTransport(state),
        bot_names=("Trunkbot",),
    )
    app.owns_store = True
    chat = Chat(app=app, state=state)

    # Tests never wait for real: Retry-After and backoff sleeps are recorded instead.
    async def no_sleep(seconds: float) -> None:
        chat.slept.append(seconds)

    app.services.admin_http.sleep = no_sleep
    return chat


def seed_trunk(state: SandboxState, name: str, location: str = "Madrid") -> str:
    """A registering trunk already in the fake org (as Control Hub would have made it)."""
    from webexfake.calling.entities import SandboxTrunk
    from webexfake.ids import seeded_id

    values = state.new_trunk_values(name)
    trunk = SandboxTrunk(
        id=seeded_id("TRUNK", name),
        name=name,
        location_id=seeded_id("LOCATION", location),
        trunk_type="REGISTERING",
        password="Seeded#Passw0rd9",
        device_type="Cisco Unified Border Element",
        otg_dtg_id=values.otg_dtg_id,
        line_port=values.line_port,
        pilot_user_id=values.pilot_user_id,
        sip_authentication_user_name=values.sip_authentication_user_name,
        max_concurrent_calls=1000,
    )
    state.add_trunk(trunk)
    return trunk.id
