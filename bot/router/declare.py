"""What a command declares: its words or card purpose, the action the gate checks, how its
scope is read, its handler; and what the router hands that handler (a :class:`Request`, a
:class:`Scope`). Commands import these; :class:`bot.router.Router` runs them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.auth import ACTIONS
from bot.errors import ConfigError
from bot.events import Context
from bot.gate import NO_TARGET, PUBLIC, Permit
from bot.store import CardNonce
from bot.webex.models import Location


@dataclass(frozen=True)
class CardSubmission:
    """A card submission whose nonce is ours, bound to this space and card message."""

    nonce: str
    verb: str
    record: CardNonce
    inputs: dict[str, Any]
    payload: dict[str, Any]


@dataclass(frozen=True)
class Request:
    """What the person sent: the words after the command, or a card submission."""

    args: str = ""
    card: CardSubmission | None = None


@dataclass(frozen=True)
class Scope:
    """What a request says it touches, read from the request alone (no Webex call yet).

    ``org`` is the ``org=`` asked for (None: the default org) or :data:`NO_TARGET` when the
    command touches no org of its own; ``location`` a location name or ID to resolve (None:
    not named yet). ``parsed`` is whatever the command read, handed to its handler.
    """

    org: str | object | None = NO_TARGET
    location: str | None = None
    parsed: Any = None
    request: Request = Request()
    # Where the request's location comes from when it names a thing, not a location (a
    # trunk): called with the org-level permit, after the org was admitted.
    locate: Callable[[Permit], Awaitable[Location]] | None = None


ScopeReader = Callable[[Context, Request], Awaitable[Scope]]
GatedHandler = Callable[[Context, Permit, Scope], Awaitable[None]]
CardReader = Callable[[Context], Awaitable[CardSubmission]]
CardCheck = Callable[[Context, CardSubmission], Awaitable[None]]
OrgResolver = Callable[[str | None], Awaitable[str | None]]
LocationFinder = Callable[[str, str | None, Permit], Awaitable[Location]]


async def no_scope(_ctx: Context, request: Request) -> Scope:
    """For commands that touch no org or location (help, audit)."""
    return Scope(request=request)


@dataclass(frozen=True)
class Command:
    """One command, declared: the action it needs, how its scope is read, its handler.

    Text commands have ``words``; card commands answer the cards whose nonce has
    ``purpose``. The router gates every one the same way before its handler runs.
    """

    action: str
    handler: GatedHandler
    scope: ScopeReader = no_scope
    words: tuple[str, ...] = ()
    purpose: str | None = None
    example: str = ""  # a complete request, for the authorization matrix
    usage: str = ""  # its line in `help` (markdown); text commands without one aren't listed
    # (args, key, value) → the args with ``key`` answered by ``value``: makes an Ambiguity
    # a question the person's next message can answer (see bot.followup).
    rewrite: Callable[[str, str, str], str] | None = None

    @property
    def name(self) -> str:
        return " ".join(self.words) if self.words else f"card:{self.purpose}"


def check_declarations(commands: Sequence[Command]) -> None:
    """Refuse at start-up a command the gate could not decide on."""
    seen: set[object] = set()
    for command in commands:
        if command.action != PUBLIC and command.action not in ACTIONS:
            raise ConfigError(f"Command {command.name!r} declares no known action.")
        if bool(command.words) == (command.purpose is not None):
            raise ConfigError(f"Command {command.name!r} needs words or a card purpose.")
        if command.purpose is not None and command.action == PUBLIC:
            raise ConfigError(f"Card command {command.name!r} can't be public.")
        key = command.words or command.purpose
        if key in seen:
            raise ConfigError(f"Command {command.name!r} is declared twice.")
        seen.add(key)
