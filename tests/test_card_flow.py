"""The card flow through the real router: form → review → confirm → created, and every way a
forger, a bystander, a double click or an old card could abuse it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.events import Reply
from tests.chat import Chat, delivery_of, make_chat, result_of
from tests.clock import StoreClock
from webexfake.calling import seeded_id

CAROL = "carol@example.com"  # confirms every create (the policy default)
DAVE = "dave@example.com"  # needs an approver
ERIN = "erin@example.com"  # an approver
MADRID = seeded_id("LOCATION", "Madrid")


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    chat = await make_chat()
    yield chat
    await chat.app.aclose()


def card_of(replies: list[Reply]) -> Reply:
    with_cards = [r for r in replies if r.card is not None]
    assert with_cards, [r.markdown for r in replies]
    return with_cards[-1]


def posts(chat: Chat) -> int:
    return len(chat.state.calls("POST", "/premisePstn/trunks"))


async def form_to_confirm(chat: Chat, person: str = CAROL, **fill: str) -> Reply:
    form = card_of(await chat.say("create trunk", person=person))
    inputs = {"name": "card-1", "location": MADRID, "type": "registering", **fill}
    return card_of(await chat.submit(form, "Review", inputs, person=person))


async def test_form_review_confirm_created(chat: Chat) -> None:
    """The whole card flow creates exactly one trunk, and the used cards are removed."""
    form = card_of(await chat.say("create trunk", person=CAROL))
    assert form.card is not None
    assert form.card["body"][0]["text"] == "Create a Webex Calling trunk"
    confirm = card_of(
        await chat.submit(form, "Review", {"name": "card-1", "location": MADRID}, person=CAROL)
    )
    assert chat.outbox.message_id(form) in chat.outbox.deleted
    assert "card-1" in str(confirm.card)
    assert posts(chat) == 0  # nothing until Create
    done = await chat.submit(confirm, "Create", person=CAROL)
    result = result_of(done)
    assert result.markdown.startswith("✅ Trunk **card-1** created in **Madrid**")
    assert result.card is not None  # the result card
    assert delivery_of(done).card is None  # then, 1:1, the password and configuration
    assert posts(chat) == 1


async def test_text_command_asks_for_confirmation_by_default(chat: Chat) -> None:
    """A text command from someone whose grant keeps `confirm` gets a summary first."""
    replies = await chat.say("create trunk name=txt-1 location=Madrid", person=CAROL)
    confirm = card_of(replies)
    assert posts(chat) == 0
    done = await chat.submit(confirm, "Create", person=CAROL)
    assert result_of(done).markdown.startswith("✅ Trunk **txt-1** created")
    assert posts(chat) == 1


async def test_validation_errors_come_back_on_the_form_with_entries_kept(chat: Chat) -> None:
    """A bad port comes back at its field, the other entries kept, the stale form removed."""
    form = card_of(await chat.say("create trunk", person=CAROL))
    again = card_of(
        await chat.submit(
            form,
            "Review",
            {
                "name": "sbc-9",
                "location": MADRID,
                "type": "certificate",
                "device": "AudioCodes SBC",
                "address": "sbc9.sbc.example.com",
                "domain": "sbc.example.com",
                "port": "70000",
                "max-calls": "100",
                "password": "Typed1Secret#",
            },
            person=CAROL,
        )
    )
    assert chat.outbox.message_id(form) in chat.outbox.deleted
    card = str(again.card)
    assert "`port` must be a whole number from 1 to 65535." in again.markdown
    assert "'value': 'sbc9.sbc.example.com'" in card
    assert "Typed1Secret#" not in card + again.markdown
    assert posts(chat) == 0


async def test_missing_fields_in_text_bring_the_prefilled_form(chat: Chat) -> None:
    """`create trunk name=x` answers with the form, the name already filled in."""
    reply = card_of(await chat.say("create trunk name=half-1", person=CAROL))
    assert "I need a **location**" in reply.markdown
    assert "'value': 'half-1'" in str(reply.card)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"name": "f-1", "location": MADRID, "colour": "blue"}, "didn't ask for (`colour`)"),
        ({"name": "f-1", "location": "Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OL2Zvcmdl"}, "`location`"),
        ({"name": "x" * 5000, "location": MADRID}, "too long"),
        ({"name": "f-1", "location": MADRID, "dual-identity": "maybe"}, "`dual-identity`"),
        ({"name": "f-1", "location": MADRID, "type": "sip-trunk"}, "`type`"),
        ({"name": "f-1", "location": MADRID, "name2": 1}, "didn't ask for"),
    ],
    ids=["unknown-key", "location-not-offered", "oversized", "bad-toggle", "bad-choice", "extra"],
)
async def test_forged_inputs_are_refused(
    chat: Chat, inputs: dict[str, object], expected: str
) -> None:
    """Inputs the form never offered are refused in one sentence; nothing happens."""
    form = card_of(await chat.say("create trunk", person=CAROL))
    replies = await chat.submit(form, "Review", inputs, person=CAROL)
    assert len(replies) == 1
    assert expected in replies[0].markdown
    assert replies[0].card is None
    assert posts(chat) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"trunkbot": {"nonce": "forged-nonce", "action": "confirm"}},
        {"trunkbot": "not-an-object"},
        {},
        {"trunkbot": {"nonce": "x" * 1000, "action": "confirm"}},
    ],
    ids=["unknown-nonce", "bad-shape", "no-data", "huge-nonce"],
)
async def test_forged_card_data_is_refused(chat: Chat, data: dict[str, object]) -> None:
    """A submission whose hidden data was tampered with does nothing."""
    confirm = await form_to_confirm(chat)
    assert confirm.card is not None
    for action in confirm.card["actions"]:
        if action.get("title") == "Create":
            action["data"] = data
    replies = await chat.submit(confirm, "Create", person=CAROL)
    assert "isn't one I can act on" in replies[-1].markdown
    assert posts(chat) == 0


async def test_someone_elses_card_in_a_group_space(chat: Chat) -> None:
    """In a group space only the person a card was made for may use it; it stays theirs."""
    replies = await chat.say("create trunk name=grp-7 location=Madrid", person=CAROL, space="group")
    confirm = card_of(replies)
    stolen = await chat.submit(confirm, "Create", person="bob@example.com", space="group")
    assert stolen[-1].markdown.startswith(
        "This card is for carol@example.com: only they can use it"
    )
    assert posts(chat) == 0
    mine = await chat.submit(confirm, "Create", person=CAROL, space="group")
    assert mine[1].markdown.startswith("✅ Trunk **grp-7** created")
    assert posts(chat) == 1


async def test_a_card_from_another_space_is_refused(chat: Chat) -> None:
    """A submission that names a card of another space is not acted on."""
    confirm = await form_to_confirm(chat)
    replies = await chat.submit(confirm, "Create", person=CAROL, room_id="room-elsewhere")
    assert "isn't one I can act on" in replies[-1].markdown
    assert posts(chat) == 0


async def test_replayed_submission_creates_once(chat: Chat) -> None:
    """Pressing Create again (or replaying the post) says it was already done."""
    confirm = await form_to_confirm(chat)
    await chat.submit(confirm, "Create", person=CAROL)
    again = await chat.submit(confirm, "Create", person=CAROL)
    assert again[-1].markdown.startswith("✅ Already done: trunk **card-1** was created (ID `")
    assert again[-1].markdown.endswith("Nothing new was created.")
    assert posts(chat) == 1


async def test_double_click_creates_once(chat: Chat) -> None:
    """Two submissions of one card at the same moment: one trunk, one 'already used'."""
    confirm = await form_to_confirm(chat)
    first, second = await asyncio.gather(
        chat.submit(confirm, "Create", person=CAROL), chat.submit(confirm, "Create", person=CAROL)
    )
    answers = [
        next(r.markdown for r in replies if r.markdown.startswith(("✅", "I'm already")))
        for replies in (first, second)
    ]
    assert sum(a.startswith("✅ Trunk **card-1** created") for a in answers) == 1
    assert (
        sum(
            a.startswith(("✅ Already done", "I'm already creating trunk **card-1**"))
            for a in answers
        )
        == 1
    )
    assert posts(chat) == 1


async def test_an_expired_card_does_nothing(chat: Chat) -> None:
    """A card past its 15 minutes says so."""
    clock = StoreClock(chat.app.services.store)
    confirm = card_of(await chat.say("create trunk name=exp-1 location=Madrid", person=CAROL))
    clock.advance(chat.app.services.card_ttl + 1)
    replies = await chat.submit(confirm, "Create", person=CAROL)
    assert replies[-1].markdown.startswith("That card has expired")
    assert posts(chat) == 0


async def test_cancel(chat: Chat) -> None:
    """Cancel removes the card and creates nothing."""
    confirm = await form_to_confirm(chat)
    replies = await chat.submit(confirm, "Cancel", person=CAROL)
    assert replies[-1].markdown == "Cancelled — nothing was created."
    assert chat.outbox.message_id(confirm) in chat.outbox.deleted
    assert posts(chat) == 0


async def test_authorization_is_checked_again_at_submit(chat: Chat) -> None:
    """If the policy no longer allows the person when they press Create, nothing happens."""
    from bot.auth import Policy

    confirm = await form_to_confirm(chat)
    chat.app.services.gate.policy = Policy.parse(
        '[[grant]]\npeople=["x@y.z"]\nactions=["approve"]\nlocations=["*"]\norgs=["*"]'
    )
    replies = await chat.submit(confirm, "Create", person=CAROL)
    assert replies[-1].markdown.startswith("You're not allowed to create trunks.")
    assert posts(chat) == 0


async def test_typed_password_in_the_form_is_used_and_never_kept(chat: Chat) -> None:
    """A password typed in a 1:1 form goes to Webex once and is stored nowhere."""
    typed = "Form1Typed#Pw"
    confirm = await form_to_confirm(chat, password=typed)
    assert typed not in str(confirm.card) + confirm.markdown
    done = await chat.submit(confirm, "Create", person=CAROL)
    assert chat.state.calls("POST", "/premisePstn/trunks")[0].json["password"] == typed
    assert all(typed not in r.markdown for r in done)
    rows = await chat.app.services.store.list_audit()
    assert rows
    assert typed not in repr(rows)


async def approval_card(chat: Chat, name: str = "appr-1") -> Reply:
    confirm = card_of(await chat.say(f"create trunk name={name} location=Madrid", person=DAVE))
    replies = await chat.submit(confirm, "Create", person=DAVE)
    asked = [r for r in replies if r.room_id == "ROOM-APPROVERS"]
    assert asked, [r.markdown for r in replies]
    assert "needs a second person's approval" in replies[-1].markdown
    return asked[0]


async def test_approval_approved(chat: Chat) -> None:
    """An approver other than the requester approves: created once, the requester told."""
    card = await approval_card(chat)
    assert posts(chat) == 0
    replies = await chat.submit(card, "Approve", person=ERIN, room_id="ROOM-APPROVERS")
    to_requester = [r for r in replies if r.room_id == "room-direct"]
    assert any("approved your request" in r.markdown for r in to_requester)
    assert result_of(to_requester).markdown.startswith("✅ Trunk **appr-1** created")
    assert delivery_of(to_requester)  # the password and configuration, 1:1 to the requester
    assert posts(chat) == 1


async def test_every_setting_typed_survives_the_confirm_and_the_approval(chat: Chat) -> None:
    """What the person typed (pcharge, dual identity) is on the confirm card and the
    approvers' card, and it is what Webex is asked to create once approved — a setting the
    cards don't show is never applied, and one they show is never dropped."""
    typed = "create trunk name=appr-pc location=Madrid pcharge=asserted-identity dual-identity=no"
    confirm = card_of(await chat.say(typed, person=DAVE))
    facts = {f["title"]: f["value"] for f in _facts(confirm)}
    assert (facts["P-Charge-Info"], facts["Dual identity"]) == ("asserted-identity", "no")
    replies = await chat.submit(confirm, "Create", person=DAVE)
    (asked,) = [r for r in replies if r.room_id == "ROOM-APPROVERS"]
    assert {f["title"]: f["value"] for f in _facts(asked)}["P-Charge-Info"] == "asserted-identity"
    await chat.submit(asked, "Approve", person=ERIN, room_id="ROOM-APPROVERS")
    (post,) = chat.state.calls("POST", "/premisePstn/trunks")
    assert post.json["pChargeInfoSupportPolicy"] == "ASSERTED_IDENTITY"
    assert post.json["dualIdentitySupportEnabled"] is False


def _facts(reply: Reply) -> list[dict[str, str]]:
    assert reply.card is not None
    return [
        fact
        for block in reply.card["body"]
        if block.get("type") == "FactSet"
        for fact in block["facts"]
    ]


async def test_approval_rejected(chat: Chat) -> None:
    """A rejection tells the requester, and nothing is created."""
    card = await approval_card(chat)
    replies = await chat.submit(card, "Reject", person=ERIN, room_id="ROOM-APPROVERS")
    assert any("rejected your request" in r.markdown for r in replies)
    assert posts(chat) == 0


async def test_self_approval_is_refused_and_leaves_the_card_live(chat: Chat) -> None:
    """The requester can't approve their own request; another approver still can."""
    card = await approval_card(chat)
    mine = await chat.submit(card, "Approve", person=DAVE, room_id="ROOM-APPROVERS")
    assert mine[-1].markdown.startswith("You can't approve your own request")
    assert posts(chat) == 0
    theirs = await chat.submit(card, "Approve", person=ERIN, room_id="ROOM-APPROVERS")
    assert result_of(theirs).markdown.startswith("✅")
    assert posts(chat) == 1


async def test_approval_by_someone_without_the_approve_action(chat: Chat) -> None:
    """Only people the policy lets approve may approve."""
    card = await approval_card(chat)
    replies = await chat.submit(card, "Approve", person="bob@example.com", room_id="ROOM-APPROVERS")
    assert replies[-1].markdown.startswith("You're not allowed to approve")
    assert posts(chat) == 0


async def test_approval_expires(chat: Chat) -> None:
    """An approval not decided in time can't be approved any more."""
    clock = StoreClock(chat.app.services.store)
    card = await approval_card(chat)
    clock.advance(chat.app.services.approval_ttl + 1)
    replies = await chat.submit(card, "Approve", person=ERIN, room_id="ROOM-APPROVERS")
    assert replies[-1].markdown.startswith(("That card has expired", "That request expired"))
    assert posts(chat) == 0


async def test_every_card_attempt_is_audited(chat: Chat) -> None:
    """Refused and allowed card submissions each leave an audit row."""
    confirm = await form_to_confirm(chat)
    await chat.submit(confirm, "Create", person="bob@example.com", space="direct")
    await chat.submit(confirm, "Create", person=CAROL)
    rows = await chat.app.services.store.list_audit(newest_first=False)
    results = [(r.action, r.decision, r.result) for r in rows]
    assert ("trunk.create", "refused", "refused") in results
    assert ("trunk.create", "allowed", "created") in results
