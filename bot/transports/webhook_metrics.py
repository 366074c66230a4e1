"""The webhook endpoint's own counters (`trunkbot serve`), beside the shared metric set of
:mod:`bot.transports.metrics` in one registry per app: deliveries received, refused (by
reason), accepted (by kind), ignored, and fetches that failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import Counter, generate_latest

from bot.transports.metrics import registry_for

if TYPE_CHECKING:
    from bot.intake.dispatch import Intake

REJECT_REASONS = ("signature", "too_large", "malformed", "stopping")
KINDS = ("message", "card")


class WebhookMetrics:
    """The counters of one webhook app, in a registry of their own."""

    def __init__(
        self,
        *,
        handled: Callable[[], int],
        in_flight: Callable[[], int],
        runner: Intake | None = None,
    ) -> None:
        self.registry = registry_for(runner, handled=handled, in_flight=in_flight)
        self.received = Counter(
            "trunkbot_webhooks_received",
            "Webhook deliveries received on /webhook.",
            registry=self.registry,
        )
        self.rejected = Counter(
            "trunkbot_webhooks_rejected",
            "Webhook deliveries refused, by reason (signature: missing or wrong "
            "X-Spark-Signature).",
            ["reason"],
            registry=self.registry,
        )
        self.accepted = Counter(
            "trunkbot_webhooks_accepted",
            "Signed webhook deliveries taken for handling, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.ignored = Counter(
            "trunkbot_webhooks_ignored",
            "Signed webhook deliveries for other resources or events, or the bot's own posts.",
            registry=self.registry,
        )
        self.fetch_failed = Counter(
            "trunkbot_webhook_fetch_failures",
            "Messages or card submissions a webhook named that couldn't be fetched from Webex.",
            registry=self.registry,
        )
        for reason in REJECT_REASONS:  # every series from the start, at 0
            self.rejected.labels(reason=reason)
        for kind in KINDS:
            self.accepted.labels(kind=kind)

    @classmethod
    def for_runner(cls, runner: Intake) -> WebhookMetrics:
        return cls(
            handled=lambda: runner.handled, in_flight=lambda: len(runner.in_flight), runner=runner
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)

    def value(self, name: str, **labels: str) -> float:
        """The current value of sample ``name`` (e.g. ``trunkbot_webhooks_rejected_total``)
        with ``labels``; 0 for a series not seen yet."""
        found = self.registry.get_sample_value(name, labels)
        return 0.0 if found is None else found
