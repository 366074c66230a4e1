"""A grant: one ``[[grant]]`` table of the policy file — who (people, domains, spaces) may
do which actions, in which locations and orgs, with which rules — and the actions there are."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from bot.events import Actor

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


def collapse(values: Iterable[str]) -> tuple[str, ...]:
    """Distinct values in order; just ``("*",)`` when any is ``"*"``."""
    out: list[str] = []
    for value in values:
        if value == ANY:
            return (ANY,)
        if value not in out:
            out.append(value)
    return tuple(out)
