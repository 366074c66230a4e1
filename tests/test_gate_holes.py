"""Each hole a hostile review found in the old per-handler checks, reproduced and closed.

(1) approval skipped when confirm = false; (2) an approver outside the request's location or
org; (3) space grants that ignored the person's org; (4) Webex reads for a request the person
can't make; (6) a typed word blinding the record; (8) the small ones: a used card past its
expiry, a group-space password audited as allowed, audit rows matched by location name
across orgs. (5, implicit "*", is test_auth.py's; 7, flooding, test_flood.py's.)
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot import replies as replies_
from bot.events import Actor, Event, Space, SpaceKind
from bot.logs import SECRETS, scrub
from bot.store import AuditRecord
from bot.transports.shell import person_id_for
from tests.chat import Chat, make_chat
from webexfake.calling import seeded_id

MADRID = seeded_id("LOCATION", "Madrid")
OTHER_ORG = "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9ob2xlcy1vdGhlcg"
APPROVERS = "ROOM-APPROVERS"

POLICY = """
[[grant]]
people    = ["quick@example.com"]
actions   = ["trunk.create"]
locations = ["*"]
orgs      = ["{org}"]
confirm   = false
approval  = "required"
approvers_space = "ROOM-APPROVERS"

[[grant]]
people    = ["paris-approver@example.com"]
actions   = ["approve"]
locations = ["Paris Office"]
orgs      = ["{org}"]

[[grant]]
people    = ["far-approver@example.com"]
actions   = ["approve"]
locations = ["*"]
orgs      = ["{other}"]

[[grant]]
people    = ["boss@example.com"]
actions   = ["approve"]
locations = ["*"]
orgs      = ["{org}"]

[[grant]]
people    = ["pat@example.com"]
actions   = ["trunk.create"]
locations = ["London HQ", "Paris Office"]
orgs      = ["{org}"]
confirm   = false

[[grant]]
spaces    = ["room-group"]
actions   = ["trunk.create"]
locations = ["*"]
orgs      = ["{org}"]
confirm   = false

[[grant]]
people    = ["alice@example.com"]
actions   = ["trunk.create", "audit.read"]
locations = ["*"]
orgs      = ["{org}"]
confirm   = false

[[grant]]
people    = ["lara@example.com"]
actions   = ["audit.read"]
locations = ["London HQ"]
orgs      = ["{org}"]
"""


@pytest.fixture
async def chat() -> Chat:
    probe = await make_chat()
    org = probe.state.org_id
    await probe.app.aclose()
    return await make_chat(policy=POLICY.replace("{org}", org).replace("{other}", OTHER_ORG))


def writes(chat: Chat) -> list[str]:
    return [f"{r.method} {r.path}" for r in chat.state.requests if r.method != "GET"]


async def press(chat: Chat, approval_reply: object, person: str) -> list[str]:
    replies = await chat.submit(approval_reply, "Approve", person=person, space="group")  # type: ignore[arg-type]
    return [r.markdown for r in replies]


async def test_approval_holds_when_confirm_is_false(chat: Chat) -> None:
    """(1) A text create with confirm = false and approval required waits for an approver:
    nothing reaches Webex, and the trunk's audit row names the approver."""
    replies = await chat.say("create trunk name=q-1 location=Madrid", person="quick@example.com")
    assert writes(chat) == []
    approval = next(r for r in replies if r.room_id == APPROVERS and r.card)
    assert "waits for approval" in replies[-1].markdown or "approval" in replies[-1].markdown
    answer = await press(chat, approval, "boss@example.com")
    assert any("created" in a for a in answer), answer
    assert [p["name"] for p in chat.trunk_posts()] == ["q-1"]
    rows = await chat.app.services.store.list_audit()
    created = next(r for r in rows if r.result == "created")
    assert created.approver_id == person_id_for("boss@example.com")


@pytest.mark.parametrize(
    ("approver", "why"),
    [("paris-approver@example.com", "Paris Office"), ("far-approver@example.com", "not allowed")],
    ids=["another-location", "another-org"],
)
async def test_an_approver_must_cover_the_requests_location_and_org(
    chat: Chat, approver: str, why: str
) -> None:
    """(2) An approver whose grant covers only Paris, or only another org, can't approve a
    Madrid request in ours; the card stays for someone who can."""
    replies = await chat.say("create trunk name=q-2 location=Madrid", person="quick@example.com")
    approval = next(r for r in replies if r.room_id == APPROVERS and r.card)
    (refusal,) = await press(chat, approval, approver)
    assert why in refusal
    assert chat.trunk_posts() == []
    answer = await press(chat, approval, "boss@example.com")
    assert any("created" in a for a in answer), answer


async def _from_group(chat: Chat, actor: Actor, text: str) -> list[str]:
    event = Event(
        id=f"grp-{actor.email}-{len(chat.state.requests)}",
        actor=actor,
        space=Space("room-group", SpaceKind.GROUP),
        text=text,
        message_id=f"grp-{actor.email}",
        mentions_bot=True,
    )
    ctx = await chat.app.router.handle(event, chat.outbox)
    return [r.markdown for r in ctx.sent] if ctx else []


async def test_a_space_grant_requires_the_persons_own_org(chat: Chat) -> None:
    """(3) A member of the granted space from another org, or whose org Webex didn't tell
    us, is refused; a member from our org is let in."""
    text = "create trunk name=s-1 location=Madrid"
    stranger = Actor(person_id_for("x@other.example"), "x@other.example", OTHER_ORG)
    (answer,) = await _from_group(chat, stranger, text)
    assert answer.startswith("You're not allowed")
    unknown = dataclasses.replace(stranger, org_id=None)
    (answer,) = await _from_group(chat, unknown, text)
    assert "try again" in answer
    assert chat.trunk_posts() == []
    member = dataclasses.replace(stranger, org_id=chat.state.org_id)
    answers = await _from_group(chat, member, text)
    assert any("created" in a for a in answers), answers


async def test_no_webex_read_about_an_org_the_person_may_not_touch(chat: Chat) -> None:
    """(4) `org=` outside the person's grants is refused before any call about that org,
    complete or not (the form would list its locations)."""
    for text in (
        f"create trunk org={OTHER_ORG}",
        f"create trunk name=f-1 org={OTHER_ORG}",
        f"create trunk name=f-1 location=Madrid org={OTHER_ORG}",
    ):
        answer = await chat.answer(text, person="pat@example.com")
        assert "organization" in answer, answer
    assert [r for r in chat.state.requests if OTHER_ORG in json.dumps(r.query)] == []


async def test_forms_and_hints_list_only_the_persons_locations(chat: Chat) -> None:
    """(4) Pat may create in London and Paris: the form offers those two, and a name that
    matches nothing lists only those."""
    (form,) = await chat.say("create trunk", person="pat@example.com")
    shown = json.dumps(form.card)
    assert "London HQ" in shown
    assert "Paris Office" in shown
    assert "Madrid" not in shown
    answer = await chat.answer("create trunk name=h-1 location=Atlantis", person="pat@example.com")
    assert "London HQ" in answer
    assert "Madrid" not in answer
    answer = await chat.answer("create trunk name=h-1 location=Madrid", person="pat@example.com")
    assert answer == "You may create trunks only in **London HQ** and **Paris Office**."


async def test_a_typed_word_cant_blind_the_record(chat: Chat) -> None:
    """(6) `password=Madrid` refused in a group space: it is audited as refused, and later
    records still say Madrid (only that request's own records hide it)."""
    answer = await chat.answer(
        "create trunk name=b-1 location=London password=Madrid", space="group"
    )
    assert "group space" in answer
    rows = await chat.app.services.store.list_audit()
    assert [(r.decision, r.result) for r in rows] == [("refused", "refused")]
    await chat.say("create trunk name=b-2 location=Madrid")
    rows = await chat.app.services.store.list_audit(newest_first=True, limit=1)
    assert rows[0].location_name == "Madrid"
    assert rows[0].result == "created"
    assert "[redacted]" not in json.dumps(rows[0].request)
    assert "Madrid" not in SECRETS.snapshot()
    assert scrub("trunk b-2 in Madrid") == "trunk b-2 in Madrid"  # outside that request


async def test_a_used_card_past_its_expiry_stays_dead(chat: Chat) -> None:
    """(8) A Create that failed retryably can be pressed again while the card lives — not
    after it expired, whatever the create key says."""
    probe = await make_chat()  # carol confirms on a card in the default policy
    try:
        replies = await probe.say(
            "create trunk name=e-1 location=Madrid", person="carol@example.com"
        )
        confirm = next(r for r in replies if r.card)
        probe.state.faults.add(
            "status", method="POST", path_suffix="/premisePstn/trunks", status=503
        )
        first = await probe.submit(confirm, "Create", person="carol@example.com")
        assert "Webex" in first[-1].markdown
        store = probe.app.services.store
        nonce = json.loads(json.dumps(confirm.card))["actions"][0]["data"]["trunkbot"]["nonce"]
        record = await store.get_nonce(nonce)
        assert record is not None
        await store._db.execute(  # type: ignore[attr-defined]
            "UPDATE card_nonces SET expires_at = ? WHERE nonce = ?",
            [datetime.now(UTC) - timedelta(days=3), nonce],
        )
        again = await probe.submit(confirm, "Create", person="carol@example.com")
        assert again[-1].markdown == replies_.CARD_ALREADY_USED
        assert len(probe.trunk_posts()) == 1  # the first, refused by Webex; never a second
        assert probe.state.trunk_by_name("e-1") is None
    finally:
        await probe.app.aclose()


async def test_a_location_scoped_reader_sees_only_its_orgs_rows(chat: Chat) -> None:
    """(8) Lara reads London HQ in our org: a row for a London HQ of another org (same name)
    is not hers to see."""
    store = chat.app.services.store
    for org, name in ((chat.state.org_id, "ours"), (OTHER_ORG, "theirs")):
        await store.append_audit(
            AuditRecord(
                action="trunk.create",
                decision="allowed",
                event_id=f"ev-{name}",
                person_id="p",
                email=f"{name}@example.com",
                room_id="r",
                location_id=f"LOC-{name}",
                location_name="London HQ",
                request={"name": f"lon-{name}", "org": org},
                result="created",
            )
        )
    answer = await chat.answer("audit", person="lara@example.com")
    assert "ours@example.com" in answer
    assert "theirs@example.com" not in answer


async def test_an_answer_to_the_bots_question_goes_through_the_gate_again(chat: Chat) -> None:
    """The follow-up path: only the person asked can answer, in that space, and the answer
    runs the whole gate again (a grant removed meanwhile refuses it; pat may use Paris only)."""
    # Pat's grant covers Paris, not Palo Alto: "Pa" is Paris for pat, no question asked.
    await chat.say("create trunk name=f-1 location=Pa", person="pat@example.com")
    assert [p["name"] for p in chat.trunk_posts()] == ["f-1"]
    assert chat.state.trunk_by_name("f-1").location_id == seeded_id("LOCATION", "Paris Office")
    pat_group = await chat.answer(
        "create trunk name=f-2 location=Pa", person="alice@example.com", space="group"
    )
    assert "1. Palo Alto" in pat_group  # alice may use every location: she is asked
    stranger = await chat.answer("1", person="quick@example.com", space="group")
    assert stranger.startswith("I don't know the command")
    chat.app.services.gate.policy.grants.clear()  # alice loses every grant before answering
    refused = await chat.answer("1", person="alice@example.com", space="group")
    assert refused == replies_.not_allowed("trunk.create")
    assert [p["name"] for p in chat.trunk_posts()] == ["f-1"]
