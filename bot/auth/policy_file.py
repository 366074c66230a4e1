"""Reading the policy file: TOML into grants, and one sentence, in the file's own words, for
the first thing wrong with it."""

from __future__ import annotations

import difflib
import tomllib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.auth.grant import Grant
from bot.errors import ConfigError


def read_grants(text: str, source: str) -> list[Grant]:
    """The grants of policy TOML ``text``; raise ConfigError with one line naming the problem."""
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
    return parsed.grant


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
