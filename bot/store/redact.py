"""What the audit trail may keep of a request: never a password, a secret or a token.

Two layers, because a request is untrusted input: keys whose name says "secret" are dropped
wherever they are nested, and every remaining string goes through the log scrubber, which
knows the passwords and tokens seen by this process and ``password=…``-shaped text (a raw
command line typed with a password, say).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.logs import scrub

# Matched against the key with case, "_" and "-" ignored: "password", "exampleSipPassword",
# "client_secret", "refresh_token", "accessToken", "Authorization", "passwd".
_SECRET_KEY = re.compile(r"password|passwd|secret|token|authorization|credential")


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key.lower().replace("_", "").replace("-", "")))


def strip_secrets(value: Any) -> Any:
    """A copy of ``value`` with secret-named keys removed at any depth and strings scrubbed.

    A secret-named key whose value is a flag (``true``, ``false``, ``null``) stays: it cannot
    hold a secret, and ``{"password_typed": true}`` is worth keeping on record.
    """
    if isinstance(value, Mapping):
        return {
            str(k): strip_secrets(v)
            for k, v in value.items()
            if not is_secret_key(str(k)) or v is None or isinstance(v, bool)
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [strip_secrets(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def scrub_text(value: str | None) -> str | None:
    return None if value is None else scrub(value)
