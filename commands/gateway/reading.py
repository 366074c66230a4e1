"""Reading these commands: a leading trunk, ``key=value`` options, and where the gate looks.

The keys here are the commands' own (``interface=``, ``tenant=``, ``dial-peer=``,
``priority=``, ``location=``, ``trunk=``, ``route-group=``, ``org=``), any case; a value may
be quoted. A trunk's location — what the gate narrows to — comes from Webex's record of the
trunk, read only after the org was admitted, among the trunks in the person's locations.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.errors import NotAllowed, UsageError
from bot.gate import Permit
from bot.markdown import esc
from bot.replies import not_allowed
from bot.webex.models import Location, TrunkSummary

if TYPE_CHECKING:
    from bot.services import Services


def split_words(command: str, text: str) -> list[str]:
    """Shell-like words (quotes keep spaces); an open quote is one sentence."""
    try:
        return shlex.split(text.replace("“", '"').replace("”", '"'))
    except ValueError:
        raise UsageError(
            f"A quote is left open in your `{command}`: close it and ask again."
        ) from None


def read_keys(command: str, words: list[str], allowed: frozenset[str]) -> dict[str, str]:
    """``key=value`` words, keys as the command takes them (lower case)."""
    out: dict[str, str] = {}
    takes = ", ".join(f"`{k}`" for k in sorted(allowed))
    for word in words:
        key, eq, value = word.partition("=")
        key = key.strip().casefold()
        if not eq or not key:
            raise UsageError(
                f"I don't understand `{esc(word[:40])}` in `{command}`: it takes {takes}."
            )
        if key not in allowed:
            raise UsageError(f"`{command}` doesn't take `{esc(key[:40])}`: it takes {takes}.")
        if key in out:
            raise UsageError(f"`{esc(key)}` is there twice: give it once.")
        if not value.strip():
            raise UsageError(f"`{esc(key)}` is empty: give it a value or leave it out.")
        out[key] = value.strip()
    return out


def number(key: str, value: str | None, *, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise UsageError(f"`{key}` is a whole number from {low} to {high}.")
    return int(value)


def trunk_locator(
    services: Services, target: str, found: list[TrunkSummary]
) -> Callable[[Permit], Awaitable[Location]]:
    """The gate's ``Scope.locate`` for a named trunk: its location, once the org is
    admitted; the trunk is kept in ``found`` for the handler."""

    async def locate(permit: Permit) -> Location:
        trunk = await services.trunks.find_trunk(
            target,
            permit.org_id,
            visible=lambda t: (
                t.location is not None and permit.covers(t.location.id, t.location.name)
            ),
        )
        if trunk.location is None:
            raise NotAllowed(not_allowed(permit.action), reason="trunk has no location")
        found.append(trunk)
        return Location(id=trunk.location.id, name=trunk.location.name)

    return locate


def the_trunk(found: list[TrunkSummary]) -> TrunkSummary:
    if not found:
        raise UsageError("I couldn't find that trunk just now: please ask again.")
    return found[0]
