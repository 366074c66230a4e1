"""Fuzzing the router with hypothesis: arbitrary messages and arbitrary card submissions.

Every example goes through the real router, policy, commands, store and sandbox (the
transcript harness, ``tests/chat.py``), one chat per test, events built as Webex would
deliver them. Whatever comes in:

* nothing escapes: no exception, no "something went wrong (incident …)", no traceback;
* every event is answered — or deliberately ignored (a bot's message, a group message that
  doesn't mention the bot), which leaves an "ignored" audit row and no reply;
* no reply echoes a typed password;
* no trunk is created unless the request was genuine: a text create only by someone whose
  grant allows it at once, and a card only when its hidden data, card message, space and
  person are exactly those the bot issued it for — and then only the trunk that was reviewed,
  whatever the submitted inputs say.

Profiles (registered in ``tests/conftest.py``): ``default`` runs 200 examples per test in
``make test`` (a few seconds); the long one runs 100,000 per test, on demand::

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_fuzz.py -q

(about 7 minutes for the messages and 40 for the cards on one core; add ``-x`` to stop at the
first failure, which hypothesis shrinks and prints, and replays first on the next run).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as label
from hypothesis import strategies as st

from bot import cards
from bot.auth import UNLISTED
from bot.events import Actor, Event, Reply, Space, SpaceKind
from bot.grammar import GrammarError, parse_args, split_command
from bot.logs import SECRETS
from bot.transports.shell import person_id_for
from tests.chat import Chat, make_chat
from tests.secret_scan import common, secret_shaped
from webexfake.calling import seeded_id

TRUNKS = "/premisePstn/trunks"
MADRID = seeded_id("LOCATION", "Madrid")
CAROL, DAVE, ERIN = "carol@example.com", "dave@example.com", "erin@example.com"
APPROVERS = "ROOM-APPROVERS"
#: Grants with ``confirm = false``: their text creates POST at once.
CREATE_AT_ONCE = {"alice@example.com", "bob@example.com", "pat@example.com"}
PEOPLE = sorted(
    CREATE_AT_ONCE
    | {CAROL, DAVE, ERIN, "olga@example.com", "outsider@example.com", "mallory@evil.example"}
)
BROKEN = re.compile(r"Traceback|incident `|Something went wrong on my side", re.IGNORECASE)
MAX_MESSAGE_BYTES = 7439  # Webex's limit for a message's markdown

# The examples of a test share its fixtures (made once per test, not per example).
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


RENEW_EVERY = 500  # examples per chat: a long run starts afresh now and then


class Chats:
    """The chat the examples of one test share, renewed every RENEW_EVERY examples so a long
    run stays as fast and as small as a short one (the sandbox keeps every request).

    The bot's registry of secrets to scrub from logs (``bot.logs.SECRETS``) keeps each
    password for a week, up to ``MAX_VALUES``, and every log record is checked against all of
    it: 100,000 typed passwords in one process would fill it and slow every line down. A
    renewed chat is a fresh process in that respect too: the registry goes back to what it
    held when the test began (the secret scan keeps its own record of every value).
    """

    def __init__(self) -> None:
        self.current: Chat | None = None
        self.uses = 0
        self.initial = SECRETS.snapshot()

    async def get(self) -> Chat:
        if self.current is not None and self.uses >= RENEW_EVERY:
            await self.close()
        if self.current is None:
            self.current = await make_chat()
            self.uses = 0
        self.uses += 1
        return self.current

    async def close(self) -> None:
        if self.current is not None:
            await self.current.app.aclose()
            self.current = None
            SECRETS.restore(self.initial)


@pytest.fixture
async def chats() -> AsyncIterator[Chats]:
    chats = Chats()
    yield chats
    await chats.close()


_ids = itertools.count()


def next_id(prefix: str) -> str:
    return f"fuzz-{prefix}-{next(_ids)}"


def actor(email: str, chat: Chat) -> Actor:
    return Actor(person_id_for(email), email, chat.state.org_id)


def posts(chat: Chat, since: int = 0, *, refused: bool = False) -> list[dict[str, Any]]:
    """Trunk POST bodies the sandbox received from its ``since``-th request on and accepted
    (2xx) — or, with ``refused``, answered with an error (a create that goes ahead at once
    lets Webex's answer to the POST be the name check, so a name the fuzz drew twice is a
    refused POST, not a trunk)."""
    with chat.state.lock:
        requests = chat.state.requests[since:]
    return [
        r.json
        for r in requests
        if r.method == "POST"
        and r.path.endswith(TRUNKS)
        and isinstance(r.json, dict)
        and r.status is not None
        and (r.status >= 300) == refused
    ]


def shown(reply: Reply) -> str:
    """Everything a reply shows: its text and its card."""
    return reply.markdown + "\n" + json.dumps(reply.card or {}, ensure_ascii=False)


def assert_sane(replies: list[Reply], context: object) -> None:
    for reply in replies:
        assert reply.markdown.strip(), context
        assert not BROKEN.search(reply.markdown), (reply.markdown, context)
        assert len(reply.markdown.encode()) <= MAX_MESSAGE_BYTES, context


def assert_not_echoed(password: str, replies: list[Reply], elsewhere: str) -> None:
    """A typed password never comes back — checked when it looks like one and isn't the
    product's own words (the secret scan's rules: "grou", "Password" or "Line/por" typed as a
    password appear in ordinary replies), and was not typed as something else too (then its
    appearance would prove nothing)."""
    if not secret_shaped(password) or common(password) or password in elsewhere:
        return
    for reply in replies:
        assert password not in shown(reply), (password, reply.markdown)


# --- messages -------------------------------------------------------------------------------

KEYS = [
    "name",
    "location",
    "type",
    "device",
    "address",
    "domain",
    "port",
    "max-calls",
    "dual-identity",
    "org",
    "locationId",
    "trunkType",
    "maxConcurrentCalls",
    "colour",
    "",
]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "London HQ",
            "Madrid",
            "Pa",
            "Warehouse",
            "certificate",
            "registering",
            "auto",
            "AudioCodes SBC",
            "sbc.example.com",
            "0",
            "65536",
            "-1",
            "1e9",
            "yes",
            "maybe",
            '"unterminated',
            "<@all>",
            "[x](https://evil.example)",
            "`code`",
            "x" * 300,
            "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9ldmls",
        ]
    ),
)
QUOTE = st.sampled_from(["", '"', "'", "“"])
PAIR = st.builds(lambda k, v, q: f"{k}={q}{v}{q}", st.sampled_from(KEYS), VALUES, QUOTE)
TYPED = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc"), exclude_characters="\"'“"
    ),
    min_size=1,
    max_size=40,
)
PREFIX = st.sampled_from(
    [
        "create trunk ",
        "Create  TRUNK ",
        "@Trunkbot create trunk ",
        "Trunkbot, create trunk ",
        "",
        "help ",
        "audit ",
        "please create trunk ",
        "create ",
        "trunk ",
    ]
)


#: A password Webex would take: upper, lower, digit, symbol, 8 to 40 characters.
STRONG = st.builds(
    lambda core, tail: "".join(core) + tail,
    st.tuples(
        st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
        st.sampled_from("abcdefghijkmnopqrstuvwxyz"),
        st.sampled_from("23456789"),
        st.sampled_from("#$%*+-=@^_"),
    ),
    st.text(
        alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789#$%*+-=@^_",
        min_size=4,
        max_size=36,
    ),
)


@st.composite
def messages(draw: st.DrawFn) -> str:
    """Raw text, key=value-ish commands (now and then with a password), or a create that
    would go through (with a generated or a typed password) plus some noise."""
    shape = draw(st.sampled_from(["text", "pairs", "create"]))
    if shape == "text":
        return draw(st.text(max_size=300))
    if shape == "pairs":
        pairs = draw(st.lists(PAIR, max_size=7))
        password = draw(st.none() | TYPED | STRONG)
    else:
        location = draw(st.sampled_from(['"London HQ"', "Madrid", "'Paris Office'", '"new york"']))
        pairs = [f"name=fz-{draw(st.uuids()).hex[:12]}", f"location={location}"]
        password = draw(st.none() | STRONG)
    if password is not None:
        pairs.insert(draw(st.integers(0, len(pairs))), f"password={password}")
    prefix = draw(PREFIX) if shape == "pairs" else "create trunk "
    return prefix + " ".join(pairs)


def typed_password(chat: Chat, text: str, direct: bool) -> str | None:
    """The password the bot reads in this message, if it reads one: only `create trunk`
    takes a password, and only the grammar says which value is it (``name="… password=x"``
    is a name). Anything else isn't read as holding one: "password=x" as the first word of
    an unknown message is quoted back as that word."""
    if not direct:
        text = chat.app.router.strip_mention(text)
    split = split_command(text.strip(), [("create", "trunk")])
    if split is None:
        return None
    try:
        return parse_args(split[1]).get("password")
    except GrammarError:
        return None


@FUZZ
@given(
    message=messages(),
    person=st.sampled_from([*PEOPLE, *sorted(CREATE_AT_ONCE)]),
    direct=st.booleans(),
    mentioned=st.sampled_from([True, True, True, False]),
    from_a_bot=st.sampled_from([False] * 9 + [True]),
)
async def test_any_message_is_answered_or_ignored(
    chats: Chats, message: str, person: str, direct: bool, mentioned: bool, from_a_bot: bool
) -> None:
    """Any text, from anyone, anywhere: one sensible answer or a recorded silence."""
    chat = await chats.get()
    before, since = len(chat.state.requests), datetime.now(UTC)
    event_id = next_id("msg")
    event = Event(
        id=event_id,
        actor=Actor(person_id_for(person), person, chat.state.org_id, is_bot=from_a_bot),
        space=Space(
            "room-direct" if direct else "room-group", SpaceKind("direct" if direct else "group")
        ),
        text=message,
        message_id=event_id,
        mentions_bot=mentioned or direct,
    )
    ctx = await chat.app.router.handle(event, chat.outbox)
    sent = ctx.sent if ctx is not None else []
    rows = [
        r for r in await chat.app.services.store.list_audit(since=since) if r.event_id == event_id
    ]

    ignored = from_a_bot or not (direct or mentioned)
    created = posts(chat, before)
    refused = posts(chat, before, refused=True)
    label(
        "ignored" if ignored else "created" if created else "name taken" if refused else "answered"
    )
    if ignored:
        assert sent == [], message
        assert [(r.action, r.result) for r in rows] == [("message", "ignored")]
        assert created == refused == []
        return
    if not sent:
        # Someone the policy doesn't know hears "not allowed" at most once a minute; each
        # refusal is still on record.
        assert [r.decision for r in rows] == ["refused"], message
        assert str(rows[0].reason).endswith(f"(policy: {UNLISTED})"), rows[0].reason
        return
    assert_sane(sent, message)
    assert len(rows) <= 1, rows
    password = typed_password(chat, message, direct)
    if password is not None:
        elsewhere = message.replace(password, "", 1)
        assert_not_echoed(password, sent, elsewhere)
    if created:
        assert person in CREATE_AT_ONCE, (person, message)
        assert len(created) == 1
        typed = password is not None and password.strip().casefold() != "auto"
        assert direct or not typed, "a password typed in a group space was used"
        assert [r.result for r in rows] in (["created"], ["recovered"])
    if refused:
        # Only a name already taken (by an earlier example) gets a POST Webex refuses, and the
        # person hears which trunk has it.
        assert person in CREATE_AT_ONCE, (person, message)
        assert created == []
        assert len(refused) == 1
        assert chat.state.trunk_by_name(refused[0]["name"]) is not None
        assert "already" in shown(sent[-1]), sent[-1]
        assert [r.result for r in rows] == ["failed"]


# --- card submissions -----------------------------------------------------------------------

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.sampled_from([10_000, 300_000]).map(lambda n: "x" * n),
    st.sampled_from([MADRID, "registering", "certificate", "yes", "Ribbon SBC", "auto"]),
)
JSON = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
INPUT_KEYS = st.one_of(st.sampled_from(sorted(cards.FORM_INPUTS)), st.text(max_size=20))
VERBS = [cards.REVIEW, cards.CANCEL, cards.CONFIRM, cards.APPROVE, cards.REJECT]


@dataclass
class IssuedCard:
    """A card the bot really posted, with everything a genuine submission would carry."""

    purpose: str  # "form", "confirm" or "approval"
    owner: str
    room: Space
    message_id: str
    nonce: str
    verbs: list[str]
    values: dict[str, Any]
    name: str | None = None  # the reviewed trunk's name (confirm and approval cards)


@dataclass
class Bag:
    """What the examples of one test share: the previous example's card (for replays)."""

    last_nonce: str | None = None


@pytest.fixture
def bag() -> Bag:
    return Bag()


def _card_in(replies: list[Reply]) -> Reply | None:
    return next((r for r in reversed(replies) if r.card and _submits(r)), None)


def _submits(reply: Reply) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for action in (reply.card or {}).get("actions", []):
        data = action.get("data") or {}
        if action.get("type") == "Action.Submit" and cards.DATA_KEY in data:
            out.append((str(action.get("title")), dict(data[cards.DATA_KEY])))
    return out


async def _say(chat: Chat, person: str, room: Space, text: str) -> list[Reply]:
    event_id = next_id("setup")
    event = Event(
        id=event_id,
        actor=actor(person, chat),
        space=room,
        text=text,
        message_id=event_id,
        mentions_bot=True,
    )
    ctx = await chat.app.router.handle(event, chat.outbox)
    assert ctx is not None
    return ctx.sent


async def _press(chat: Chat, person: str, room: Space, reply: Reply, title: str) -> list[Reply]:
    data = next(d for t, d in _submits(reply) if t == title)
    event = Event(
        id=next_id("setup-press"),
        actor=actor(person, chat),
        space=room,
        card_inputs={**cards.current_values(reply.card or {}), cards.DATA_KEY: data},
        card_message_id=chat.outbox.message_id(reply),
    )
    ctx = await chat.app.router.handle(event, chat.outbox)
    assert ctx is not None
    return ctx.sent


def _issued(
    chat: Chat, purpose: str, owner: str, room: Space, reply: Reply, name: str | None
) -> IssuedCard:
    submits = _submits(reply)
    return IssuedCard(
        purpose=purpose,
        owner=owner,
        room=room,
        message_id=chat.outbox.message_id(reply),
        nonce=str(submits[0][1]["nonce"]),
        verbs=[str(d["action"]) for _, d in submits],
        values=cards.current_values(reply.card or {}),
        name=name,
    )


async def issue(chat: Chat, purpose: str, direct: bool) -> IssuedCard:
    """Have the bot post a real card of that purpose."""
    room = (
        Space("room-direct", SpaceKind.DIRECT) if direct else Space("room-group", SpaceKind.GROUP)
    )
    if purpose == "form":
        replies = await _say(chat, CAROL, room, "create trunk")
        card = _card_in(replies)
        assert card is not None, [r.markdown for r in replies]
        return _issued(chat, purpose, CAROL, room, card, None)
    name = f"fz-card-{next(_ids)}"
    owner = CAROL if purpose == "confirm" else DAVE
    replies = await _say(chat, owner, room, f"create trunk name={name} location=Madrid")
    confirm = _card_in(replies)
    assert confirm is not None, [r.markdown for r in replies]
    if purpose == "confirm":
        return _issued(chat, purpose, owner, room, confirm, name)
    replies = await _press(chat, owner, room, confirm, "Create")
    approval = next((r for r in replies if r.room_id == APPROVERS and r.card), None)
    assert approval is not None, [r.markdown for r in replies]
    return _issued(chat, purpose, owner, Space(APPROVERS, SpaceKind.GROUP), approval, name)


@st.composite
def tampering(draw: st.DrawFn) -> dict[str, Any]:
    """How a submission differs from the genuine one: in nothing but its inputs, in one
    respect (its hidden data, its person, space or card message), or in several at once."""
    what = draw(st.sampled_from(["nothing", "data", "person", "room", "message", "several"]))
    several = what == "several"
    t: dict[str, Any] = {
        "data": "real",
        "person": "owner",
        "room": "card",
        "message": "card",
        "verb": draw(st.sampled_from(VERBS) | st.text(max_size=10)),
        "nonce": draw(st.text(max_size=200)),
        "junk": draw(JSON),
        "inputs": draw(st.sampled_from(["card", "random", "card+random"])),
        "random_inputs": draw(st.dictionaries(INPUT_KEYS, JSON, max_size=8)),
        "password": draw(st.none() | TYPED | STRONG),
    }
    if what == "data" or several:
        modes = ["real", "extra", "verb", "random", "replayed", "junk", "none"]
        t["data"] = draw(st.sampled_from(modes))
    if what == "person" or several:
        t["person"] = draw(st.sampled_from(["owner", *PEOPLE]))
    if what == "room" or several:
        t["room"] = draw(st.sampled_from(["card", "other", "other-kind"]))
    if what == "message" or several:
        t["message"] = draw(st.sampled_from(["card", "random", "none"]))
    return t


def forge(card: IssuedCard, t: dict[str, Any], bag: Bag, org_id: str) -> tuple[Event, str, bool]:
    """The submission event, the verb it names, and whether it is genuine."""
    verb = card.verbs[0] if t["data"] in ("real", "extra") else str(t["verb"])
    data: Any
    match t["data"]:
        case "real":
            data = {"nonce": card.nonce, "action": verb}
        case "extra":
            data = {"nonce": card.nonce, "action": verb, "x": t["junk"]}
        case "verb":
            data = {"nonce": card.nonce, "action": verb}
        case "random":
            data = {"nonce": t["nonce"], "action": verb}
        case "replayed":
            data = {"nonce": bag.last_nonce or card.nonce, "action": verb}
        case "junk":
            data = t["junk"]
        case _:
            data = None
    inputs: dict[str, Any] = {}
    if "card" in t["inputs"]:
        inputs.update(card.values)
    if "random" in t["inputs"]:
        inputs.update(t["random_inputs"])
    if t["password"] is not None:
        inputs["password"] = t["password"]
    if data is not None:
        inputs[cards.DATA_KEY] = data
    person = card.owner if t["person"] == "owner" else t["person"]
    if card.purpose == "approval" and t["person"] == "owner":
        person = ERIN  # an approval card is for the approvers
    room = card.room
    if t["room"] == "other":
        room = Space("room-elsewhere", card.room.kind)
    elif t["room"] == "other-kind":
        other = SpaceKind.GROUP if card.room.is_direct else SpaceKind.DIRECT
        room = Space(card.room.room_id, other)
    message_id = {"card": card.message_id, "random": t["nonce"] or "m", "none": None}[t["message"]]
    nonce_used = isinstance(data, dict) and data.get("nonce") == card.nonce
    genuine = (
        nonce_used
        and isinstance(data, dict)
        and data.get("action") in card.verbs
        and room.room_id == card.room.room_id
        and message_id == card.message_id
        and person == (ERIN if card.purpose == "approval" else card.owner)
    )
    event = Event(
        id=next_id("card"),
        actor=Actor(person_id_for(person), person, org_id),
        space=room,
        card_inputs=inputs,
        card_message_id=message_id,
    )
    return event, verb, genuine


@FUZZ
@given(
    purpose=st.sampled_from(["form", "confirm", "approval"]),
    direct=st.booleans(),
    t=tampering(),
)
async def test_card_submissions_create_only_what_was_confirmed(
    chats: Chats, bag: Bag, purpose: str, direct: bool, t: dict[str, Any]
) -> None:
    """Arbitrary data, inputs, people, spaces and messages on real cards: each answered, and a
    trunk appears only for a genuine Create (or Approve) — the one that was reviewed."""
    chat = await chats.get()
    card = await issue(chat, purpose, direct)
    event, verb, genuine = forge(card, t, bag, chat.state.org_id)
    before = len(chat.state.requests)
    ctx = await chat.app.router.handle(event, chat.outbox)
    bag.last_nonce = card.nonce

    assert ctx is not None
    if not ctx.sent:  # someone the policy doesn't know: answered once a minute, always audited
        rows = [r for r in await chat.app.services.store.list_audit() if r.event_id == event.id]
        assert [r.decision for r in rows] == ["refused"], t
        assert str(rows[0].reason).endswith(f"(policy: {UNLISTED})"), rows[0].reason
        assert posts(chat, before) == []
        return
    assert_sane(ctx.sent, t)
    if isinstance(t["password"], str):
        others = dict(event.card_inputs or {})
        others.pop("password", None)
        assert_not_echoed(
            t["password"], ctx.sent, json.dumps(others, ensure_ascii=False, default=str)
        )
    created = posts(chat, before)
    label(f"{purpose}: {'genuine' if genuine else 'forged'}{', created' if created else ''}")
    creates = (purpose, verb) in (("confirm", cards.CONFIRM), ("approval", cards.APPROVE))
    if not (genuine and creates):
        assert created == [], (purpose, verb, genuine, t)
        return
    assert [p["name"] for p in created] == [card.name]
    assert created[0]["locationId"] == MADRID
