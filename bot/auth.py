"""Who may do what: the TOML policy file, deny by default, one gate for every entry path.

A person may do an action when at least one grant names them (by person, domain or
space) *and* names that action, the location and the org. No grant, no access. A policy
file that is missing or broken loads as an empty policy that denies everything and keeps
the reason, so ``trunkbot check`` can say what is wrong and every refusal can still be
answered in one sentence (errbot's ACL plugin is the model: block, and say why).

The actor is matched as Webex identifies them: email compared case-insensitively, or
person ID. Display names never count.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError
from bot.events import Actor, Space

log = logging.getLogger(__name__)

ACTIONS = frozenset(
    {"trunk.create", "trunk.read", "trunk.update", "trunk.delete", "audit.read", "approve"}
)
ANY = "*"

# Asks Webex whether a person is a member of a space (used by `spaces = [...]` grants).
MembershipCheck = Callable[[str, str], Awaitable[bool]]


class Grant(BaseModel):
    """One ``[[grant]]`` table. Unknown keys are refused so a typo cannot widen or narrow it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    spaces: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    locations: tuple[str, ...] = (ANY,)
    orgs: tuple[str, ...] = (ANY,)
    confirm: bool = True
    approval: Literal["none", "required"] = "none"
    approvers_space: str | None = None

    @field_validator("people", "domains")
    @classmethod
    def _lower(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().lower().lstrip("@") for v in values)

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(values) - ACTIONS - {ANY})
        if unknown:
            raise ValueError(f"unknown action {unknown[0]!r}; known: {', '.join(sorted(ACTIONS))}")
        return values

    def names_person(self, actor: Actor) -> bool:
        """By email (any case), person ID or email domain — and only people of the grant's orgs.

        The actor's org is Webex's record of them; when it is unknown, only grants open to
        every org can name them (fail closed).
        """
        if ANY not in self.orgs and actor.org_id not in self.orgs:
            return False
        email = actor.email.lower()
        if email and email in self.people:
            return True
        if actor.person_id and actor.person_id.lower() in self.people:
            return True
        domain = email.rpartition("@")[2]
        return bool(domain) and domain in self.domains

    def names_action(self, action: str) -> bool:
        return action in self.actions or ANY in self.actions

    def names_location(self, location_id: str | None, location_name: str | None) -> bool:
        if ANY in self.locations:
            return True
        wanted = {x.lower() for x in self.locations}
        return any(v is not None and v.lower() in wanted for v in (location_id, location_name))

    def names_org(self, org_id: str | None) -> bool:
        return ANY in self.orgs or (org_id is not None and org_id in self.orgs)


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grant: list[Grant] = Field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # for the audit trail and logs, not for chat
    grant: Grant | None = None


@dataclass
class Policy:
    """The loaded grants, or none at all plus the reason the file could not be used."""

    grants: list[Grant] = field(default_factory=list)
    problem: str | None = None
    source: str = "policy.toml"

    @classmethod
    def parse(cls, text: str, source: str = "policy.toml") -> Policy:
        """Parse policy TOML; raise ConfigError with one line naming the problem."""
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The policy file {source} is not valid TOML ({exc}).") from None
        try:
            parsed = _PolicyFile.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            raise ConfigError(f"The policy file {source} is invalid at {where}: {msg}.") from None
        return cls(grants=parsed.grant, source=source)

    @classmethod
    def load(cls, path: Path) -> Policy:
        """Load the policy; a missing or broken file gives a deny-all policy with its reason."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(problem=f"The policy file {path} does not exist.", source=str(path))
        except OSError as exc:
            return cls(problem=f"The policy file {path} can't be read ({exc.strerror}).")
        try:
            policy = cls.parse(text, source=str(path))
        except ConfigError as exc:
            log.warning("policy.invalid", extra={"problem": exc.user_message})
            return cls(problem=exc.user_message, source=str(path))
        if not policy.grants:
            policy.problem = f"The policy file {path} has no [[grant]]: nobody may do anything."
        return policy

    async def _grants_naming(
        self, actor: Actor, space: Space | None, membership: MembershipCheck | None
    ) -> list[Grant]:
        out = []
        for grant in self.grants:
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
        ``check_location=False`` about the action and the org (before a location is known)."""
        if actor.is_bot:
            return Decision(False, "actor is a bot")
        if self.problem and not self.grants:
            return Decision(False, f"policy unusable: {self.problem}")
        grants = [
            g for g in await self._grants_naming(actor, space, membership) if g.names_action(action)
        ]
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
        if actor.is_bot:
            return set()
        out: set[str] = set()
        for grant in await self._grants_naming(actor, space, membership):
            out.update(ACTIONS if ANY in grant.actions else grant.actions)
        return out

    async def scope_for(
        self,
        actor: Actor,
        action: str,
        space: Space | None = None,
        membership: MembershipCheck | None = None,
    ) -> tuple[list[str], list[str]]:
        """The locations and orgs this person may do ``action`` in (``["*"]`` = all)."""
        locations: list[str] = []
        orgs: list[str] = []
        for grant in await self._grants_naming(actor, space, membership):
            if grant.names_action(action):
                locations.extend(x for x in grant.locations if x not in locations)
                orgs.extend(x for x in grant.orgs if x not in orgs)
        return _collapse(locations), _collapse(orgs)


def _collapse(values: Iterable[str]) -> list[str]:
    values = list(values)
    return [ANY] if ANY in values else values


async def require(
    policy: Policy,
    actor: Actor,
    action: str,
    *,
    space: Space | None,
    membership: MembershipCheck | None = None,
    location_id: str | None = None,
    location_name: str | None = None,
    org_id: str | None = None,
    check_scope: bool = True,
    check_location: bool = True,
) -> Decision:
    """The gate: return the Decision if allowed, else raise NotAllowed with its sentence."""
    from bot import replies
    from bot.errors import NotAllowed

    decision = await policy.decide(
        actor,
        action,
        space=space,
        location_id=location_id,
        location_name=location_name,
        org_id=org_id,
        membership=membership,
        check_scope=check_scope,
        check_location=check_location,
    )
    log.info(
        "auth.decision",
        extra={"action": action, "allowed": decision.allowed, "reason": decision.reason},
    )
    if decision.allowed:
        return decision
    why = decision.reason
    if policy.problem and not policy.grants:
        raise NotAllowed(replies.NO_POLICY, reason=why)
    if not check_scope or not decision.reason.startswith("no grant covers"):
        raise NotAllowed(replies.not_allowed(action), reason=why)
    locations, orgs = await policy.scope_for(actor, action, space, membership)
    if ANY not in orgs and org_id not in orgs:
        raise NotAllowed(replies.only_in_orgs(action, org_id or "?"), reason=why)
    raise NotAllowed(replies.only_in_locations(action, locations), reason=why)
