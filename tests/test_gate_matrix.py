"""Every registered command × every way in × every kind of person who must be refused.

The rows come from the router's own registry: a new text command brings its ``example``; a
new card purpose needs a card factory below (the test fails until it has one), so nothing
is left out silently. Each attempt must be refused *and* leave a refused audit row with
the reason, the fake Webex must have seen no write and no request about the other org, and
a refused card stays usable by its rightful person (the nonce is not burnt).

The follow-up path (an answer to the bot's question) does not exist yet: when it does, it
gets its factory here like the cards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from bot import cards
from bot.auth import ACTIONS
from bot.events import Actor, Context, Event, Space, SpaceKind
from bot.gate import PUBLIC
from bot.router import Command, Request
from bot.store.bulk import JobState, NewRow
from bot.transports.shell import person_id_for
from commands.bulk import run as bulk_run
from tests.chat import Chat, RecordingOutbox, make_chat, seed_trunk
from webexfake.calling import seeded_id

MADRID = seeded_id("LOCATION", "Madrid")
OTHER_ORG = "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9tYXRyaXgtb3RoZXI"
GROUP_ROOM, APPROVERS = "room-group", "ROOM-APPROVERS"
ALICE = "alice@example.com"

# Every registered card purpose is a path of its own ("card-<purpose>"), with a factory in
# issue() below: a purpose without one fails the whole module at collection.
CARD_PURPOSES = (
    "form",
    "confirm",
    "approval",
    "pick-update",
    "pick-delete",
    "update",
    "delete",
    "bulk-confirm",
    "bulk-stop",
    "connect",
)
PATHS = ("text-direct", "text-group", *(f"card-{p}" for p in CARD_PURPOSES))
ATTACKERS = (
    "unlisted",
    "wrong-action",
    "wrong-location",
    "wrong-org-person",
    "wrong-org-domain",
    "wrong-org-space",
    "unknown-org",
    "foreign-target-org",
    "bot",
)
# The card paths each answer one registered card purpose; their action comes from it.
CARD_PURPOSE = {f"card-{p}": p for p in CARD_PURPOSES}
LIFECYCLE_TRUNK = "lifecycle-1"  # seeded in Madrid for every row


def policy_for(action: str, our_org: str, space_grant_room: str | None = None) -> str:
    """Alice may do anything (she owns the cards); everyone else is one way short of
    ``action`` in our org's Madrid. The space grant (which names everyone in that room) is
    there only when the space is what is tried."""
    others = [a for a in sorted(ACTIONS) if a != action]

    def grant(who: str, actions: list[str], locations: str = '["*"]', orgs: str = "") -> str:
        return (
            f"[[grant]]\n{who}\nactions = {json.dumps(actions)}\nlocations = {locations}\n"
            f"orgs = {orgs or json.dumps([our_org])}\nconfirm = true\n\n"
        )

    return "".join(
        [
            grant(f'people = ["{ALICE}"]', ["*"]),
            grant('people = ["wrong-action@example.com"]', others),
            grant('people = ["paris@example.com"]', [action], '["Paris Office"]'),
            grant('people = ["abroad@example.com"]', [action], orgs=json.dumps([OTHER_ORG])),
            grant('domains = ["partner.example"]', [action]),
            grant(f'spaces = ["{space_grant_room}"]', [action]) if space_grant_room else "",
            grant('people = ["unknown@example.com"]', [action], orgs='["*"]'),
            grant('people = ["home@example.com"]', [action]),
            grant('people = ["robot@example.com"]', ["*"], orgs='["*"]'),
        ]
    )


def attacker(kind: str, our_org: str) -> Actor:
    email, org = {
        "unlisted": ("mallory@evil.example", our_org),
        "wrong-action": ("wrong-action@example.com", our_org),
        "wrong-location": ("paris@example.com", our_org),
        "wrong-org-person": ("abroad@example.com", our_org),
        "wrong-org-domain": ("x@partner.example", OTHER_ORG),
        "wrong-org-space": ("stranger@elsewhere.example", OTHER_ORG),
        "unknown-org": ("unknown@example.com", None),
        "foreign-target-org": ("home@example.com", our_org),
        "bot": ("robot@example.com", our_org),
    }[kind]
    return Actor(person_id_for(email), email, org, is_bot=kind == "bot")


@dataclass
class Card:
    nonce: str
    room: Space
    message_id: str
    verb: str
    inputs: dict[str, object]


def summary(org: str) -> dict[str, object]:
    return {
        "name": "gate-1",
        "location": "Madrid",
        "location_id": MADRID,
        "type": cards.TYPE_REGISTERING,
        "org": org,
    }


async def issue(chat: Chat, purpose: str, owner: Actor, org: str, space: Space) -> Card:
    """A live card of ``purpose`` for ``owner`` (as if issued while they were allowed, or
    an approval card for Alice's request in the approvers' space)."""
    store = chat.app.services.store
    target = "org" if purpose == "form" else None
    if purpose == "form":
        payload: dict[str, object] = {
            "locations": [MADRID],
            "devices": [],
            target or "org": org,
            "direct": space.kind is SpaceKind.DIRECT,
            "for": owner.email,
        }
        verb, inputs = cards.REVIEW, {"name": "gate-1", "location": MADRID}
    elif purpose == "confirm":
        payload = {"request": summary(org), "typed_password": False, "for": owner.email}
        verb, inputs = cards.CONFIRM, {}
    elif purpose == "approval":
        request = {
            "summary": summary(org),
            "requester": {"person_id": person_id_for(ALICE), "email": ALICE, "org_id": org},
            "room_id": "room-direct",
            "room_kind": "direct",
            "thread_id": None,
            "typed_password": False,
        }
        approval_id = await store.create_approval(
            request_json=json.dumps(request),
            requester_id=person_id_for(ALICE),
            approvers_room=APPROVERS,
            ttl_seconds=3600,
        )
        payload = {"approval_id": approval_id}
        owner = Actor(person_id_for(ALICE), ALICE, org)
        space = Space(APPROVERS, SpaceKind.GROUP)
        verb, inputs = cards.APPROVE, {}
    elif purpose in ("pick-update", "pick-delete"):
        trunk_id = seeded_id("TRUNK", LIFECYCLE_TRUNK)
        payload = {"trunks": [trunk_id], "org": org, "for": owner.email}
        verb, inputs = cards.REVIEW, {"trunk": trunk_id, "name": "gate-2"}
    elif purpose in ("update", "delete"):
        payload = {
            "trunk_id": seeded_id("TRUNK", LIFECYCLE_TRUNK),
            "name": LIFECYCLE_TRUNK,
            "summary": {**summary(org), "name": LIFECYCLE_TRUNK},
            "facts": [["Trunk", LIFECYCLE_TRUNK]],
            "typed_password": False,
            "for": owner.email,
            "changes": {"name": "gate-2"} if purpose == "update" else {},
        }
        verb, inputs = cards.CONFIRM, {}
    elif purpose in ("bulk-confirm", "bulk-stop"):
        job_id = f"job-{purpose}-{owner.person_id[:6]}"
        await store.bulk.create(
            job_id,
            requester=owner.person_id,
            room_id=space.room_id,
            org_id=org,
            request={
                "file": "t.csv",
                "requester": {
                    "person_id": owner.person_id,
                    "email": owner.email,
                    "org_id": owner.org_id,
                },
            },
            rows=[NewRow(2, "gate-1", MADRID, {"name": "gate-1", "type": "REGISTERING"})],
        )
        if purpose == "bulk-stop":
            await store.bulk.move(job_id, JobState.RUNNING, only_from=(JobState.AWAITING,))
        payload = {"job_id": job_id, "for": owner.email}
        verb, inputs = ("confirm" if purpose == "bulk-confirm" else "stop"), {}
    elif purpose == "connect":
        payload = {
            "summary": {"name": "Madrid", "org": org, "location_id": MADRID, "location": "Madrid"},
            "target": {
                "type": "TRUNK",
                "id": seeded_id("TRUNK", LIFECYCLE_TRUNK),
                "name": LIFECYCLE_TRUNK,
            },
            "before": "no premises PSTN connection",
            "facts": [["Location", "Madrid"]],
            "for": owner.email,
        }
        verb, inputs = cards.CONFIRM, {}
    else:  # a new card purpose: give it a factory here
        raise AssertionError(f"no card factory for purpose {purpose!r}")
    nonce = await store.issue_nonce(
        purpose=purpose,
        room_id=space.room_id,
        person_id=owner.person_id,
        message_id=None,
        payload_json=json.dumps(payload),
        ttl_seconds=900,
    )
    message_id = f"card-msg-{nonce[:8]}"
    await store.attach_message(nonce, message_id)
    return Card(nonce, space, message_id, verb, inputs)


def test_only_help_is_public() -> None:
    """Making a command public is a decision this test must be told of."""

    async def names() -> set[str]:
        chat = await make_chat()
        try:
            return {c.name for c in chat.app.router.all_commands if c.action == PUBLIC}
        finally:
            await chat.app.aclose()

    import asyncio

    assert asyncio.run(names()) == {"help"}


def rows() -> list[tuple[str, str, str]]:
    """(command key, path, attacker): text commands by their words, cards by purpose."""
    import asyncio

    async def keys() -> list[str]:
        chat = await make_chat()
        try:
            return [c.name for c in chat.app.router.all_commands if c.action != PUBLIC]
        finally:
            await chat.app.aclose()

    out = []
    registered = asyncio.run(keys())
    card_keys = {k for k in registered if k.startswith("card:")}
    assert card_keys == {f"card:{p}" for p in CARD_PURPOSES}, "a card purpose has no path"
    for key in registered:
        for path in PATHS:
            is_card_path = path.startswith("card-")
            if key.startswith("card:") != is_card_path:
                continue
            if is_card_path and key != f"card:{CARD_PURPOSE[path]}":
                continue
            out += [(key, path, kind) for kind in ATTACKERS]
    assert {p for _, p, _ in out} == set(PATHS), "a path has no command"
    return out


ROWS = rows()


async def _applies(chat: Chat, command: Command, kind: str, actor: Actor) -> bool:
    """Whether this attacker kind means anything for this command (a location or org)."""
    if command.purpose is not None or kind not in ("wrong-location", "foreign-target-org"):
        return True
    ctx = Context(
        event=Event("probe", actor, Space("room-direct", SpaceKind.DIRECT)),
        outbox=RecordingOutbox(),
    )
    scope = await command.scope(ctx, Request(args=command.example[len(command.name) :].strip()))
    if kind == "wrong-location":
        return scope.location is not None or scope.locate is not None
    return isinstance(scope.org, str) or scope.org is None


@pytest.mark.parametrize(("key", "path", "kind"), ROWS, ids=["/".join(r) for r in ROWS])
async def test_refused_audited_and_nothing_written(key: str, path: str, kind: str) -> None:
    base = await make_chat()
    our_org = base.state.org_id
    await base.app.aclose()
    command_of = {c.name: c for c in base.app.router.all_commands}
    room = APPROVERS if path == "card-approval" else GROUP_ROOM
    space_grant = room if kind == "wrong-org-space" else None
    chat = await make_chat(policy=policy_for(command_of[key].action, our_org, space_grant))
    seed_trunk(chat.state, "lifecycle-1", "Madrid")  # what the lifecycle examples name
    try:
        command = {c.name: c for c in chat.app.router.all_commands}[key]
        actor = attacker(kind, our_org)
        if not await _applies(chat, command, kind, actor):
            pytest.skip(f"{key} names no location or org")
        before = len(chat.state.requests)
        event_id = f"matrix-{key}-{path}-{kind}"
        target_org = OTHER_ORG if kind == "foreign-target-org" else our_org
        card: Card | None = None
        if path.startswith("text-"):
            direct = path == "text-direct"
            text = command.example + (f" org={OTHER_ORG}" if kind == "foreign-target-org" else "")
            event = Event(
                id=event_id,
                actor=actor,
                space=Space("room-direct", SpaceKind.DIRECT)
                if direct
                else Space(GROUP_ROOM, SpaceKind.GROUP),
                text=text if direct else f"Trunkbot {text}",
                message_id=event_id,
                mentions_bot=True,
            )
        else:
            space = Space(GROUP_ROOM, SpaceKind.GROUP)
            card = await issue(chat, CARD_PURPOSE[path], actor, target_org, space)
            event = Event(
                id=event_id,
                actor=actor,
                space=card.room,
                card_inputs={
                    **card.inputs,
                    cards.DATA_KEY: {"nonce": card.nonce, "action": card.verb},
                },
                card_message_id=card.message_id,
            )
        ctx = await chat.app.router.handle(event, chat.outbox)

        new = chat.state.requests[before:]
        assert [r for r in new if r.method != "GET"] == [], "a write reached Webex"
        assert [r for r in new if OTHER_ORG in json.dumps(r.query)] == [], "a foreign read"
        rows = [r for r in await chat.app.services.store.list_audit() if r.event_id == event_id]
        assert [r.decision for r in rows] == ["refused"], rows
        assert rows[0].reason, rows[0]
        if kind == "bot":
            assert ctx is None
            assert rows[0].reason == "a bot sent it"
        else:
            assert ctx is not None
            assert len(ctx.sent) == 1, [r.markdown for r in ctx.sent]
            assert "Traceback" not in ctx.sent[0].markdown
        if card is not None:
            record = await chat.app.services.store.get_nonce(card.nonce)
            assert record is not None
            assert record.used_at is None, "a refused press used up the card"
    finally:
        await chat.app.aclose()


@pytest.mark.parametrize("path", PATHS)
async def test_the_rightful_person_gets_through_on_every_path(path: str) -> None:
    """The same requests from people the policy allows go through: the refusals above are
    the gate's doing, not broken requests."""
    base = await make_chat()
    our_org = base.state.org_id
    await base.app.aclose()
    action = "approve" if path == "card-approval" else "trunk.create"
    chat = await make_chat(policy=policy_for(action, our_org))
    seed_trunk(chat.state, LIFECYCLE_TRUNK, "Madrid")
    try:
        email = "home@example.com" if path == "card-approval" else ALICE
        actor = Actor(person_id_for(email), email, our_org)
        if path.startswith("text-"):
            space = "direct" if path == "text-direct" else "group"
            replies_ = await chat.say("create trunk name=gate-1 location=Madrid", space=space)
            assert "Create this trunk?" in json.dumps(replies_[-1].card)
            return
        card = await issue(
            chat, CARD_PURPOSE[path], actor, our_org, Space(GROUP_ROOM, SpaceKind.GROUP)
        )
        event = Event(
            id=f"ok-{path}",
            actor=actor,
            space=card.room,
            card_inputs={**card.inputs, cards.DATA_KEY: {"nonce": card.nonce, "action": card.verb}},
            card_message_id=card.message_id,
        )
        ctx = await chat.app.router.handle(event, chat.outbox)
        assert ctx is not None
        rows = [r for r in await chat.app.services.store.list_audit() if r.event_id == event.id]
        assert [r.decision for r in rows] == ["allowed"], [r.reason for r in rows]
        if path == "card-form":
            assert "Create this trunk?" in json.dumps(ctx.sent[-1].card)
        elif path.startswith("card-pick-"):
            assert "Confirm on the card" in ctx.sent[-1].markdown
        elif path == "card-update":
            assert ctx.sent[-2].markdown.startswith("✅ Trunk **gate-2** updated")  # in the group
            assert ctx.sent[-1].private  # the new password, 1:1
        elif path == "card-delete":
            assert ctx.sent[-1].markdown == f"🗑 Trunk **{LIFECYCLE_TRUNK}** deleted."
        elif path == "card-bulk-confirm":
            await bulk_run.wait_all()
            assert [p["name"] for p in chat.trunk_posts()] == ["gate-1"]
        elif path == "card-bulk-stop":
            assert ctx.sent[-1].markdown.startswith("Stopping the bulk create")
        elif path == "card-connect":
            connection = chat.state.locations[MADRID].connection
            assert connection == ("TRUNK", seeded_id("TRUNK", LIFECYCLE_TRUNK))
        else:
            assert [p["name"] for p in chat.trunk_posts()] == ["gate-1"]
    finally:
        await chat.app.aclose()
