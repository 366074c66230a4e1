"""Fault injection for both halves of the fake: latency, error statuses, resets and timeouts.

One plan serves the calling API (``state.faults``) and the messaging side (``fake.faults``;
``FakeWebex(calling=state)`` shares the state's plan). Add faults from a test or a benchmark::

    state.faults.add("status", method="POST", path_suffix="/premisePstn/trunks", status=429,
                     retry_after="2")
    state.faults.add("latency", seconds=0.3, times=None)        # every request, forever
    state.faults.add("timeout_after", method="POST", path_suffix="/premisePstn/trunks")

A fault matches a request when its ``method`` (None: any), ``path_suffix`` (None: any; the
path without the query, e.g. ``/premisePstn/trunks`` matches the collection but not
``/premisePstn/trunks/{id}``) and ``path_prefix`` (None: any, e.g. ``/v1/messages``) match.
It fires ``times`` times (None: forever), then is spent.

Kinds and where they act:

``latency``        the app sleeps ``seconds`` before handling. All matching latency faults add up.
``status``         the app answers ``status`` (one of :data:`INJECTABLE_STATUSES`) with a Webex
                   error body, a ``Retry-After: retry_after`` header when given (any string, so
                   malformed values can be tested), nothing committed — unless ``commit=True``,
                   which handles the request first and then answers the error.
``reset``          the connection drops before the app handles it; nothing committed. In process
                   the transport raises ``error`` (default ``httpx.ReadError``, what a TCP reset
                   gives over HTTP; pass ``httpx.ConnectError`` or ``httpx.RemoteProtocolError``).
                   Over HTTP (``serve``) the server aborts the socket with a TCP RST.
``timeout_before`` the client times out; nothing committed.
``timeout_after``  the request is handled and committed, then the client times out.

Apart from these, ``plan.rate_limit = RateLimit(per_second=20)`` (``webexfake.faults_rate``)
answers 429 with ``Retry-After`` to calling-API requests past that many in a second.

The messaging side (``webexfake.messaging``) applies ``latency`` and ``status`` faults; the
network kinds are the calling API's.

In process the timeouts raise ``httpx.ReadTimeout`` after ``seconds`` (default at once); over
HTTP the server holds the response for ``hang`` seconds (default ``FaultPlan.hang``, 120 s) or
until the client gives up and disconnects, so a real client's read timeout fires.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

import httpx

from webexfake.faults_rate import RateLimit


class FaultKind(StrEnum):
    LATENCY = "latency"
    STATUS = "status"
    RESET = "reset"
    TIMEOUT_BEFORE = "timeout_before"
    TIMEOUT_AFTER = "timeout_after"


#: Kinds the transport applies in process (the app applies them itself over HTTP).
NETWORK_KINDS: frozenset[FaultKind] = frozenset(
    {FaultKind.RESET, FaultKind.TIMEOUT_BEFORE, FaultKind.TIMEOUT_AFTER}
)
#: Statuses every Webex endpoint documents, and so the ones a status fault may inject.
INJECTABLE_STATUSES: frozenset[int] = frozenset(
    {400, 401, 403, 404, 405, 409, 410, 415, 423, 428, 429, 500, 502, 503, 504}
)


@dataclass
class Fault:
    """One planned fault; ``hits`` counts how often it fired."""

    kind: FaultKind
    method: str | None = None
    path_suffix: str | None = None
    path_prefix: str | None = None
    times: int | None = 1
    seconds: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    description: str | None = None
    error_code: int | None = None
    commit: bool = False
    hang: float | None = None
    error: type[httpx.TransportError] | None = None
    #: The chance that a matching request gets it (``trunkbot sandbox --fail-rate``).
    probability: float = 1.0
    hits: int = 0

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str) -> bool:
        if self.spent:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path_prefix is not None and not path.startswith(self.path_prefix):
            return False
        return self.path_suffix is None or path.endswith(self.path_suffix)


class FaultPlan:
    """The faults planned for a sandbox; safe to change from any thread."""

    def __init__(self, hang: float = 120.0) -> None:
        self.hang = hang
        #: A per-second limit on the calling API (429 + Retry-After past it); None: none.
        self.rate_limit: RateLimit | None = None
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        kind: FaultKind | str,
        *,
        method: str | None = None,
        path_suffix: str | None = None,
        path_prefix: str | None = None,
        times: int | None = 1,
        seconds: float = 0.0,
        status: int | None = None,
        retry_after: str | None = None,
        description: str | None = None,
        error_code: int | None = None,
        commit: bool = False,
        hang: float | None = None,
        error: type[httpx.TransportError] | None = None,
        probability: float = 1.0,
    ) -> Fault:
        """Plan a fault (see the module docstring) and return it, to check ``hits`` later."""
        kind = FaultKind(kind)
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every matching request")
        if seconds < 0:
            raise ValueError("seconds cannot be negative")
        if kind is FaultKind.STATUS and status not in INJECTABLE_STATUSES:
            raise ValueError(f"a status fault needs one of {sorted(INJECTABLE_STATUSES)}")
        if not 0 < probability <= 1:
            raise ValueError("probability is a fraction above 0, at most 1")
        if kind is not FaultKind.STATUS and status is not None:
            raise ValueError("only a status fault takes a status")
        fault = Fault(
            kind=kind,
            method=method.upper() if method else None,
            path_suffix=path_suffix,
            path_prefix=path_prefix,
            times=times,
            seconds=seconds,
            status=status,
            retry_after=retry_after,
            description=description,
            error_code=error_code,
            commit=commit,
            hang=hang,
            error=error,
            probability=probability,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self, kind: FaultKind | str | None = None) -> None:
        """Forget every planned fault (of ``kind``, if given)."""
        with self._lock:
            if kind is None:
                self._faults.clear()
            else:
                self._faults = [f for f in self._faults if f.kind != FaultKind(kind)]

    def set_latency(
        self, seconds: float, *, method: str | None = None, path_prefix: str | None = None
    ) -> Fault:
        """Delay every matching request by ``seconds`` from now on, replacing an earlier
        latency planned for the same method and prefix."""
        method = method.upper() if method else None
        with self._lock:
            self._faults = [
                f
                for f in self._faults
                if not (
                    f.kind is FaultKind.LATENCY
                    and f.method == method
                    and f.path_prefix == path_prefix
                    and f.path_suffix is None
                )
            ]
        return self.add(
            FaultKind.LATENCY, method=method, path_prefix=path_prefix, times=None, seconds=seconds
        )

    @property
    def pending(self) -> list[Fault]:
        """Faults that can still fire."""
        with self._lock:
            return [f for f in self._faults if not f.spent]

    def take(self, method: str, path: str, kinds: Iterable[FaultKind]) -> Fault | None:
        """The first unspent fault of one of ``kinds`` matching the request; it counts a hit."""
        wanted = frozenset(kinds)
        with self._lock:
            for fault in self._faults:
                if fault.kind in wanted and fault.matches(method, path) and _fires(fault):
                    fault.hits += 1
                    return fault
        return None

    def take_latency(self, method: str, path: str) -> float:
        """The sum of every matching latency fault's seconds; each counts a hit."""
        total = 0.0
        with self._lock:
            for fault in self._faults:
                if fault.kind is FaultKind.LATENCY and fault.matches(method, path):
                    fault.hits += 1
                    total += fault.seconds
        return total


def _fires(fault: Fault) -> bool:
    return fault.probability >= 1 or random.random() < fault.probability  # noqa: S311 - a fault


@dataclass(frozen=True)
class InProcess:
    """Set by SandboxTransport around the app call: network faults are the transport's job."""

    fault: FaultKind | None = None


#: Present (not None) while the app runs under SandboxTransport.
IN_PROCESS: ContextVar[InProcess | None] = ContextVar("trunkbot_sandbox_in_process", default=None)
