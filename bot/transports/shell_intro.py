"""What `trunkbot shell` says before the first prompt, and where it keeps its state.

The greeting is built from the policy in force (the sample policy or a real policy.toml):
what the current person may do there, and a command they may really run.

Where the trail goes: with admin credentials, the normal store (TRUNKBOT_DATABASE_URL or
the state directory's trunkbot.db). Without them the shell talks to the built-in sandbox,
whose trunks are made up, so it keeps its records in a separate demo database,
``sandbox.db`` beside trunkbot.db; `trunkbot audit` reads that one in the same
configuration (no admin credentials, no TRUNKBOT_DATABASE_URL) and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.auth import ANY, Grant, Policy
from bot.events import Actor, Space
from bot.settings import Settings, default_state_dir

SANDBOX_DATABASE = "sandbox.db"
SHELL_LOG = "shell.log"
SHELL_FILES = "shell-files"  # files the bot posts in the shell (a bulk result CSV)
SHELL_HISTORY = "shell_history"

# What each action lets a person do, as the greeting says it (in policy order).
_PHRASES = {
    "trunk.create": "create trunks",
    "trunk.read": "look at trunks",
    "trunk.update": "change trunks",
    "trunk.delete": "delete trunks",
    "routegroup.write": "change route groups",
    "pstn.write": "change PSTN connections",
    "approve": "approve others' requests",
    "audit.read": "read the audit trail",
}


def uses_sandbox_database(settings: Settings) -> bool:
    """The sandbox configuration: no admin credentials and no TRUNKBOT_DATABASE_URL."""
    return not settings.has_admin_credentials and settings.database_url is None


def sandbox_database_url() -> str:
    return f"sqlite:///{default_state_dir() / SANDBOX_DATABASE}"


def database_note(settings: Settings, url: str, *, sandbox: bool) -> str:
    """The greeting's line on where the records go (never a database password)."""
    where = str(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None
    if sandbox and where:
        return (
            f"Requests and the audit trail go to {where}, the sandbox's own database; "
            "`trunkbot audit` reads it while no admin credentials are set."
        )
    if where:
        return f"Requests and the audit trail go to {where} (`trunkbot audit` reads them)."
    return "Requests and the audit trail go to the database TRUNKBOT_DATABASE_URL names."


def audit_note(settings: Settings) -> str | None:
    """What `trunkbot audit` says on stderr when it reads the sandbox's demo database."""
    if not uses_sandbox_database(settings):
        return None
    return (
        f"Reading the sandbox's trail ({default_state_dir() / SANDBOX_DATABASE}): no admin "
        "credentials are set. Set TRUNKBOT_DATABASE_URL to read another database."
    )


def state_file(name: str) -> Path:
    return default_state_dir() / name


def _places(locations: Sequence[str]) -> str:
    if ANY in locations:
        return "anywhere"
    if len(locations) == 1:
        return f"in {locations[0]}"
    return "in " + ", ".join(locations[:-1]) + f" and {locations[-1]}"


async def allowed(policy: Policy, actor: Actor, space: Space) -> dict[str, list[Grant]]:
    """Each action the policy gives this person → the grants that give it (policy order)."""
    out: dict[str, list[Grant]] = {}
    for grant in await policy.grants_naming(actor, space, None):
        for action in _PHRASES:
            if grant.names_action(action):
                out.setdefault(action, []).append(grant)
    return out


async def what_they_may_do(policy: Policy, actor: Actor, space: Space) -> str:
    """One sentence: what the policy lets this person do, or that it lets them do nothing."""
    grants = await allowed(policy, actor, space)
    source = policy.source
    if not grants:
        if policy.problem and not policy.grants:
            return f"{policy.problem} So the bot refuses everything but help."
        named = people_named(policy)
        others = f" People it names: {', '.join(named[:4])} (/as EMAIL)." if named else ""
        return f"{source} gives {actor.email} nothing, so the bot will refuse them.{others}"
    parts = []
    for action, given in grants.items():
        phrase = _PHRASES[action]
        if action != "audit.read":
            locations = [loc for g in given for loc in g.locations]
            phrase += " " + _places(list(dict.fromkeys(locations)))
        if action == "trunk.create" and all(g.approval == "required" for g in given):
            phrase += " (each with an approver's yes)"
        parts.append(phrase)
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" and {parts[-1]}"
    return f"{source} lets {actor.email} {listed}."


async def suggestion(policy: Policy, actor: Actor, space: Space, locations: Sequence[str]) -> str:
    """A command this person may really run (the policy decides, the locations exist)."""
    grants = await allowed(policy, actor, space)
    create = grants.get("trunk.create", [])
    if create:
        allowed_here = [
            name for name in locations if any(g.names_location(None, name) for g in create)
        ]
        named = [loc for g in create for loc in g.locations if loc != ANY]
        where = (allowed_here or named or ["<location name>"])[0]
        quoted = f'"{where}"' if " " in where else where
        return f"create trunk name=test-1 location={quoted}"
    if "trunk.read" in grants:
        return "list trunks"
    if "audit.read" in grants:
        return "audit"
    return "help"


def people_named(policy: Policy) -> list[str]:
    """The emails the policy names, in order (for /as and its completion)."""
    return list(dict.fromkeys(p for g in policy.grants for p in g.people if "@" in p))
