"""What ``GET /metrics`` reports in both modes (`serve` and `run --metrics-port`), with
prometheus-client.

Each app has its own :class:`~prometheus_client.CollectorRegistry` (never the library's
global one), so two apps in one process (the tests start many) count apart. Three kinds of
metric share it:

* the process's: commands by name and outcome and their latency (counted as the router
  writes each audit row, :func:`count_commands`), Webex calls by endpoint, method and status
  and their latency, and ``Retry-After`` waits (told by :mod:`bot.webex.http`'s observers);
* the runner's, read at scrape time: events handled, commands in flight, pending intake,
  rate-limited people, this replica's role;
* the webhook endpoint's own counters (serve only): :mod:`bot.transports.webhook_metrics`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.gateway_watch import WATCH_STATS
from bot.webex import http as webex_http

if TYPE_CHECKING:
    from bot.intake.dispatch import Intake

#: The text format ``generate_latest`` writes (Prometheus 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


ROLES = ("active", "standby")
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_WAIT_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)

# The process's metrics: one set per process (the HTTP layer and the router are), each
# registered in every app's registry.
COMMANDS = Counter(
    "trunkbot_commands",
    "Commands answered, by command (the audit action, e.g. trunk.create) and outcome (the "
    "audit result: ok, created, refused, failed, invalid, rate-limited, ignored, error…).",
    ["command", "outcome"],
    registry=None,
)
COMMAND_SECONDS = Histogram(
    "trunkbot_command_duration_seconds",
    "Time from a command's arrival at the router to its answer, by command.",
    ["command"],
    buckets=_LATENCY_BUCKETS,
    registry=None,
)
WEBEX_CALLS = Counter(
    "trunkbot_webex_requests",
    "Webex REST calls, by endpoint (ids replaced by {id}), method and HTTP status "
    "(0: no answer: a timeout or a dropped connection). Retries count once each.",
    ["endpoint", "method", "status"],
    registry=None,
)
WEBEX_SECONDS = Histogram(
    "trunkbot_webex_request_duration_seconds",
    "Webex REST call latency, by endpoint and method.",
    ["endpoint", "method"],
    buckets=_LATENCY_BUCKETS,
    registry=None,
)
RETRY_AFTER = Histogram(
    "trunkbot_webex_retry_after_seconds",
    "Waits Webex asked for with Retry-After (429, 423) before a call was sent again.",
    buckets=_WAIT_BUCKETS,
    registry=None,
)
PROCESS_METRICS = (COMMANDS, COMMAND_SECONDS, WEBEX_CALLS, WEBEX_SECONDS, RETRY_AFTER)

_ID_LIKE = re.compile(r"^(?:[A-Za-z0-9_=-]{20,}|[0-9a-fA-F-]{8,}|\d+)$")


def endpoint_of(path: str) -> str:
    """A call's path as a label of bounded cardinality: ``/v1/messages/Y2lz…`` →
    ``/messages/{id}``; query strings never reach here."""
    parts = [p for p in path.split("/") if p]
    if parts and parts[0] == "v1":
        parts = parts[1:]
    return "/" + "/".join("{id}" if _ID_LIKE.match(p) else p for p in parts)


class _Reach:
    """When Webex last answered, and when a call last got no answer at all."""

    answered_at: float | None = None
    unanswered_at: float | None = None

    def reachable(self) -> bool:
        """Webex answered the newest call that got an answer or none (no call yet: True)."""
        if self.unanswered_at is None:
            return True
        return self.answered_at is not None and self.answered_at > self.unanswered_at


WEBEX_REACH = _Reach()


#: (method, path, status) → the counter and histogram children it counts in. The labels are
#: of bounded cardinality (endpoint_of), so the paths are too once their ids are: the cache
#: is keyed by the label values, not by the raw path.
_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _observe_call(method: str, path: str, status: int, seconds: float) -> None:
    if status:
        WEBEX_REACH.answered_at = time.monotonic()
    else:
        WEBEX_REACH.unanswered_at = time.monotonic()
    endpoint = endpoint_of(path)
    key = (method, endpoint, status)
    children = _CHILDREN.get(key)
    if children is None:  # prometheus_client's labels() is a lock and a dict walk per call
        children = _CHILDREN[key] = (
            WEBEX_CALLS.labels(endpoint=endpoint, method=method, status=str(status)),
            WEBEX_SECONDS.labels(endpoint=endpoint, method=method),
        )
    calls, seconds_taken = children
    calls.inc()
    seconds_taken.observe(seconds)


def _observe_wait(seconds: float) -> None:
    RETRY_AFTER.observe(seconds)


if _observe_call not in webex_http.CALL_OBSERVERS:  # once per process
    webex_http.CALL_OBSERVERS.append(_observe_call)
    webex_http.WAIT_OBSERVERS.append(_observe_wait)


class _CountingAudit:
    """The router's audit log, counting each row as a command (name, outcome, duration)
    on its way to the store."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def append_audit(self, record: Any) -> Any:
        command = str(record.action or "unknown")
        COMMANDS.labels(command=command, outcome=str(record.result or record.decision)).inc()
        if record.duration_ms is not None:
            COMMAND_SECONDS.labels(command=command).observe(record.duration_ms / 1000)
        return await self.inner.append_audit(record)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def count_commands(runner: Intake) -> None:
    """Count the commands ``runner``'s router answers (idempotent)."""
    router = runner.app.router
    if router.audit is not None and not isinstance(router.audit, _CountingAudit):
        router.audit = _CountingAudit(router.audit)


def rate_limited_people(runner: Intake) -> int:
    """People the flood guard is holding back right now (over the per-minute limit)."""
    flood = runner.app.router.flood
    now, window = time.monotonic(), 60.0
    people = getattr(flood, "_people", {})
    return sum(
        1
        for state in list(people.values())
        if sum(1 for t in list(state.arrivals) if t > now - window) > flood.per_minute
        or sum(1 for t in list(state.times) if t > now - window) >= flood.per_minute
    )


class _RunnerCollector(Collector):
    """The runner's own counts, read when Prometheus scrapes."""

    def __init__(
        self,
        handled: Callable[[], int],
        in_flight: Callable[[], int],
        runner: Intake | None = None,
        role: Callable[[], str] | None = None,
    ) -> None:
        self._handled = handled
        self._in_flight = in_flight
        self._runner = runner
        self._role = role or (lambda: "active")

    def collect(self) -> Iterable[Metric]:
        role = self._role()
        roles = GaugeMetricFamily(
            "trunkbot_replica_role",
            "1 for this replica's role: active (answers messages) or standby (waits to take "
            "over the websocket); webhook replicas are all active.",
            labels=["role"],
        )
        for name in ROLES:
            roles.add_metric([name], 1.0 if name == role else 0.0)
        yield roles
        if self._runner is not None:
            runner = self._runner
            yield GaugeMetricFamily(
                "trunkbot_intake_pending",
                "Activities recorded (before Webex was told we have them) and not yet "
                "being answered.",
                value=len(getattr(runner, "_accepted", ())),
            )
            yield GaugeMetricFamily(
                "trunkbot_rate_limited_people",
                "People whose messages the flood guard is holding back right now.",
                value=rate_limited_people(runner),
            )
            yield CounterMetricFamily(
                "trunkbot_flood_dropped",
                "Messages the flood guard dropped without an answer.",
                value=runner.app.router.flood.dropped,
            )
        yield CounterMetricFamily(
            "trunkbot_events_handled",
            "Messages and card submissions the router has handled (redeliveries excluded).",
            value=self._handled(),
        )
        yield GaugeMetricFamily(
            "trunkbot_commands_in_flight",
            "Events being handled right now.",
            value=self._in_flight(),
        )
        # The gateway watch (commands.gateway.watch): this process's counts.
        yield CounterMetricFamily(
            "trunkbot_trunk_watch_looks",
            "Trunk status requests (GET trunk) the gateway watch made.",
            value=WATCH_STATS.looks,
        )
        yield CounterMetricFamily(
            "trunkbot_trunk_watch_failed_looks",
            "Gateway watch requests Webex didn't answer (tried again later).",
            value=WATCH_STATS.failed_looks,
        )
        ended = CounterMetricFamily(
            "trunkbot_trunk_watches_ended",
            "Gateway watches ended, by outcome (online, gave_up, gone).",
            labels=["outcome"],
        )
        ended.add_metric(["online"], WATCH_STATS.online)
        ended.add_metric(["gave_up"], WATCH_STATS.gave_up)
        ended.add_metric(["gone"], WATCH_STATS.gone)
        yield ended


def registry_for(
    runner: Intake | None,
    *,
    handled: Callable[[], int] | None = None,
    in_flight: Callable[[], int] | None = None,
    role: Callable[[], str] | None = None,
) -> CollectorRegistry:
    """A registry of the process's metrics and ``runner``'s (whose commands it counts)."""
    registry = CollectorRegistry()
    for metric in PROCESS_METRICS:
        registry.register(metric)
    if runner is not None:
        count_commands(runner)
        handled = handled or (lambda: runner.handled)
        in_flight = in_flight or (lambda: len(runner.in_flight))
    registry.register(
        _RunnerCollector(handled or (lambda: 0), in_flight or (lambda: 0), runner, role)
    )
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of every metric in ``registry``."""
    return generate_latest(registry)
