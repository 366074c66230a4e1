"""What each trunk field accepts, one check per field: a value as typed (or as a card sent
it) → the value the request keeps, or :func:`~bot.validation.problems.fail` with our code.

A value of another type than ``str`` is returned as it is, for pydantic's own type check
(translated by field). The rules themselves are :mod:`bot.validation.rules`.
"""

from __future__ import annotations

import unicodedata

from pydantic import SecretStr

from bot.validation.problems import fail
from bot.validation.rules import (
    DIGITS,
    DOMAIN,
    HOST,
    HOST_MAX,
    INVISIBLE,
    NO_WORDS,
    ORG_ID,
    ORG_MAX,
    PASSWORD_MIN,
    PCHARGE,
    YES_WORDS,
    parse_trunk_type,
    password_code,
)
from bot.webex.models import PChargeInfoSupportPolicy, TrunkType


def text(value: object, key: str, limit: int, *, required: bool) -> object:
    """Trimmed text of at most ``limit`` characters, no invisible ones (other spaces become
    plain spaces); empty is "missing" when ``required``."""
    if not isinstance(value, str):
        return value  # pydantic's own type check follows (translated by field)
    if any(unicodedata.category(c) in INVISIBLE for c in value):
        fail("control_chars", key)
    s = "".join(" " if c.isspace() else c for c in value).strip()
    if not s:
        fail("missing" if required else "empty", key)
    if len(s) > limit:
        fail("too_long", key, limit=limit)
    return s


def _optional_str(value: object, key: str) -> str | None:
    """A stripped non-empty str, None for a non-str (left to pydantic); "" is refused."""
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        fail("empty", key)
    return s


def trunk_type(v: object) -> object:
    if isinstance(v, TrunkType):
        return v
    s = _optional_str(v, "type")
    if s is None:
        return v
    parsed = parse_trunk_type(s)
    if parsed is None:
        fail("trunk_type", "type")
    return parsed


def password(v: object) -> object:
    """ "auto" (Webex generates one) → None; else a password Webex would accept, kept secret."""
    if isinstance(v, SecretStr):
        v = v.get_secret_value()
    if not isinstance(v, str):
        return v
    if v.strip().casefold() == "auto":
        return None
    code = password_code(v)
    if code is not None:
        fail(code, "password", too_short=len(v) < PASSWORD_MIN)
    return SecretStr(v)


def port(v: object) -> object:
    if isinstance(v, str):
        s = _optional_str(v, "port")
        if s is None or not DIGITS.fullmatch(s) or len(s) > 5:
            fail("port", "port")
        v = int(s)
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 65535:
        fail("port", "port")
    return v


def max_calls(v: object) -> object:
    if isinstance(v, str):
        s = _optional_str(v, "max-calls")
        if s is None or not DIGITS.fullmatch(s):
            fail("max_calls", "max-calls")
        if len(s) > 9:
            fail("max_calls_huge", "max-calls")
        v = int(s)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        fail("max_calls", "max-calls")
    return v


def yes_no(v: object, key: str) -> object:  # noqa: RET503 - fail() raises (NoReturn)
    if isinstance(v, bool):
        return v
    s = _optional_str(v, key)
    if s is not None and s.casefold() in YES_WORDS:
        return True
    if s is not None and s.casefold() in NO_WORDS:
        return False
    fail("yes_no", key)


def address(v: object) -> object:
    s = _optional_str(v, "address")
    if s is None:
        return v
    labels = s.rstrip(".").split(".")
    if len(s) > HOST_MAX or not HOST.fullmatch(s) or labels[-1].isdigit():
        fail("address", "address")
    return s


def domain(v: object) -> object:
    s = _optional_str(v, "domain")
    if s is None:
        return v
    if len(s) > HOST_MAX or not DOMAIN.fullmatch(s) or s.rstrip(".").split(".")[-1].isdigit():
        fail("domain", "domain")
    return s


def org(v: object) -> object:
    s = _optional_str(v, "org")
    if s is None:
        return v
    if len(s) > ORG_MAX or not ORG_ID.fullmatch(s):
        fail("org", "org")
    return s


def p_charge(v: object) -> object:
    if isinstance(v, PChargeInfoSupportPolicy):
        return v
    s = _optional_str(v, "pcharge")
    if s is None:
        return v
    parsed = PCHARGE.get(s.casefold().replace("_", "-").replace(" ", "-"))
    if parsed is None:
        fail("pcharge", "pcharge")
    return parsed
