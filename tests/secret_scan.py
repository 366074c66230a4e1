"""The secret scan: no token and no password in any reply, log record or audit row of the run.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``). Across the whole session it
captures

* **log records**: a handler on the root logger (now at DEBUG) renders a copy of every record
  through :class:`bot.logs.RedactingFilter` and both formatters of :mod:`bot.logs` (text and
  JSON): exactly what would reach a log. ``httpx`` (which production mutes below WARNING) is
  read at DEBUG too, without changing what other handlers see;
* **replies**: everything the bot hands to an in-process outbox — the transcript harness's
  ``RecordingOutbox``, the shell's ``ShellOutbox``, the REST ``MessagingClient`` behind the
  websocket transport — markdown, plain-text fallback and card JSON;
* **audit rows**: every ``SqlStore.append_audit``, read back from the database as stored;

and the **secrets** the run uses, each with where it came from: the sandbox's demo tokens,
client secret and seeded trunk passwords; every token the sandbox issues; every fake Webex's
bot and admin tokens; every value registered with :data:`bot.logs.SECRETS` (typed and
generated passwords, service-app tokens); every password Webex's generatePassword returned.

Every artefact is searched for every secret — whole, and a password also in pieces of 10
characters or more (what a pattern-based scrub leaves of one after ``[redacted]``, what
markdown escaping keeps of one): the session fails, with one line per leak (the kind of
secret, masked; the artefact; the test that produced it; an excerpt), if any appears —
except for this one exemption.

**The exemption** (the product's promise: no reply ever contains a password, except the 1:1
delivery of a generated one). A *generated* password — returned by generatePassword and
delivered by the bot (which says so: ``bot.logs.listen_for_deliveries``) — may appear in a
*reply* that is a 1:1 delivery to the person who asked for that trunk: a ``private`` reply addressed
to them (person id or email) or posted into the direct space they asked in, or an ordinary
reply in that direct space. Nowhere else: not in a group space, not 1:1 to anyone else (an
approver, say), never in a log record or an audit row. A *typed* password has no exemption
at all, not even in the 1:1 space it was typed in; nor has any token.

What is searched where, and why:

* a value is searched for from the moment it came into existence on — a generated password
  from the create it was generated for, a token from when it was issued or known, a typed
  password from a little (``MARGIN`` artefacts) before the router saw the message that typed
  it, since a transport logs what it fetched first — and never before its test began: an
  earlier artefact holding the same text is a coincidence, not a leak;
* tokens and credentials (8 characters or more, whole) in every test module from then on;
  passwords and other registered values in their own test module (the widest scope any state
  is shared in here);
* a password is searched for when it looks like one — 8 characters or more, with at least
  three of lower case, upper case, digits and symbols (every generated password, any password
  Webex accepts). Weaker typed values ("London HQ" typed as a password by a fuzzer) would
  match ordinary text everywhere; the fuzz tests check their echo themselves, in context;
* a typed value (or a piece of it) that its module also typed as ordinary input around the
  same time (a fuzzer typing ``password=Madrid#12`` and ``name=Madrid#12``) cannot be told
  from that input: a hit on it is not reported. Nor is a hit on what is only the product's
  own words — a typed ``Gt3#AdaptiveCard`` found as ``AdaptiveCard`` in every card (the
  fuzzers' text is drawn from the source's literals too).

Memory stays bounded on long runs (the 100k-example fuzz profile): artefacts are scanned and
dropped at each module's end, and whenever those pending pass ``BUDGET`` characters (keeping
the last ``TAIL`` for secrets registered a little after they first appeared).

Bots run as subprocesses (``trunkbot shell`` in test_cli.py, one websocket e2e test) are
outside this process and not captured.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import sys
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

LOG, REPLY, AUDIT = "log record", "reply", "audit row"

TOKEN = "token"
TYPED = "typed password"
GENERATED = "generated password"
PASSWORD = "password"  # registered by the create flow: typed or generated
SECRET = "registered secret"

#: What the product says a registered value is (bot.logs.listen_for_secrets).
_REGISTERED_KIND = {"typed": TYPED, "generated": PASSWORD, "credential": TOKEN}
_STRICTNESS = {GENERATED: 0, PASSWORD: 1, SECRET: 2, TYPED: 3, TOKEN: 4}
MIN_LENGTH = 8
#: A password's piece this long is a leak too (what a pattern-based scrub left of it, or
#: what markdown escaping kept of it): no coincidence makes 10 of its characters appear.
FRAGMENT = 10
SESSION = "<outside any test>"
BUDGET = 16_000_000  # characters of artefacts kept before an intermediate scan
TAIL = 5_000  # artefacts kept across an intermediate scan
#: A typed password reaches the process a little before the router sees it (a transport
#: logs what it fetched): it is searched for from this many artefacts before its event.
MARGIN = 500
HISTORY_CHARS = 4_096  # of each recent input kept to tell a typed value from ordinary input


# --- what is kept ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """The person a generated password belongs to, and the space they asked in."""

    person_id: str
    email: str
    room_id: str
    direct: bool


@dataclass(frozen=True)
class Artefact:
    kind: str  # LOG, REPLY or AUDIT
    test: str  # the test's node id (SESSION outside any test)
    text: str
    where: str = ""  # the logger, the outbox, the audit row's event
    seq: int = 0  # its place in the run
    # replies only:
    private: bool = False
    room_id: str | None = None
    to_person_id: str | None = None
    to_person_email: str | None = None
    direct_room: bool = False  # the router saw room_id as a direct (1:1) space

    @property
    def module(self) -> str:
        return self.test.split("::", 1)[0]

    def describe(self) -> str:
        if self.kind != REPLY:
            article = "an" if self.kind[0] in "aeiou" else "a"
            return f"{article} {self.kind} ({self.where})"
        if self.private:
            to = self.to_person_email or self.to_person_id or f"space {self.room_id}"
            return f"a reply, private 1:1 to {to} (via {self.where})"
        space = "direct" if self.direct_room else "group"
        return f"a reply in {space} space {self.room_id} (via {self.where})"


@dataclass(frozen=True)
class Secret:
    value: str
    kind: str
    #: Test modules whose artefacts are searched for it; None: every module.
    scopes: frozenset[str] | None = None
    #: GENERATED only: the person it was delivered to, the only one who may see it (1:1).
    requester: Recipient | None = None
    origin: str = ""  # who registered it, for the report
    since: int = 0  # artefacts before this one cannot hold it (it did not exist yet)

    def masked(self) -> str:
        return f"{self.value[:3]}…({len(self.value)} chars)"


@dataclass(frozen=True)
class Finding:
    secret: Secret
    artefact: Artefact
    #: What of it was found: the whole value, or a piece of a password (a partial leak).
    found: str = ""

    @property
    def partial(self) -> bool:
        return bool(self.found) and self.found != self.secret.value

    def describe(self) -> str:
        art, sec = self.artefact, self.secret
        found = self.found or sec.value
        at = art.text.find(found)
        start, end = max(0, at - 60), min(len(art.text), at + len(found) + 60)
        mark = f"⟦part of the {sec.kind}⟧" if self.partial else f"⟦{sec.kind}⟧"
        excerpt = art.text[start:end].replace(found, mark).replace("\n", "⏎")
        origin = f", registered by {sec.origin}" if sec.origin else ""
        what = f"{len(found)} characters of a {sec.kind}" if self.partial else sec.kind
        return (
            f"{what} {sec.masked()}{origin}\n"
            f"    in {art.describe()}\n"
            f"    from {art.test}\n"
            f"    …{excerpt}…"
        )


# --- the rule -------------------------------------------------------------------------------

#: Kinds whose value came from outside (a person, a test), so may be any text at all.
_OUTSIDE = frozenset({TYPED, SECRET, PASSWORD})


@functools.cache
def product_text() -> str:
    """Every line of the product's source (bot/, commands/): the words its replies, cards,
    logs and audit rows are made of. Hypothesis draws text from these literals too, so a
    fuzzer's "password" may well contain ``isRequired`` or ``duration_ms``."""
    root = Path(__file__).resolve().parents[1]
    return "\n".join(
        path.read_text(encoding="utf-8")
        for package in ("bot", "commands")
        for path in sorted((root / package).rglob("*.py"))
    )


def common(text: str) -> bool:
    """Is ``text`` part of the product's own words (so finding it proves nothing)?"""
    return text in product_text()


def char_classes(value: str) -> int:
    """How many of lower case, upper case, digits and (non-space) symbols ``value`` has."""
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() and not c.isspace() for c in value),
        )
    )


def secret_shaped(value: str) -> bool:
    """Long and mixed enough that finding it in text is no coincidence."""
    return len(value) >= MIN_LENGTH and char_classes(value) >= 3


def searched(secret: Secret) -> bool:
    if secret.kind == TOKEN:
        return len(secret.value) >= MIN_LENGTH
    return secret_shaped(secret.value)


def in_pieces(secret: Secret) -> bool:
    """Passwords are searched for in pieces too; tokens whole (their tails are shared)."""
    return secret.kind != TOKEN and len(secret.value) >= FRAGMENT


def pieces(value: str) -> set[str]:
    return {value[i : i + FRAGMENT] for i in range(len(value) - FRAGMENT + 1)}


def one_to_one_delivery(reply: Artefact, to: Recipient) -> bool:
    """Is ``reply`` a 1:1 delivery to ``to``: addressed to them, or in their direct space?"""
    if reply.kind != REPLY:
        return False
    in_their_direct_space = to.direct and reply.room_id is not None and reply.room_id == to.room_id
    if reply.private:
        return (
            (reply.to_person_id is not None and reply.to_person_id == to.person_id)
            or (
                reply.to_person_email is not None
                and bool(to.email)
                and reply.to_person_email.casefold() == to.email.casefold()
            )
            or in_their_direct_space
        )
    return in_their_direct_space and reply.direct_room


def allowed(secret: Secret, artefact: Artefact) -> bool:
    """The exemption: a generated password in its 1:1 delivery to the person who asked."""
    return (
        secret.kind == GENERATED
        and secret.requester is not None
        and one_to_one_delivery(artefact, secret.requester)
    )


def anchors_in(text: str, anchors: dict[str, Any], width: int) -> Iterable[str]:
    """The anchors (``width`` characters of a secret) that occur in ``text``: looked for one
    by one when they are few, else by collecting the text's windows of that width — linear
    in the text however many secrets there are."""
    if len(anchors) <= 256:
        return [anchor for anchor in anchors if anchor in text]
    windows = {text[i : i + width] for i in range(len(text) - width + 1)}
    return windows & anchors.keys()


def found_in(secret: Secret, text: str) -> str:
    """What of ``secret`` ``text`` holds: its whole value, else (a password) its longest piece
    of at least FRAGMENT characters; for a value from outside, never what is only the
    product's own words (see :func:`common`). "" when nothing."""
    value, outside = secret.value, secret.kind in _OUTSIDE
    if value in text and not (outside and common(value)):
        return value
    if not in_pieces(secret):
        return ""
    for size in range(len(value) - 1, FRAGMENT - 1, -1):
        for i in range(len(value) - size + 1):
            piece = value[i : i + size]
            if piece in text and not (outside and common(piece)):
                return piece
    return ""


def scan(
    artefacts: Iterable[Artefact],
    secrets: Iterable[Secret],
    *,
    ordinary: Callable[[Secret, Artefact], bool] | None = None,
) -> list[Finding]:
    """Every appearance of a searched secret — whole, or for a password a piece of at least
    FRAGMENT characters — in an artefact, unless the exemption covers it.

    ``ordinary(secret, artefact)`` may excuse a hit on a typed value that was also ordinary
    input. Only a secret one of whose anchors (its first 8 characters; for a password, each
    of its 10-character pieces) occurs in an artefact is compared in full.
    """
    scopes: dict[str | None, tuple[dict[str, list[Secret]], dict[str, list[Secret]]]] = {}
    for secret in secrets:
        if not searched(secret):
            continue
        for scope in [None] if secret.scopes is None else sorted(secret.scopes):
            whole, piecewise = scopes.setdefault(scope, (defaultdict(list), defaultdict(list)))
            whole[secret.value[:MIN_LENGTH]].append(secret)
            if in_pieces(secret):
                for piece in pieces(secret.value):
                    piecewise[piece].append(secret)
    empty: tuple[dict[str, list[Secret]], dict[str, list[Secret]]] = ({}, {})
    findings: list[Finding] = []
    for artefact in artefacts:
        text = artefact.text
        hits: dict[str, Secret] = {}
        for whole, piecewise in (scopes.get(None, empty), scopes.get(artefact.module, empty)):
            for anchor in anchors_in(text, whole, MIN_LENGTH):
                hits.update((s.value, s) for s in whole[anchor])
            for anchor in anchors_in(text, piecewise, FRAGMENT):
                hits.update((s.value, s) for s in piecewise[anchor])
        for secret in hits.values():
            if artefact.seq < secret.since:
                continue
            found = found_in(secret, text)
            if not found or allowed(secret, artefact):
                continue
            if ordinary is not None and ordinary(secret, artefact):
                continue
            findings.append(Finding(secret, artefact, found))
    return findings


# --- collecting -----------------------------------------------------------------------------


@dataclass
class _Registration:
    kind: str
    scopes: set[str] | None
    origin: str
    since: int
    requester: Recipient | None = None


@dataclass
class _EventFrame:
    """The event a router is handling: when it began, and what was typed as a password."""

    start: int
    typed: Counter[str] = field(default_factory=Counter)


#: Set while a router handles an event (each event runs in its own task, or awaits in turn).
_EVENT: ContextVar[_EventFrame | None] = ContextVar("secret_scan_event", default=None)


@dataclass
class Collector:
    """What the run produced and used; thread-safe (servers log from their own threads)."""

    test: str = SESSION
    seq: int = 0
    test_start: int = 0
    pending: list[Artefact] = field(default_factory=list)
    pending_chars: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    registrations: dict[str, _Registration] = field(default_factory=dict)
    #: room id → direct?, as the router saw each event's space.
    rooms: dict[str, bool] = field(default_factory=dict)
    #: (module, value) → times a typed value was also typed as ordinary input there.
    ordinary_uses: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Recent events' inputs: (first artefact, module, input), the last MARGIN artefacts' worth.
    recent: deque[tuple[int, str, str]] = field(default_factory=deque)
    problems: list[str] = field(default_factory=list)
    searched_before: int = 0  # secrets searched for in modules already finished
    budget: int = BUDGET
    tail: int = TAIL
    _reported: set[tuple[int, str]] = field(default_factory=set)
    #: Typed values by their first 8 characters and by their pieces, to spot them in input.
    _typed_whole: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _typed_pieces: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def module(self) -> str:
        return self.test.split("::", 1)[0]

    def begin(self, test: str) -> None:
        """A test starts: when it is another module's, this one's artefacts are scanned, and
        they and the secrets only they could hold are let go."""
        with self._lock:
            if test.split("::", 1)[0] != self.module:
                self.flush(keep=0)
                self._forget(self.module)
            self.test, self.test_start = test, self.seq

    def _forget(self, module: str) -> None:
        done = [
            value
            for value, reg in self.registrations.items()
            if reg.scopes is not None and reg.scopes <= {module}
        ]
        for value in done:
            if searched(self._secret(value, self.registrations.pop(value))):
                self.searched_before += 1
        self.recent.clear()
        self.ordinary_uses.clear()
        self._typed_whole.clear()
        self._typed_pieces.clear()

    def add(self, artefact: Artefact) -> None:
        with self._lock:
            self.pending.append(dataclasses.replace(artefact, seq=self.seq))
            self.seq += 1
            self.counts[artefact.kind] += 1
            self.pending_chars += len(artefact.text)
            if self.pending_chars > self.budget:
                self.flush(keep=self.tail)

    def flush(self, keep: int) -> None:
        """Scan what is pending; keep only the last ``keep`` artefacts."""
        with self._lock:
            for finding in scan(self.pending, self.secrets(), ordinary=self.ordinary):
                key = (finding.artefact.seq, finding.secret.value)
                if key not in self._reported:
                    self._reported.add(key)
                    self.findings.append(finding)
            self.pending = self.pending[-keep:] if keep else []
            self.pending_chars = sum(len(a.text) for a in self.pending)

    def secret(
        self,
        value: object,
        kind: str,
        *,
        scoped: bool,
        origin: str,
        requester: Recipient | None = None,
    ) -> None:
        """Register a secret, as of the event in progress (or now, outside any event)."""
        if not isinstance(value, str) or not value:
            return
        frame = _EVENT.get()
        with self._lock:
            since = frame.start if frame is not None else self.seq
            if kind == TYPED:
                since = max(self.test_start, since - MARGIN)
            reg = self.registrations.get(value)
            if reg is None:
                reg = self.registrations[value] = _Registration(kind, set(), origin, since)
            else:
                reg.since = min(reg.since, since)
                if {reg.kind, kind} == {GENERATED, PASSWORD}:
                    reg.kind = GENERATED  # the create flow registers generated ones too
                elif _STRICTNESS[kind] > _STRICTNESS[reg.kind]:
                    reg.kind, reg.origin = kind, origin
            if not scoped:
                reg.scopes = None
            elif reg.scopes is not None:
                reg.scopes.add(self.module)
            if requester is not None:
                reg.requester = requester
            if kind == TYPED:
                if frame is not None:
                    frame.typed[value] += 1
                if secret_shaped(value):
                    self._typed_whole[value[:MIN_LENGTH]].add(value)
                    for piece in pieces(value):
                        self._typed_pieces[piece].add(value)

    def typed_as_input(self, text: str, frame: _EventFrame) -> None:
        """After an event: note typed values used as something other than a password (whole,
        or a piece of one) — by this event beyond the times it typed them as a password, or,
        for what it typed, by the recent events a hit could come from."""
        with self._lock:
            module = self.module
            candidates: set[str] = set()
            for index, width in ((self._typed_whole, MIN_LENGTH), (self._typed_pieces, FRAGMENT)):
                for anchor in anchors_in(text, index, width):
                    candidates |= index[anchor]
            for value in candidates:
                if _holds(text.replace(value, "\x00", frame.typed[value]), value):
                    self.ordinary_uses[(module, value)] += 1
            for value in frame.typed:
                reg = self.registrations.get(value)
                since = reg.since if reg is not None else frame.start
                if any(
                    m == module and at >= since and _holds(t, value) for at, m, t in self.recent
                ):
                    self.ordinary_uses[(module, value)] += 1
            self.recent.append((frame.start, module, text[:HISTORY_CHARS]))
            while self.recent and self.recent[0][0] < self.seq - MARGIN:
                self.recent.popleft()

    def secrets(self) -> list[Secret]:
        with self._lock:
            return [self._secret(value, reg) for value, reg in self.registrations.items()]

    @staticmethod
    def _secret(value: str, reg: _Registration) -> Secret:
        scopes = None if reg.scopes is None else frozenset(reg.scopes)
        return Secret(value, reg.kind, scopes, reg.requester, reg.origin, reg.since)

    def searched_count(self) -> int:
        return self.searched_before + sum(1 for s in self.secrets() if searched(s))

    def ordinary(self, secret: Secret, artefact: Artefact) -> bool:
        return (
            secret.kind in (TYPED, SECRET, PASSWORD)
            and self.ordinary_uses[(artefact.module, secret.value)] > 0
        )


def _holds(text: str, value: str) -> bool:
    """Does ``text`` hold ``value``, or a FRAGMENT-long piece of it?"""
    return value in text or any(piece in text for piece in pieces(value))


COLLECTOR = Collector()


# --- capture points -------------------------------------------------------------------------


class CapturingHandler(logging.Handler):
    """Keeps what each record would look like in a log: redacted, then formatted (text and
    JSON). Works on a copy, so other handlers (caplog) see the record untouched."""

    def __init__(self, collector: Collector) -> None:
        super().__init__(logging.DEBUG)
        from bot import logs

        self.collector = collector
        self.redact = logs.RedactingFilter()
        self.text = logs.TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.json = logs.JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            copy = logging.makeLogRecord(dict(vars(record)))
            self.redact.filter(copy)
            rendered = self.text.format(copy) + "\n" + self.json.format(copy)
        except Exception as exc:  # noqa: BLE001  -- reported at the end, precisely
            rendered = f"<unrenderable record of {record.name}>"
            self.collector.problems.append(
                f"{self.collector.test}: a log record of {record.name} could not be rendered "
                f"through bot.logs ({type(exc).__name__}: {exc})"
            )
        where = f"{record.name}, {record.levelname}"
        self.collector.add(Artefact(LOG, self.collector.test, rendered, where=where))


class QuietCapture(logging.Filter):
    """On a library logger production mutes below WARNING: the scan gets every record, other
    handlers only those production would show."""

    def __init__(self, handler: logging.Handler, threshold: int = logging.WARNING) -> None:
        super().__init__()
        self.handler, self.threshold = handler, threshold

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.threshold:
            return True  # on to the root, where the scan's handler has it too
        self.handler.handle(record)
        return False


def reply_artefact(collector: Collector, reply: Any, where: str) -> Artefact:
    parts = [str(getattr(reply, "markdown", reply))]
    if getattr(reply, "metadata", None):
        parts.append(json.dumps(reply.metadata, ensure_ascii=False, default=str))
    if getattr(reply, "card", None) is not None:
        parts.append(json.dumps(reply.card, ensure_ascii=False, default=str))
    room_id = getattr(reply, "room_id", None)
    return Artefact(
        REPLY,
        collector.test,
        "\n".join(parts),
        where=where,
        private=bool(getattr(reply, "private", False)),
        room_id=room_id,
        to_person_id=getattr(reply, "to_person_id", None),
        to_person_email=getattr(reply, "to_person_email", None),
        direct_room=collector.rooms.get(room_id or "", False),
    )


def _known_secrets(mp: pytest.MonkeyPatch, collector: Collector) -> None:
    """The suite's fixed credentials, every fake Webex's, every token the sandbox issues."""
    from webexfake import ids as sandbox_ids
    from webexfake.calling import (
        DEMO_ADMIN_TOKEN,
        DEMO_CLIENT_SECRET,
        DEMO_READ_ONLY_TOKEN,
        DEMO_REFRESH_TOKEN,
        SandboxState,
    )
    from webexfake.messaging import server as fake_server

    for value in (DEMO_ADMIN_TOKEN, DEMO_READ_ONLY_TOKEN, DEMO_REFRESH_TOKEN, DEMO_CLIENT_SECRET):
        collector.secret(value, TOKEN, scoped=False, origin="webexfake/calling/seed.py")
    for trunk in SandboxState.seeded().trunks.values():
        collector.secret(trunk.password, TOKEN, scoped=False, origin="seeded trunk password")
    for value in (fake_server.DEFAULT_BOT_TOKEN, fake_server.DEFAULT_ADMIN_TOKEN):
        collector.secret(value, TOKEN, scoped=False, origin="webexfake/messaging")

    fake_init = fake_server.FakeWebex.__init__

    def fake_webex_init(self: Any, *args: Any, **kwargs: Any) -> None:
        fake_init(self, *args, **kwargs)
        for value in (self.bot_token, self.admin_token):
            collector.secret(value, TOKEN, scoped=False, origin="a FakeWebex identity")

    mp.setattr(fake_server.FakeWebex, "__init__", fake_webex_init)

    original_opaque = sandbox_ids.opaque_token

    def opaque_token(prefix: str = "") -> str:
        value = original_opaque(prefix)
        collector.secret(value, TOKEN, scoped=False, origin="a sandbox-issued token")
        return value

    for name, module in list(sys.modules.items()):  # wherever it was imported by name
        if name.startswith("webexfake") and getattr(module, "opaque_token", None) is (
            original_opaque
        ):
            mp.setattr(module, "opaque_token", opaque_token)


def _passwords(mp: pytest.MonkeyPatch, collector: Collector) -> None:
    """Every value the bot registers as a secret, who registered it, and for generated
    passwords, who they were delivered to."""
    from bot import logs
    from bot.webex.calling import CallingClient

    def registered(value: str, said: str) -> None:
        kind = _REGISTERED_KIND.get(said, SECRET)
        collector.secret(value, kind, scoped=kind != TOKEN, origin=f"bot.logs ({said})")

    _STATE["stop_listening"] = logs.listen_for_secrets(registered)

    original_generate = CallingClient.generate_password

    async def generate_password(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = await original_generate(self, *args, **kwargs)
        collector.secret(value.get_secret_value(), GENERATED, scoped=True, origin="Webex")
        return value

    mp.setattr(CallingClient, "generate_password", generate_password)

    def delivered(value: str, person_id: str, email: str, room_id: str, direct: bool) -> None:
        to = Recipient(person_id, email, room_id, direct)
        collector.secret(value, GENERATED, scoped=True, origin="Webex", requester=to)

    _STATE["stop_deliveries"] = logs.listen_for_deliveries(delivered)


def _events_and_replies(mp: pytest.MonkeyPatch, collector: Collector) -> None:
    """The spaces and inputs the router sees; the replies every in-process outbox sends."""
    from bot.router import Router
    from bot.transports.shell import ShellOutbox
    from bot.webex.messaging import MessagingClient
    from tests.chat import RecordingOutbox

    original_handle = Router.handle

    async def handle(self: Any, event: Any, outbox: Any) -> Any:
        collector.rooms[event.space.room_id] = event.space.is_direct
        frame = _EventFrame(start=collector.seq)
        token = _EVENT.set(frame)
        try:
            return await original_handle(self, event, outbox)
        finally:
            _EVENT.reset(token)
            typed = event.text or ""
            if event.card_inputs is not None:
                typed += "\n" + json.dumps(event.card_inputs, ensure_ascii=False, default=str)
            collector.typed_as_input(typed, frame)

    mp.setattr(Router, "handle", handle)

    for cls, name in (
        (RecordingOutbox, "tests.chat.RecordingOutbox"),
        (ShellOutbox, "ShellOutbox"),
        (MessagingClient, "MessagingClient"),
    ):
        mp.setattr(cls, "send", _capturing_send(collector, cls.send, name))


def _capturing_send(collector: Collector, original: Any, name: str) -> Any:
    async def send(self: Any, reply: Any) -> Any:
        collector.add(reply_artefact(collector, reply, name))
        return await original(self, reply)

    return send


def _audit_rows(mp: pytest.MonkeyPatch, collector: Collector) -> None:
    """Every audit row, as the database stored it."""
    from bot.store.sql import SqlStore

    original_append = SqlStore.append_audit
    readback = f"SELECT id, {SqlStore._AUDIT_COLUMNS} FROM audit WHERE id = ?"  # noqa: S608

    async def append_audit(self: Any, record: Any) -> int:
        row_id = await original_append(self, record)
        test = collector.test
        try:
            stored = SqlStore._audit((await self._db.fetch(readback, [row_id]))[0])
        except Exception as exc:  # noqa: BLE001  -- reported at the end, precisely
            collector.problems.append(
                f"{test}: audit row {row_id} could not be read back ({type(exc).__name__}: {exc})"
            )
        else:
            text = json.dumps(dataclasses.asdict(stored), ensure_ascii=False, default=str)
            collector.add(Artefact(AUDIT, test, text, where=f"event {stored.event_id}"))
        return int(row_id)

    mp.setattr(SqlStore, "append_audit", append_audit)


def _log_records(mp: pytest.MonkeyPatch, collector: Collector) -> CapturingHandler:
    """A capturing handler on the root logger, which now passes DEBUG."""
    from bot import logs

    handler = CapturingHandler(collector)
    root = logging.getLogger()
    root.addHandler(handler)
    for name, level in (("", logging.DEBUG), ("httpx", logging.DEBUG)):
        logger = logging.getLogger(name or None)
        _LEVELS.setdefault(name, logger.level)
        logger.setLevel(level)
    # Production mutes httpx below WARNING (bot.logs.configure): the scan still reads its
    # request lines (a URL is where a token in a query would show); others see what
    # production shows. httpcore's DEBUG lines are trace events that carry no values.
    _LEVELS.setdefault("httpcore", logging.getLogger("httpcore").level)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    quiet = QuietCapture(handler)
    logging.getLogger("httpx").addFilter(quiet)
    _STATE["quiet"] = quiet

    # bot.logs.configure() replaces the root's handlers (the CLI calls it in process): keep
    # capturing, and undo it when the test that called it ends.
    original_configure = logs.configure

    def configure(*args: Any, **kwargs: Any) -> None:
        levels = {
            name: logger.level
            for name, logger in logging.root.manager.loggerDict.items()
            if isinstance(logger, logging.Logger)
        }
        _UNDO.append((list(root.handlers), root.level, levels))
        original_configure(*args, **kwargs)
        if handler not in root.handlers:
            root.addHandler(handler)

    mp.setattr(logs, "configure", configure)
    return handler


#: What each bot.logs.configure() call in a test changed: undone when that test ends.
_UNDO: list[tuple[list[logging.Handler], int, dict[str, int]]] = []
_STATE: dict[str, Any] = {}
_LEVELS: dict[str, int] = {}


# --- hooks ----------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    # The root logger now passes DEBUG for the scan; pytest's own capture (report sections,
    # caplog) keeps what it kept before — WARNING and up unless a test sets a level — so the
    # reports, and the memory of a 100,000-example test, stay as they were.
    if config.getoption("log_level", None) is None and not config.getini("log_level"):
        config.option.log_level = "WARNING"
    mp = pytest.MonkeyPatch()
    _STATE["monkeypatch"] = mp
    _known_secrets(mp, COLLECTOR)
    _passwords(mp, COLLECTOR)
    _events_and_replies(mp, COLLECTOR)
    _audit_rows(mp, COLLECTOR)
    _STATE["handler"] = _log_records(mp, COLLECTOR)


def pytest_unconfigure(config: pytest.Config) -> None:
    root = logging.getLogger()
    if (handler := _STATE.pop("handler", None)) is not None:
        root.removeHandler(handler)
    if (quiet := _STATE.pop("quiet", None)) is not None:
        logging.getLogger("httpx").removeFilter(quiet)
    for name, level in _LEVELS.items():
        logging.getLogger(name or None).setLevel(level)
    for key in ("stop_listening", "stop_deliveries"):
        if (stop := _STATE.pop(key, None)) is not None:
            stop()
    if (mp := _STATE.pop("monkeypatch", None)) is not None:
        mp.undo()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    COLLECTOR.begin(item.nodeid)
    root = logging.getLogger()
    handler = _STATE.get("handler")
    if handler is not None and handler not in root.handlers:
        root.addHandler(handler)  # someone replaced the root's handlers: capture again
    try:
        return (yield)
    finally:
        while _UNDO:
            handlers, level, levels = _UNDO.pop()
            root.handlers[:] = handlers
            root.setLevel(level)
            for name, logger_level in levels.items():
                logging.getLogger(name).setLevel(logger_level)
        COLLECTOR.begin(SESSION)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    COLLECTOR.flush(keep=0)
    if COLLECTOR.findings or COLLECTOR.problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    findings, counts = COLLECTOR.findings, COLLECTOR.counts
    searched_count = COLLECTOR.searched_count()
    summary = (
        f"{counts[LOG]} log records, {counts[REPLY]} replies, {counts[AUDIT]} audit rows; "
        f"{searched_count} secret values searched for"
    )
    if not findings and not COLLECTOR.problems:
        terminalreporter.write_line(f"secret scan: no leak in {summary}.")
        return
    terminalreporter.write_sep("=", "SECRET SCAN FAILED", red=True, bold=True)
    terminalreporter.write_line(f"{len(findings)} leak(s) in {summary}:")
    for finding in findings:
        terminalreporter.write_line("  ✗ " + finding.describe(), red=True)
    for problem in COLLECTOR.problems:
        terminalreporter.write_line("  ✗ the scan could not run fully: " + problem, red=True)
    terminalreporter.write_line("(the rule and its one exemption: tests/secret_scan.py)")
