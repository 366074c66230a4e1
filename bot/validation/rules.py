"""What Webex accepts in a trunk request: limits, keys, name patterns, the password rules.

The decisions behind each rule are in :mod:`bot.validation`'s docstring; the form's regexes
(:mod:`bot.cards.regexes`) are built from the patterns and limits here.
"""

from __future__ import annotations

import re
import unicodedata

from bot.webex.models import PChargeInfoSupportPolicy, TrunkType

NAME_MAX = 64
LOCATION_MAX = 256
DEVICE_MAX = 128
ORG_MAX = 256
# Webex refuses a trunk password outside 8 to 64 characters, or with `?` or `!` (400, error
# 25015: "Password must be 8 to 64 characters long."); what it generates meets both.
PASSWORD_MIN = 8
PASSWORD_MAX = 64
#: What a typed password may not contain (Webex error 25015).
PASSWORD_FORBIDDEN = "?!"  # noqa: S105 - characters a password may not hold, not a password
#: An SBC address or domain: at most this many characters in all (DNS).
HOST_MAX = 253
ROUTE_GROUP_MAX = 64  # Webex's limit on a route group's name

#: Keys that only a certificate-based trunk takes.
CERTIFICATE_ONLY_KEYS: tuple[str, ...] = ("address", "domain", "port", "max-calls")

#: Canonical key → TrunkRequest field, and back.
FIELD_OF_KEY: dict[str, str] = {
    "name": "name",
    "location": "location",
    "type": "trunk_type",
    "password": "password",
    "device": "device_type",
    "address": "address",
    "domain": "domain",
    "port": "port",
    "max-calls": "max_calls",
    "dual-identity": "dual_identity",
    "org": "org_id",
    "pcharge": "p_charge",
    "route-group": "route_group",
}
KEY_OF_FIELD: dict[str, str] = {f: k for k, f in FIELD_OF_KEY.items()}

_TRUNK_TYPES: dict[str, TrunkType] = {
    "registering": TrunkType.REGISTERING,
    "certificate": TrunkType.CERTIFICATE_BASED,
    "certificate-based": TrunkType.CERTIFICATE_BASED,
}
YES_WORDS = frozenset({"yes", "true", "on", "1"})
NO_WORDS = frozenset({"no", "false", "off", "0"})
PCHARGE: dict[str, PChargeInfoSupportPolicy] = {
    p.value.lower().replace("_", "-"): p for p in PChargeInfoSupportPolicy
}
PCHARGE_WORD = {policy: word for word, policy in PCHARGE.items()}  # as the person types it
_SRV = re.compile(r"_sips?\._(?:tcp|udp|tls)\.", re.IGNORECASE)
#: A DNS label as typed for an SBC address (underscores allowed, for SRV names); the form's
#: regexes (bot/cards/regexes.py) are built from it and DOMAIN_LABEL.
HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOST = re.compile(rf"{HOST_LABEL}(?:\.{HOST_LABEL})*\.?")
DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN = re.compile(rf"{DOMAIN_LABEL}(?:\.{DOMAIN_LABEL})+\.?")
ORG_ID = re.compile(r"[A-Za-z0-9_=+/.:-]+")
DIGITS = re.compile(r"[0-9]+")
# Characters no typed value may contain: controls, format characters (zero-width and
# direction marks), line/paragraph separators, private-use and unassigned code points.
INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def is_srv_address(address: str) -> bool:
    """Whether ``address`` is a SIP SRV name (``_sips._tcp.example.com``): no port needed."""
    return bool(_SRV.match(address))


def parse_trunk_type(value: str) -> TrunkType | None:
    """``certificate`` → CERTIFICATE_BASED etc.; None if it isn't a trunk type."""
    return _TRUNK_TYPES.get(value.strip().casefold().replace("_", "-").replace(" ", "-"))


def password_code(password: str) -> str | None:
    """The first of Webex's password rules that ``password`` breaks, or None."""
    if not password:
        return "password_empty"
    if any(c in PASSWORD_FORBIDDEN for c in password):
        return "password_forbidden"
    if any(c.isspace() or unicodedata.category(c) in INVISIBLE for c in password):
        return "password_whitespace"
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return "password_length"
    return None
