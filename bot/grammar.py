"""The chat grammar: which messages are commands, and their ``key=value`` arguments.

    create trunk name=lon-lgw-1 location="London HQ" type=certificate max-calls = 500

Decisions (the contract's "Chat grammar" leaves these open):

* **Commands.** :func:`split_command` accepts a message only when it *starts* with the
  command words, case-insensitively, with any whitespace between them, and the last word
  ends at whitespace or the end of the text: "please don't create trunk" and
  "create trunks" are not ``create trunk``. Leading zero-width characters (which some
  clients leave after a mention) are ignored. The longest matching command wins.
* **Keys.** Case-insensitive, and ``-`` / ``_`` inside a key are ignored, so ``max-calls``,
  ``max_calls``, ``maxcalls`` and ``MaxCalls`` are one key. The API's own names are
  aliases (``locationId``, ``trunkType``, ``deviceType``, ``maxConcurrentCalls``,
  ``dualIdentitySupportEnabled``, ``orgId``, ``pChargeInfoSupportPolicy``). The canonical
  keys are :data:`KEYS`; ``pcharge`` is our extension for ``pChargeInfoSupportPolicy``.
* **Spaces around ``=``** are allowed (``name = lon-1``). When ``=`` is followed by
  whitespace and then something that itself looks like ``key=``, the first value is empty
  (``name= location=x`` is an empty name and a location, never ``name="location=x"``).
* **Values.** An unquoted value runs to the next whitespace and may contain ``=`` and
  quote characters (``password=ab=cd``, ``location=O'Hare``). A value that *starts* with a
  quote runs to the next quote of the same family: ``"``, ``“``, ``”``, ``„`` close one
  another, and so do ``'``, ``‘``, ``’``, ``‚`` (phones substitute typographic quotes and
  do not always pair them the way we would). The closing quote must be followed by
  whitespace or the end. Values are returned as typed (no trimming): validation decides.
  An empty value (``port=``) is returned as ``""``; validation refuses it.
* **Errors** are :class:`GrammarError` (a :class:`~bot.errors.UsageError`) with one
  sentence, and the first problem in reading order wins. A sentence never contains the
  value of ``password``, nor a word that follows a password value (a password typed with a
  space in it would otherwise leak its second half). Other user text is truncated to 40
  characters and escaped (see :func:`bot.replies.shown`).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence

from bot import replies
from bot.errors import UsageError

#: The canonical keys, in the order help texts list them.
KEYS: tuple[str, ...] = (
    "name",
    "location",
    "type",
    "password",
    "device",
    "address",
    "domain",
    "port",
    "max-calls",
    "dual-identity",
    "org",
    "pcharge",
    "route-group",
)

#: The API's own field names, accepted as keys.
API_NAMES: dict[str, str] = {
    "locationId": "location",
    "trunkType": "type",
    "deviceType": "device",
    "maxConcurrentCalls": "max-calls",
    "dualIdentitySupportEnabled": "dual-identity",
    "orgId": "org",
    "pChargeInfoSupportPolicy": "pcharge",
    "routeGroup": "route-group",
}

# Characters a key may be written with; anything else makes it an unknown key.
_KEY_CHARS = re.compile(r"[A-Za-z_-]+")


def _norm(key: str) -> str:
    return key.casefold().replace("-", "").replace("_", "")


_LOOKUP: dict[str, str] = {_norm(k): k for k in KEYS} | {_norm(a): c for a, c in API_NAMES.items()}
_SPELLING: dict[str, str] = {_norm(k): k for k in KEYS} | {_norm(a): a for a in API_NAMES}

_DOUBLE_QUOTES = '"“”„‟'
_SINGLE_QUOTES = "'‘’‚‛"
_QUOTES = _DOUBLE_QUOTES + _SINGLE_QUOTES
# After "=" and whitespace: does the next word look like the start of another "key="?
_LOOKS_LIKE_KEY = re.compile(r"[^\s=" + _QUOTES + r"]+\s*=")


def canonical_key(key: str) -> str | None:
    """The canonical key for ``key`` as typed (``MaxConcurrentCalls`` → ``max-calls``)."""
    if not _KEY_CHARS.fullmatch(key):
        return None
    return _LOOKUP.get(_norm(key))


def suggest_key(key: str) -> str | None:
    """The known key (or API name) closest to an unknown ``key``, or None if none is close."""
    close = difflib.get_close_matches(_norm(key), list(_SPELLING), n=1, cutoff=0.6)
    return _SPELLING[close[0]] if close else None


class Fields(dict[str, str]):
    """Canonical key → value as typed; :attr:`typed` maps canonical key → key as typed."""

    def __init__(self) -> None:
        super().__init__()
        self.typed: dict[str, str] = {}


class GrammarError(UsageError):
    """The arguments can't be read; the sentence says what to type instead."""


class UnknownKey(GrammarError):
    """A key that is neither canonical nor an alias."""


class RepeatedKey(GrammarError):
    """The same key twice, possibly under two spellings (``location`` and ``locationId``)."""


class BareWord(GrammarError):
    """A word (or a quoted text) with no ``key=`` in front of it."""


class EmptyKey(GrammarError):
    """An ``=`` with nothing in front of it."""


class UnterminatedQuote(GrammarError):
    """A value opens a quote and never closes it."""


class TextAfterQuote(GrammarError):
    """A quoted value goes on after its closing quote (``name="a"b``)."""


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


def _word_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and not text[i].isspace():
        i += 1
    return i


def _bare_end(text: str, i: int) -> int:
    """Where the bare word at ``i`` ends: its closing quote if it is quoted, else whitespace."""
    if text[i] in _QUOTES:
        closers = _DOUBLE_QUOTES if text[i] in _DOUBLE_QUOTES else _SINGLE_QUOTES
        end = next((e for e in range(i + 1, len(text)) if text[e] in closers), None)
        if end is not None:
            return end + 1
    return _word_end(text, i)


def parse_args(text: str) -> Fields:
    """Read ``key=value`` pairs into a :class:`Fields` (a dict keyed by canonical key).

    Raises a :class:`GrammarError` for the first thing it can't read.
    """
    fields = Fields()
    n = len(text)
    prev: str | None = None  # canonical key of the previous pair
    i = _skip_ws(text, 0)
    while i < n:
        after_password = prev == "password"
        if text[i] == "=":
            raise EmptyKey(replies.EMPTY_KEY)
        j = i
        while j < n and not text[j].isspace() and text[j] != "=" and text[j] not in _QUOTES:
            j += 1
        key = text[i:j]
        k = _skip_ws(text, j)
        if not key or k >= n or text[k] != "=":
            if after_password:
                raise BareWord(replies.bare_word_after_password())
            if key and canonical_key(key) is not None:
                raise BareWord(replies.key_needs_value(key))
            raise BareWord(replies.bare_word(text[i : _bare_end(text, i)]))
        canon = canonical_key(key)
        if canon is None:
            if after_password:
                raise UnknownKey(replies.unknown_key_after_password(KEYS))
            raise UnknownKey(replies.unknown_key(key, suggest_key(key), KEYS))
        if canon in fields:
            raise RepeatedKey(replies.repeated_key(fields.typed[canon], key))
        i = k + 1
        v = _skip_ws(text, i)
        if v >= n or (v > i and _LOOKS_LIKE_KEY.match(text, v)):
            value, i = "", v
        elif text[v] in _QUOTES:
            closers = _DOUBLE_QUOTES if text[v] in _DOUBLE_QUOTES else _SINGLE_QUOTES
            end = v + 1
            while end < n and text[end] not in closers:
                end += 1
            if end >= n:
                raise UnterminatedQuote(replies.unterminated_quote(key))
            if end + 1 < n and not text[end + 1].isspace():
                raise TextAfterQuote(replies.text_after_quote(key))
            value, i = text[v + 1 : end], end + 1
        else:
            end = _word_end(text, v)
            value, i = text[v:end], end
        fields[canon] = value
        fields.typed[canon] = key
        prev = canon
        i = _skip_ws(text, i)
    return fields


_LEADING_INVISIBLES = "\u200b\u200c\u200d\u2060\ufeff"


@functools.lru_cache(maxsize=64)
def _command_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(w) for w in words)
    return re.compile(r"\s*" + body + r"(?=\s|\Z)", re.IGNORECASE)


def split_command(
    text: str, command_words: Sequence[Sequence[str]]
) -> tuple[tuple[str, ...], str] | None:
    """Which command ``text`` starts with, and the rest of the text (stripped).

    ``split_command("Create  Trunk name=x", [("create", "trunk")])`` is
    ``(("create", "trunk"), "name=x")``; a text that doesn't start with any of the
    commands gives None. The longest matching command wins.
    """
    stripped = text.lstrip().lstrip(_LEADING_INVISIBLES)
    for words in sorted((tuple(w) for w in command_words if w), key=len, reverse=True):
        m = _command_pattern(words).match(stripped)
        if m:
            return words, stripped[m.end() :].strip()
    return None
