"""Logging: events with fields, redacted at the handler, text or JSON.

Our own code never logs a secret, but libraries do (webex-bot logs message bodies and card
inputs at INFO, webexpythonsdk and httpx log requests at DEBUG). So every record that
reaches a handler passes :class:`RedactingFilter` first: known secret values (tokens,
passwords generated or typed during this process) and anything shaped like a bearer token
or a ``password=…`` pair are replaced.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from cachetools import TLRUCache

if TYPE_CHECKING:
    from bot.events import Event

REDACTED = "[redacted]"
MIN_SECRET = 4  # shorter values would scrub ordinary words
MAX_VALUES = 10_000
#: Past this many registered values a string is first looked up by its MIN_SECRET-character
#: pieces: one set built per string instead of a search per value (see SecretRegistry.scrub).
INDEX_FROM = 256
PASSWORD_TTL = 7 * 24 * 3600.0  # longer than any approval wait or retry could log it again

# A secret's value after its key: a JSON or Python string (escapes included), a typographic
# quote pair (as Webex clients insert), or — unquoted, as typed in chat — everything up to the
# next whitespace, commas and braces included: over-redacting a log line beats leaking the
# rest of a password that happens to contain `,` or `}`.
_VALUE = r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|“[^”]*”|‘[^’]*’|\S+)"""
_SENSITIVE_KEYS = r"(?:password|passwd|exampleSipPassword|client_secret|(?:access|refresh)_token)"

_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\",}\s]+(\s+[^'\",}\s]+)?"),
    re.compile(rf"(?i)(\b{_SENSITIVE_KEYS}['\"]?\s*[:=]\s*){_VALUE}"),
]

# What a registered value is, for whoever listens (the test suite's secret scan).
CREDENTIAL, GENERATED, TYPED = "credential", "generated", "typed"
SecretListener = Callable[[str, str], None]
_LISTENERS: list[SecretListener] = []


def listen_for_secrets(listener: SecretListener) -> Callable[[], None]:
    """Call ``listener(value, kind)`` for every secret registered from now on (process-wide
    or for a request); returns the function that stops it."""
    _LISTENERS.append(listener)
    return lambda: _LISTENERS.remove(listener)


#: Told when a generated password is handed to the person it belongs to, 1:1: (value,
#: their person id, their email, the space, whether that space is direct).
DeliveryListener = Callable[[str, str, str, str, bool], None]
_DELIVERY_LISTENERS: list[DeliveryListener] = []


def listen_for_deliveries(listener: DeliveryListener) -> Callable[[], None]:
    """Call ``listener`` for every generated password the bot delivers from now on; returns
    the function that stops it (the test suite's secret scan allows exactly these)."""
    _DELIVERY_LISTENERS.append(listener)
    return lambda: _DELIVERY_LISTENERS.remove(listener)


def delivering(value: str, *, person_id: str, email: str, room_id: str, direct: bool) -> None:
    """A generated password is about to go to the person it was generated for."""
    for listener in list(_DELIVERY_LISTENERS):
        listener(value, person_id, email, room_id, direct)


def delivering_to(value: str, event: Event) -> None:
    """:func:`delivering` to the person behind ``event``, in its space."""
    delivering(
        value,
        person_id=event.actor.person_id,
        email=event.actor.email,
        room_id=event.space.room_id,
        direct=event.space.is_direct,
    )


def _notify(value: str, kind: str) -> None:
    for listener in list(_LISTENERS):
        listener(value, kind)


# Record attributes that are not "extra" fields.
_STD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class SecretRegistry:
    """Values that must never be printed; commands add passwords as they see them.

    Credentials (``ttl=None``) stay for the life of the process. Passwords are added with a
    ``ttl`` (:data:`PASSWORD_TTL`): a bot that runs for months would otherwise scrub every
    log line against every password it ever saw; they live in a cachetools ``TLRUCache``
    (each value's own expiry). At most :data:`MAX_VALUES` are kept in all; past that the
    passwords added longest ago (with one ttl: the soonest to expire) go first, never a
    credential. ``timer`` is the clock of the expiries (tests pass their own).
    """

    def __init__(self, timer: Callable[[], float] = time.monotonic) -> None:
        self._timer = timer
        self._forever: set[str] = set()
        self._timed: TLRUCache[str, float] = self._new_timed()
        self._ordered: tuple[str, ...] | None = ()  # longest first; None: to be rebuilt
        # From INDEX_FROM values on: each value under its first MIN_SECRET characters.
        self._by_start: dict[str, list[str]] | None = None
        self._lock = threading.Lock()

    def _new_timed(self) -> TLRUCache[str, float]:
        # The value stored is the expiry itself; the cache asks for it as time-to-use.
        return TLRUCache(
            maxsize=MAX_VALUES, ttu=lambda _value, expires, _now: expires, timer=self._timer
        )

    def add(self, value: str | None, ttl: float | None = None, kind: str = CREDENTIAL) -> None:
        """Scrub ``value`` from every record (``kind``: :data:`CREDENTIAL` or
        :data:`GENERATED`, for the listeners)."""
        if not value or len(value) < MIN_SECRET:
            return
        _notify(value, kind)
        with self._lock:
            if ttl is None:
                self._forever.add(value)
                self._timed.pop(value, None)
            elif value not in self._forever:
                expires = self._timer() + ttl
                self._timed[value] = max(self._timed.get(value, expires), expires)
            while self._timed and len(self._forever) + len(self._timed) > MAX_VALUES:
                self._timed.popitem()
            self._ordered = None

    def snapshot(self) -> dict[str, float]:
        """The registered values and their expiries (inf: never; tests restore it)."""
        with self._lock:
            self._timed.expire()
            return {**dict.fromkeys(self._forever, math.inf), **self._timed}

    def restore(self, snapshot: dict[str, float]) -> None:
        with self._lock:
            self._forever = {v for v, e in snapshot.items() if e == math.inf}
            self._timed = self._new_timed()
            self._timed.update({v: e for v, e in snapshot.items() if e != math.inf})
            self._ordered = None

    def _current(self) -> tuple[tuple[str, ...], dict[str, list[str]] | None]:
        with self._lock:
            if self._timed.expire():
                self._ordered = None
            if self._ordered is None:
                values = self._forever | set(self._timed)
                self._ordered = tuple(sorted(values, key=len, reverse=True))
                self._by_start = None
                if len(self._ordered) >= INDEX_FROM:
                    self._by_start = {}
                    for value in self._ordered:
                        self._by_start.setdefault(value[:MIN_SECRET], []).append(value)
            return self._ordered, self._by_start

    def scrub(self, text: str) -> str:
        ordered, by_start = self._current()
        if by_start is None or _any_in(text, by_start):
            for value in ordered:
                if value in text:
                    text = text.replace(value, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text


def _any_in(text: str, by_start: dict[str, list[str]]) -> bool:
    """True when a value of ``by_start`` occurs in ``text``.

    Searching a string for each of 1,000 values costs ~50 µs; its MIN_SECRET-character
    pieces as a set cost ~0.08 µs a character whatever the number of values, and only the
    values that begin with one of them are searched for. When none occurs the values'
    replacement loop would change nothing, so :meth:`SecretRegistry.scrub` skips it; when
    one does, the loop runs as it always has (the same result, replacement for
    replacement)."""
    pieces = {text[i : i + MIN_SECRET] for i in range(len(text) - MIN_SECRET + 1)}
    return any(value in text for start in pieces & by_start.keys() for value in by_start[start])


SECRETS = SecretRegistry()

# Typed passwords belong to the request that typed them: scrubbed from that request's own
# records only. Putting them in the process-wide SECRETS would let anyone blind the record
# ("password=London" and every later "London" reads [redacted]).
_REQUEST_SECRETS: ContextVar[list[str] | None] = ContextVar("request_secrets", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Everything logged inside (this task and the tasks it starts) is scrubbed of the
    values :func:`scrub_in_request` adds; nothing outside is."""
    token = _REQUEST_SECRETS.set([])
    try:
        yield
    finally:
        _REQUEST_SECRETS.reset(token)


def scrub_in_request(value: str | None) -> None:
    """Scrub ``value`` from the current request's log records (a typed password)."""
    values = _REQUEST_SECRETS.get()
    if value and len(value) >= MIN_SECRET:
        _notify(value, TYPED)
    if values is not None and value and len(value) >= MIN_SECRET and value not in values:
        values.append(value)
        values.sort(key=len, reverse=True)


def scrub(text: str) -> str:
    """``text`` without the current request's secrets and the process-wide ones."""
    for value in _REQUEST_SECRETS.get() or ():
        if value in text:
            text = text.replace(value, REDACTED)
    return SECRETS.scrub(text)


class RedactingFilter(logging.Filter):
    """Renders the message once, scrubs it and every extra field, and freezes the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  -- a library's bad format string must not kill logging
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key in _STD_ATTRS or value is None or isinstance(value, bool | int | float):
                continue
            text = value if isinstance(value, str) else str(value)
            scrubbed = scrub(text)
            if scrubbed != text or isinstance(value, str):
                setattr(record, key, scrubbed)  # a dict or list extra is scrubbed as its text
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STD_ATTRS}


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        fields = " ".join(f"{k}={v}" for k, v in extras(record).items())
        return f"{base} {fields}".rstrip()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **{
                k: v if isinstance(v, int | float | bool) else str(v)
                for k, v in extras(record).items()
            },
        }
        if record.exc_text:
            doc["exc"] = record.exc_text
        return json.dumps(doc, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Install one redacting handler on the root logger (stderr)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request line at INFO; ours (bot.webex.http) carries what matters.
    if root.level > logging.DEBUG:
        for noisy in ("httpx", "httpcore", "uvicorn.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
