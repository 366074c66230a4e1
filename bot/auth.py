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

import difflib
import logging
import tomllib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import ConfigError
from bot.events import Actor, Space

log = logging.getLogger(__name__)

ACTIONS = frozenset(
    {
        "trunk.create",
        "trunk.read",
        "trunk.update",
        "trunk.delete",
        "routegroup.write",
        "pstn.write",
        "audit.read",
        "approve",
    }
)
ANY = "*"
UNLISTED = "no grant names this person"  # the reason for someone the policy doesn't know

# Asks Webex whether a person is a member of a space (used by `spaces = [...]` grants).
MembershipCheck = Callable[[str, str], Awaitable[bool]]


class Grant(BaseModel):
    """One ``[[grant]]`` table. Unknown keys are refused so a typo cannot widen or narrow it;
    ``locations`` and ``orgs`` must be stated (``["*"]`` for all): nothing is implied."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    spaces: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    locations: tuple[str, ...]
    orgs: tuple[str, ...]
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

    @field_validator("locations", "orgs")
    @classmethod
    def _not_empty(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        values = tuple(v.strip() for v in values if v.strip())
        if not values:
            raise ValueError('is empty: name at least one, or "*" for all')
        return values

    @model_validator(mode="after")
    def _approvers_named(self) -> Grant:
        if self.approval == "required" and not (self.approvers_space or "").strip():
            raise ValueError(
                'approval = "required" needs approvers_space (the room where approvers decide)'
            )
        return self

    def names_person(self, actor: Actor) -> bool:
        """By email (any case), person ID or email domain (the org is checked by the policy)."""
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

    def explain(self) -> str:
        """What this grant allows, in one line (for `trunkbot check`)."""
        who = [
            *self.people,
            *(f"anyone @{d}" for d in self.domains),
            *(f"members of space {s[:16]}…" for s in self.spaces),
        ]
        names = ", ".join(who) if who else "nobody"
        actions = "every action" if ANY in self.actions else ", ".join(self.actions) or "nothing"
        where = "every location" if ANY in self.locations else ", ".join(self.locations)
        orgs = "any org" if ANY in self.orgs else "org " + ", ".join(self.orgs)
        rules = "a summary card first" if self.confirm else "no summary card"
        if self.approval == "required":
            rules += f", approval in {self.approvers_space}"
        return f"{names} (people of {orgs}) may: {actions}; in {where} of {orgs}; {rules}"


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grant: list[Grant] = Field(default_factory=list)


def _grant_problem(raw: object, err: Any, source: str) -> str:
    """One sentence for the first thing wrong in a policy file, in the file's own words."""
    loc = [str(p) for p in err["loc"]]
    msg = str(err["msg"]).removeprefix("Value error, ")
    if len(loc) < 2 or loc[0] != "grant" or not loc[1].isdigit():
        where = ".".join(loc) or "the top level"
        if err["type"] == "extra_forbidden":
            return f"The policy file {source} has an unknown table or key `{where}`."
        return f"The policy file {source} is invalid at {where}: {msg}."
    index = int(loc[1])
    grants = raw.get("grant") if isinstance(raw, dict) else None
    table = grants[index] if isinstance(grants, list) and index < len(grants) else {}
    who = ""
    if isinstance(table, dict):
        for key in ("people", "domains", "spaces"):
            values = table.get(key)
            if isinstance(values, list) and values:
                who = f" ({key} = {values[0]}{', …' if len(values) > 1 else ''})"
                break
    grant = f"grant {index + 1}{who}"
    key = loc[2] if len(loc) > 2 else ""
    if err["type"] == "missing" and key in ("locations", "orgs"):
        return (
            f"The policy file {source}: {grant} must say `{key}` — the {key} it covers, "
            'or ["*"] for all.'
        )
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, list(Grant.model_fields), n=1)
        if close:
            return (
                f"The policy file {source}: {grant} has an unknown key `{key}`: did you "
                f"mean `{close[0]}`?"
            )
        known = ", ".join(Grant.model_fields)
        return f"The policy file {source}: {grant} has an unknown key `{key}` (known: {known})."
    if key:
        return f"The policy file {source}: {grant}, `{key}` {msg}."
    return f"The policy file {source}: {grant}: {msg}."


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
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The policy file {source} is not valid TOML ({exc}).") from None
        try:
            parsed = _PolicyFile.model_validate(raw)
        except ValidationError as exc:
            # A misspelt key explains a "missing" one: name it first.
            errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
            raise ConfigError(_grant_problem(raw, errors[0], source)) from None
        return cls(grants=parsed.grant, source=source)

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


def collapse(values: Iterable[str]) -> tuple[str, ...]:
    """Distinct values in order; just ``("*",)`` when any is ``"*"``."""
    out: list[str] = []
    for value in values:
        if value == ANY:
            return (ANY,)
        if value not in out:
            out.append(value)
    return tuple(out)
