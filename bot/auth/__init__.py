"""Who may do what: the TOML policy file, deny by default, one gate for every entry path.

A person may do an action when at least one grant names them (by person, domain or
space) *and* names that action, the location and the org. No grant, no access. A policy
file that is missing or broken loads as an empty policy that denies everything and keeps
the reason, so ``trunkbot check`` can say what is wrong and every refusal can still be
answered in one sentence (errbot's ACL plugin is the model: block, and say why).

The actor is matched as Webex identifies them: email compared case-insensitively, or
person ID. Display names never count.

    grant.py        a grant (one ``[[grant]]`` table) and the actions there are
    policy_file.py  the TOML file into grants; what is wrong with it, in its own words
    here            the Policy: loading it, which grants name a person, the decision
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.auth.grant import ACTIONS, ANY, Grant, collapse
from bot.auth.policy_file import read_grants
from bot.errors import ConfigError
from bot.events import Actor, Space

__all__ = [
    "ACTIONS",
    "ANY",
    "UNLISTED",
    "Decision",
    "Grant",
    "MembershipCheck",
    "Policy",
    "collapse",
]

log = logging.getLogger(__name__)

UNLISTED = "no grant names this person"  # the reason for someone the policy doesn't know

# Asks Webex whether a person is a member of a space (used by `spaces = [...]` grants).
MembershipCheck = Callable[[str, str], Awaitable[bool]]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # for the audit trail and logs, not for chat
    grant: Grant | None = None
    org_unknown: bool = False


@dataclass
class Policy:
    """The loaded grants, or none at all plus the reason the file could not be used."""

    grants: list[Grant] = field(default_factory=list)
    problem: str | None = None
    source: str = "policy.toml"

    @classmethod
    def parse(cls, text: str, source: str = "policy.toml") -> Policy:
        """Parse policy TOML; raise ConfigError with one line naming the problem."""
        return cls(grants=read_grants(text, source), source=source)

    @classmethod
    def load(cls, path: Path, *, log_problem: bool = True) -> Policy:
        """Load the policy; a missing or broken file gives a deny-all policy with its reason
        (logged unless ``log_problem`` is False: `trunkbot check` prints it itself)."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(problem=f"The policy file {path} does not exist.", source=str(path))
        except OSError as exc:
            return cls(problem=f"The policy file {path} can't be read ({exc.strerror}).")
        try:
            policy = cls.parse(text, source=str(path))
        except ConfigError as exc:
            if log_problem:
                log.warning("policy.invalid", extra={"problem": exc.user_message})
            return cls(problem=exc.user_message, source=str(path))
        if not policy.grants:
            policy.problem = f"The policy file {path} has no [[grant]]: nobody may do anything."
        return policy

    async def grants_naming(
        self, actor: Actor, space: Space | None, membership: MembershipCheck | None
    ) -> list[Grant]:
        """The grants that name this person — by person, domain or space — *and* cover the
        person's own org. A person whose org Webex didn't tell us is named by none."""
        if actor.is_bot or actor.org_id is None:
            return []
        out = []
        for grant in self.grants:
            if not grant.names_org(actor.org_id):
                continue
            if grant.names_person(actor):
                out.append(grant)
            elif grant.spaces and space is not None and space.room_id in grant.spaces:
                out.append(grant)  # Webex delivered their message from that space
            elif grant.spaces and membership is not None:
                for room in grant.spaces:
                    if await membership(room, actor.person_id):
                        out.append(grant)
                        break
        return out

    async def decide(
        self,
        actor: Actor,
        action: str,
        *,
        space: Space | None = None,
        location_id: str | None = None,
        location_name: str | None = None,
        org_id: str | None = None,
        membership: MembershipCheck | None = None,
        check_scope: bool = True,
        check_location: bool = True,
    ) -> Decision:
        """May ``actor`` do ``action`` here? ``check_scope=False`` asks only about the action;
        ``check_location=False`` about the action and the org (before a location is known).
        The first grant that covers the request decides its ``confirm``/``approval`` rules."""
        if actor.is_bot:
            return Decision(False, "actor is a bot")
        if self.problem and not self.grants:
            return Decision(False, f"policy unusable: {self.problem}")
        if actor.org_id is None:
            return Decision(False, "the person's org is unknown (lookup failed)", org_unknown=True)
        naming = await self.grants_naming(actor, space, membership)
        if not naming:
            return Decision(False, UNLISTED)
        grants = [g for g in naming if g.names_action(action)]
        if not grants:
            return Decision(False, f"no grant names this person for {action}")
        if not check_scope:
            return Decision(True, "a grant names this person and action", grants[0])
        for grant in grants:
            in_location = not check_location or grant.names_location(location_id, location_name)
            if in_location and grant.names_org(org_id):
                return Decision(True, "granted", grant)
        return Decision(False, f"no grant covers this location/org for {action}")

    async def actions_for(
        self, actor: Actor, space: Space | None = None, membership: MembershipCheck | None = None
    ) -> set[str]:
        """Every action some grant gives this person (for `help`)."""
        out: set[str] = set()
        for grant in await self.grants_naming(actor, space, membership):
            out.update(ACTIONS if ANY in grant.actions else grant.actions)
        return out
