"""The policy gate: deny by default, match as Webex identifies people, say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.auth import Policy, require
from bot.errors import ConfigError, NotAllowed
from bot.events import Actor, Space, SpaceKind

POLICY = """
[[grant]]
people    = ["Alice@Example.com", "PERSONID-BOB"]
actions   = ["trunk.create"]
locations = ["London HQ", "LOC-PARIS"]
orgs      = ["ORG-1"]

[[grant]]
domains   = ["voice.example.com"]
actions   = ["trunk.read"]

[[grant]]
spaces    = ["ROOM-OPS"]
actions   = ["trunk.create"]
locations = ["*"]
"""

ALICE = Actor(person_id="PERSONID-ALICE", email="alice@example.com", org_id="ORG-1")
ALICE_ABROAD = Actor(person_id="PERSONID-ALICE2", email="alice@example.com", org_id="ORG-2")
BOB = Actor(person_id="PERSONID-BOB", email="bob@elsewhere.example", org_id="ORG-1")
CAROL = Actor(person_id="PERSONID-CAROL", email="carol@voice.example.com")
MALLORY = Actor(person_id="PERSONID-M", email="mallory@evil.example", display_name="alice")
BOT = Actor(person_id="PERSONID-ALICE", email="alice@example.com", is_bot=True)
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

    d = await policy.decide(MALLORY, "trunk.create", space=DIRECT, org_id="X", membership=member)
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


@pytest.mark.parametrize("content", [None, "", "[[grant]\n"], ids=["missing", "empty", "broken"])
async def test_unusable_policy_denies_everyone(tmp_path: Path, content: str | None) -> None:
    """Missing, empty or broken policy files deny everything and keep the reason."""
    path = tmp_path / "policy.toml"
    if content is not None:
        path.write_text(content)
    policy = Policy.load(path)
    assert policy.problem
    with pytest.raises(NotAllowed) as err:
        await require(policy, ALICE, "trunk.create", space=DIRECT, check_scope=False)
    assert "trunkbot check" in err.value.user_message


async def test_refusal_names_the_granted_locations(policy: Policy) -> None:
    """Someone allowed elsewhere is told where they may act."""
    with pytest.raises(NotAllowed) as err:
        await require(
            policy,
            ALICE,
            "trunk.create",
            space=DIRECT,
            location_id="LOC-NY",
            location_name="New York",
            org_id="ORG-1",
        )
    assert err.value.user_message == (
        "You may create trunks only in **London HQ** and **LOC-PARIS**."
    )
