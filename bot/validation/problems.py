"""Problems with a request, each one safe sentence: our codes → bot.replies sentences.

Validators raise pydantic errors with our own codes (:func:`fail`); :func:`translate` turns
each pydantic error into a :class:`Problem` by its ``loc`` and ``type`` only, never its
message or input; :class:`InvalidRequest` sums them up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from pydantic_core import PydanticCustomError

from bot import replies
from bot.errors import UsageError
from bot.grammar import KEYS
from bot.sentence import Sentence
from bot.validation.rules import KEY_OF_FIELD, PASSWORD_MAX, PASSWORD_MIN, password_code


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, safe to show (never contains the password).

    ``key`` is the canonical key (None for a key we don't know), ``field`` the key as the
    person typed it, ``code`` a stable identifier (e.g. ``"port"``, ``"missing"``) for cards
    and tests, ``message`` one sentence.
    """

    key: str | None
    field: str
    code: str
    message: Sentence


class InvalidRequest(UsageError):
    """The request has problems; ``problems`` lists each, ``user_message`` sums them up."""

    def __init__(self, problems: Sequence[Problem], user_message: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__(user_message or summary([p.message for p in self.problems]))

    def __repr__(self) -> str:
        return f"InvalidRequest({[p.code for p in self.problems]!r})"


def summary(sentences: list[Sentence]) -> Sentence:
    if len(sentences) == 1:
        return sentences[0]
    return replies.several_problems(sentences)


def fail(code: str, key: str, **ctx: Any) -> NoReturn:
    """Raise a pydantic error with our code and our sentence (never the input)."""
    sentence = sentence_for(code, key, ctx)
    raise PydanticCustomError(code, sentence.replace("{", "(").replace("}", ")"), ctx)


def password_problem(password: str, key: str = "password") -> Sentence | None:
    """Why Webex would refuse this typed password, in one sentence that never shows it; None
    when it meets Webex's rules. (TrunkRequest checks the same; an update calls this.)"""
    code = password_code(password)
    if code is None:
        return None
    return sentence_for(code, key, {"too_short": len(password) < PASSWORD_MIN})


def translate(error: Mapping[str, Any], typed: Mapping[str, str]) -> Problem:
    """Our own Problem for one pydantic error, from its ``loc`` and ``type`` only."""
    loc = error.get("loc") or ()
    field = loc[0] if loc and isinstance(loc[0], str) else ""
    key = KEY_OF_FIELD.get(field)
    code = str(error.get("type", ""))
    if key is None:
        return Problem(None, field, code, replies.bad_value(field or "?"))
    shown_key = typed.get(key, key)
    ctx = error.get("ctx") or {}
    return Problem(key, shown_key, code, sentence_for(code, key, ctx, shown_key))


# Codes raised by TrunkRequest's validators, and what each says.
_SENTENCES: dict[str, Callable[[str], Sentence]] = {
    "empty": replies.empty_value,
    "control_chars": replies.control_chars,
    "trunk_type": replies.bad_trunk_type,
    "password_empty": replies.password_empty,
    "password_forbidden": replies.password_forbidden,
    "password_whitespace": replies.password_whitespace,
    "port": replies.bad_port,
    "max_calls": replies.bad_max_calls,
    "max_calls_huge": replies.max_calls_huge,
    "yes_no": replies.bad_yes_no,
    "address": replies.bad_address,
    "domain": replies.bad_domain,
    "org": replies.bad_org,
    "pcharge": replies.bad_pcharge,
}
# A pydantic error of another type (a non-str from code, say) falls back to the field's rule.
_FIELD_SENTENCES: dict[str, Callable[[str], Sentence]] = {
    "type": replies.bad_trunk_type,
    "port": replies.bad_port,
    "max-calls": replies.bad_max_calls,
    "dual-identity": replies.bad_yes_no,
    "address": replies.bad_address,
    "domain": replies.bad_domain,
    "org": replies.bad_org,
    "pcharge": replies.bad_pcharge,
}


def sentence_for(
    code: str, key: str, ctx: Mapping[str, Any], shown_key: str | None = None
) -> Sentence:
    shown_key = shown_key or key
    if code == "missing" and key in ("name", "location"):
        return replies.missing_short(key)
    if code == "too_long":
        limit = ctx.get("limit")
        return replies.too_long(shown_key, limit if isinstance(limit, int) else 0)
    if code == "password_length":
        too_short = bool(ctx.get("too_short"))
        return replies.password_length(shown_key, PASSWORD_MIN, PASSWORD_MAX, too_short)
    if code == "certificate_only":
        keys = ctx.get("keys")
        return replies.certificate_only(list(keys) if isinstance(keys, list) else [shown_key])
    fn = _SENTENCES.get(code) or _FIELD_SENTENCES.get(key) or replies.bad_value
    return fn(shown_key)


def ordered(problems: list[Problem]) -> list[Problem]:
    """Unknown and repeated keys first (as typed), then field problems in KEYS order."""
    rank = {k: i for i, k in enumerate(KEYS)}
    return sorted(problems, key=lambda p: -1 if p.key is None else rank.get(p.key, len(KEYS)))


def request_message(problems: list[Problem], data: Mapping[str, object]) -> Sentence:
    in_order = ordered(problems)
    missing = [p.key for p in in_order if p.code == "missing" and p.key in ("name", "location")]
    if missing and len(missing) == len(in_order):
        name, location = data.get("name"), data.get("location")
        return replies.missing_required(
            [k for k in missing if k is not None],
            name.strip() if isinstance(name, str) else None,
            location.strip() if isinstance(location, str) else None,
        )
    sentences: list[Sentence] = []
    for p in in_order:  # one multi-key problem (certificate_only) is one sentence
        if p.message not in sentences:
            sentences.append(p.message)
    return summary(sentences)
