"""The policy gate: deny by default, match as Webex identifies people, say why."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.auth import Policy
from bot.errors import ConfigError, NotAllowed
from bot.events import Actor, Space, SpaceKind
from bot.gate import PUBLIC, Gate, Permit
from bot.logs import SECRETS, request_scope, scrub, scrub_in_request
from bot.router import Command, check_declarations
from bot.webex.models import Location

POLICY = """
[[grant]]
people    = ["Alice@Example.com", "PERSONID-BOB"]
actions   = ["trunk.create"]
locations = ["London HQ", "LOC-PARIS"]
orgs      = ["ORG-1"]

[[grant]]
domains   = ["voice.example.com"]
actions   = ["trunk.read"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
spaces    = ["ROOM-OPS"]
actions   = ["trunk.create"]
locations = ["*"]
orgs      = ["ORG-5"]
"""

ALICE = Actor(person_id="PERSONID-ALICE", email="alice@example.com", org_id="ORG-1")
ALICE_ABROAD = Actor(person_id="PERSONID-ALICE2", email="alice@example.com", org_id="ORG-2")
BOB = Actor(person_id="PERSONID-BOB", email="bob@elsewhere.example", org_id="ORG-1")
CAROL = Actor(person_id="PERSONID-CAROL", email="carol@voice.example.com", org_id="ORG-9")
CAROL_UNKNOWN = Actor(person_id="PERSONID-CAROL", email="carol@voice.example.com")
MALLORY = Actor(
    person_id="PERSONID-M", email="mallory@evil.example", org_id="ORG-5", display_name="alice"
)
MALLORY_ABROAD = dataclasses.replace(MALLORY, org_id="ORG-6")
MALLORY_UNKNOWN = dataclasses.replace(MALLORY, org_id=None)
BOT = Actor(person_id="PERSONID-ALICE", email="alice@example.com", org_id="ORG-1", is_bot=True)
DIRECT = Space("ROOM-DM", SpaceKind.DIRECT)
OPS = Space("ROOM-OPS", SpaceKind.GROUP)


@pytest.fixture
def policy() -> Policy:
    return Policy.parse(POLICY)


@pytest.mark.parametrize(
    ("actor", "action", "location", "org", "space", "allowed"),
    [
        (ALICE, "trunk.create", "London HQ", "ORG-1", DIRECT, True),
        (ALICE, "trunk.create", "london hq", "ORG-1", DIRECT, True),
        (ALICE, "trunk.create", "New York", "ORG-1", DIRECT, False),
        (ALICE, "trunk.create", "London HQ", "ORG-2", DIRECT, False),
        (ALICE, "trunk.delete", "London HQ", "ORG-1", DIRECT, False),
        (BOB, "trunk.create", "Paris Office", "ORG-1", DIRECT, True),
        (CAROL, "trunk.read", "Anywhere", "ORG-9", DIRECT, True),
        (CAROL, "trunk.create", "Anywhere", "ORG-9", DIRECT, False),
        (MALLORY, "trunk.create", "London HQ", "ORG-1", DIRECT, False),
        (MALLORY, "trunk.create", "Madrid", "ORG-5", OPS, True),
        (BOT, "trunk.create", "London HQ", "ORG-1", DIRECT, False),
        (ALICE_ABROAD, "trunk.create", "London HQ", "ORG-1", DIRECT, False),
        (MALLORY_ABROAD, "trunk.create", "Madrid", "ORG-5", OPS, False),
        (MALLORY_UNKNOWN, "trunk.create", "Madrid", "ORG-5", OPS, False),
        (CAROL_UNKNOWN, "trunk.read", "Anywhere", "ORG-9", DIRECT, False),
    ],
    ids=[
        "listed-email-any-case",
        "location-name-any-case",
        "location-not-granted",
        "org-not-granted",
        "action-not-granted",
        "person-id-and-location-id",
        "domain-grant",
        "domain-grant-wrong-action",
        "display-name-is-not-identity",
        "member-of-granted-space",
        "bots-never",
        "same-email-from-another-org",
        "space-member-from-another-org",
        "space-member-org-unknown",
        "domain-grant-org-unknown",
    ],
)
async def test_decide(
    policy: Policy, actor: Actor, action: str, location: str, org: str, space: Space, allowed: bool
) -> None:
    """Each grant matches on person, domain or space, and on action, location and org."""
    loc_id = "LOC-PARIS" if location == "Paris Office" else f"LOC-{location}"
    decision = await policy.decide(
        actor, action, space=space, location_id=loc_id, location_name=location, org_id=org
    )
    assert decision.allowed is allowed, decision.reason


async def test_membership_lookup_counts_for_space_grants(policy: Policy) -> None:
    """A member of a granted space is allowed from a 1:1 space too, when Webex says so."""
    asked: list[tuple[str, str]] = []

    async def member(room: str, person: str) -> bool:
        asked.append((room, person))
        return person == MALLORY.person_id

    d = await policy.decide(
        MALLORY, "trunk.create", space=DIRECT, org_id="ORG-5", membership=member
    )
    assert d.allowed
    assert asked == [("ROOM-OPS", MALLORY.person_id)]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[grant]\npeople=[", "not valid TOML"),
        (
            '[[grant]]\npeople=["a@b.c"]\nactions=["trunk.create", "trunk.explode"]',
            "unknown action",
        ),
        ('[[grant]]\npeople=["a@b.c"]\nacitons=["trunk.create"]', "acitons"),
        ('[[grnat]]\npeople=["a@b.c"]', "grnat"),
    ],
    ids=["bad-toml", "unknown-action", "typo-in-key", "typo-in-table"],
)
def test_broken_policy_is_one_line(text: str, fragment: str) -> None:
    """A broken policy is refused with one line that names the problem."""
    with pytest.raises(ConfigError) as err:
        Policy.parse(text)
    assert fragment in err.value.user_message
    assert "\n" not in err.value.user_message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            '[[grant]]\npeople=["a@b.c"]\nactions=["trunk.create"]\norgs=["*"]',
            "grant 1 (people = a@b.c) must say `locations`",
        ),
        (
            '[[grant]]\ndomains=["b.c"]\nactions=["trunk.create"]\nlocations=["*"]',
            "grant 1 (domains = b.c) must say `orgs`",
        ),
        (
            '[[grant]]\npeople=["a@b.c"]\nlocations=[]\norgs=["*"]',
            "`locations` is empty",
        ),
        (
            '[[grant]]\npeople=["a@b.c"]\nactions=["trunk.create"]\nlocations=["*"]\n'
            'orgs=["*"]\napproval="required"',
            "needs approvers_space",
        ),
    ],
    ids=["no-locations", "no-orgs", "empty-locations", "approval-without-approvers"],
)
def test_scope_is_explicit(text: str, fragment: str) -> None:
    """Nothing is implied: a grant states its locations and orgs, and one that requires
    approval names where approvers decide; the line names the grant and the key."""
    with pytest.raises(ConfigError) as err:
        Policy.parse(text)
    assert fragment in err.value.user_message, err.value.user_message


@pytest.mark.parametrize("content", [None, "", "[[grant]\n"], ids=["missing", "empty", "broken"])
async def test_unusable_policy_denies_everyone(tmp_path: Path, content: str | None) -> None:
    """Missing, empty or broken policy files deny everything and keep the reason."""
    path = tmp_path / "policy.toml"
    if content is not None:
        path.write_text(content)
    policy = Policy.load(path)
    assert policy.problem
    with pytest.raises(NotAllowed) as err:
        await Gate(policy).admit(ALICE, DIRECT, "trunk.create")
    assert "trunkbot check" in err.value.user_message


async def test_refusal_names_the_granted_locations(policy: Policy) -> None:
    """Someone allowed elsewhere is told where they may act."""
    gate = Gate(policy)
    permit = await gate.admit(ALICE, DIRECT, "trunk.create", "ORG-1")
    with pytest.raises(NotAllowed) as err:
        await gate.narrow(permit, Location(id="LOC-NY", name="New York"))
    assert err.value.user_message == (
        "You may create trunks only in **London HQ** and **LOC-PARIS**."
    )


async def test_an_unknown_org_is_asked_to_try_again(policy: Policy) -> None:
    """A person Webex couldn't tell us about is refused (fail closed), politely."""
    with pytest.raises(NotAllowed) as err:
        await Gate(policy).admit(CAROL_UNKNOWN, DIRECT, "trunk.read")
    assert "try again" in err.value.user_message
    assert "unknown" in str(err.value.reason)


LONDON = Location(id="LOC-LONDON", name="London HQ")

APPROVALS = """
[[grant]]
people = ["alice@example.com"]
actions = ["trunk.create"]
locations = ["*"]
orgs = ["ORG-1"]
confirm = false
approval = "required"
approvers_space = "ROOM-APPROVERS"

[[grant]]
people = ["paris-approver@example.com"]
actions = ["approve"]
locations = ["Paris Office"]
orgs = ["ORG-1"]

[[grant]]
people = ["boss@example.com", "alice@example.com"]
actions = ["approve"]
locations = ["*"]
orgs = ["ORG-1"]
"""


async def test_a_write_takes_only_a_permit_the_gate_issued_for_it() -> None:
    """A permit built by hand, copied with changes, for another org or location, or whose
    grant requires an approval that nobody gave, writes nothing."""
    gate = Gate(Policy.parse(APPROVALS))
    permit = await gate.narrow(await gate.admit(ALICE, DIRECT, "trunk.create", "ORG-1"), LONDON)
    forged = [
        Permit(ALICE, DIRECT, "trunk.create", "ORG-1", permit.grants, LONDON, permit.grant),
        dataclasses.replace(permit, approver=BOB),
        permit,  # needs approval
    ]
    for candidate in forged:
        with pytest.raises(NotAllowed):
            candidate.check_write("trunk.create", "ORG-1", LONDON.id)
    boss = Actor("PERSONID-BOSS", "boss@example.com", "ORG-1")
    approver = await gate.narrow(await gate.admit(boss, OPS, "approve", "ORG-1"), LONDON)
    approved = gate.approve(permit, approver)
    approved.check_write("trunk.create", "ORG-1", LONDON.id)
    for org, location in (("ORG-2", LONDON.id), ("ORG-1", "LOC-OTHER")):
        with pytest.raises(NotAllowed):
            approved.check_write("trunk.create", org, location)
    with pytest.raises(NotAllowed):
        approved.check_write("trunk.delete", "ORG-1", LONDON.id)


async def test_an_approver_is_authorized_on_the_requests_location_and_org() -> None:
    """Approving needs `approve` where the request is, and someone other than the requester."""
    gate = Gate(Policy.parse(APPROVALS))
    request = await gate.narrow(await gate.admit(ALICE, DIRECT, "trunk.create", "ORG-1"), LONDON)
    paris_only = Actor("PERSONID-P", "paris-approver@example.com", "ORG-1")
    paris = await gate.admit(paris_only, OPS, "approve", "ORG-1")
    with pytest.raises(NotAllowed) as err:
        await gate.narrow(paris, LONDON)
    assert "Paris Office" in err.value.user_message
    with pytest.raises(NotAllowed):  # not even an unnarrowed approve permit will do
        gate.approve(request, paris)
    own = await gate.narrow(await gate.admit(ALICE, OPS, "approve", "ORG-1"), LONDON)
    with pytest.raises(NotAllowed) as err:
        gate.approve(request, own)
    assert "your own request" in err.value.user_message
    with pytest.raises(NotAllowed):  # an approver of another org
        await gate.admit(
            Actor("PERSONID-BOSS", "boss@example.com", "ORG-2"), OPS, "approve", "ORG-1"
        )


def test_check_says_what_each_grant_means(tmp_path: Path) -> None:
    """`trunkbot check` explains the policy grant by grant, and the first-grant-wins rule."""
    import io

    from bot.check import Report, check_policy
    from bot.settings import Settings

    path = tmp_path / "policy.toml"
    path.write_text(APPROVALS)
    report = Report(io.StringIO())
    check_policy(Settings(policy=path), report)
    out = report.out.getvalue()  # type: ignore[attr-defined]
    assert report.problems == []
    assert (
        "grant 1: alice@example.com (people of org ORG-1) may: trunk.create; in every location "
        "of org ORG-1; no summary card, approval in ROOM-APPROVERS"
    ) in out
    assert "grant 2: paris-approver@example.com (people of org ORG-1) may: approve; in Paris" in out
    assert "the first of them in the file sets its summary card and approval rules" in out


async def _noop(*_args: object) -> None:
    return None


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (Command(action="trunk.explode", handler=_noop, words=("x",)), "declares no known action"),
        (Command(action="", handler=_noop, words=("x",)), "declares no known action"),
        (Command(action="trunk.read", handler=_noop), "needs words or a card purpose"),
        (Command(action=PUBLIC, handler=_noop, purpose="form"), "can't be public"),
    ],
    ids=["unknown-action", "no-action", "no-words", "public-card"],
)
def test_a_command_the_gate_cant_decide_on_stops_the_start(command: Command, problem: str) -> None:
    """Registering a command without a usable declaration fails at start-up, not in chat."""
    with pytest.raises(ConfigError) as err:
        check_declarations([command])
    assert problem in err.value.user_message


def test_a_typed_password_is_scrubbed_from_its_own_requests_records_only() -> None:
    """Inside the request that typed it, every record hides it; outside, the word is just a
    word (no one can blind the log for everyone)."""
    with request_scope():
        scrub_in_request("Madrid#2026")
        assert scrub("password was Madrid#2026, ok") == "password was [redacted], ok"
    assert scrub("trunk in Madrid#2026") == "trunk in Madrid#2026"
    assert "Madrid#2026" not in SECRETS.snapshot()


def test_a_misspelt_key_gets_a_suggestion_and_check_says_it_once(tmp_path: Path) -> None:
    """`location` for `locations`: one line, in our words, with the likely key; `trunkbot
    check` prints it once (the load doesn't also log it)."""
    import io
    import logging

    from bot.check import Report, check_policy
    from bot.settings import Settings

    path = tmp_path / "policy.toml"
    path.write_text('[[grant]]\npeople=["a@b.c"]\nactions=["trunk.create"]\nlocation=["x"]\n')
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger("bot.auth").addHandler(handler)
    try:
        report = Report(io.StringIO())
        check_policy(Settings(policy=path), report)
    finally:
        logging.getLogger("bot.auth").removeHandler(handler)
    assert report.problems == [
        "The policy file "
        f"{path}: grant 1 (people = a@b.c) has an unknown key `location`: did you mean "
        "`locations`?"
    ]
    assert [r for r in seen if r.getMessage() == "policy.invalid"] == []


@pytest.mark.parametrize("name", ["policy.example.toml", "bot/sample-policy.toml"])
def test_the_policies_we_ship_are_valid(name: str) -> None:
    """The example an admin copies and the shell's sample policy both load as they are."""
    policy = Policy.load(Path(__file__).resolve().parents[1] / name)
    assert policy.problem is None
    assert policy.grants
