"""Reading a lifecycle request: its target trunk, its keys, and where the gate looks.

``show trunk lon-1 org=…``: the target is the first word (or quoted text), then ``key=value``
pairs from the create grammar, limited to the keys the command takes. The trunk's location —
what the gate narrows to — comes from Webex's own record of the trunk, read only after the
org was admitted, and only the trunks in the person's locations are offered as matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import replies
from bot.errors import NotAllowed, UsageError
from bot.events import Context
from bot.gate import Permit
from bot.grammar import Fields, parse_args
from bot.router import Request, Scope, ScopeReader
from bot.webex.models import Location, TrunkSummary
from commands.args import answer_target, take_target

if TYPE_CHECKING:
    from bot.services import Services


@dataclass
class TrunkQuery:
    """A lifecycle request as read; ``trunk`` is filled in when the gate's scope is found."""

    target: str | None
    fields: Fields
    trunk: list[TrunkSummary] = field(default_factory=list)

    @property
    def found(self) -> TrunkSummary:
        if not self.trunk:
            raise UsageError("I couldn't find that trunk just now: please ask again.")
        return self.trunk[0]


def read_fields(command: str, args: str, allowed: frozenset[str]) -> Fields:
    """``key=value`` pairs of the create grammar, only those ``command`` takes."""
    fields = parse_args(args) if args.strip() else Fields()
    for key in fields:
        if key not in allowed:
            typed = fields.typed.get(key, key)
            takes = ", ".join(sorted(allowed))
            raise UsageError(f"`{command}` doesn't take `{replies.esc(typed)}`: it takes {takes}.")
    return fields


def trunk_scope(
    services: Services, command: str, allowed: frozenset[str], *, need_target: bool = True
) -> tuple[ScopeReader, Callable[[str, str, str], str]]:
    """The scope reader for ``command <trunk> key=…``, and its rewrite (for a question)."""

    async def scope(ctx: Context, request: Request) -> Scope:
        target, rest = take_target(request.args)
        fields = read_fields(command, rest, allowed)
        query = TrunkQuery(target, fields)
        org = fields.get("org") or None
        if target is None:
            if need_target:
                raise UsageError(f"Which trunk? Say `{command} <name or ID>`.")
            return Scope(org=org, parsed=query, request=request)

        async def locate(permit: Permit) -> Location:
            trunk = await services.trunks.find_trunk(
                target,
                permit.org_id,
                visible=lambda t: (
                    t.location is not None and permit.covers(t.location.id, t.location.name)
                ),
            )
            if trunk.location is None:
                raise NotAllowed(replies.not_allowed(permit.action), reason="trunk has no location")
            query.trunk.append(trunk)
            return Location(id=trunk.location.id, name=trunk.location.name)

        return Scope(org=org, parsed=query, request=request, locate=locate)

    def rewrite(args: str, _key: str, value: str) -> str:
        return answer_target(args, value)

    return scope, rewrite
