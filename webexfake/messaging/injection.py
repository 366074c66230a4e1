"""Faults, latency and the request log of a :class:`~webexfake.messaging.server.FakeWebex`:
``fake.faults`` and ``fake.log`` are the plan and the recorder both halves of the fake share."""

from __future__ import annotations

from webexfake.errors import STATUS_MESSAGES
from webexfake.faults import Fault, FaultKind, FaultPlan
from webexfake.recorder import RecordedRequest, RequestLog


class Injection:
    """Test helpers over ``faults`` and ``log``."""

    faults: FaultPlan
    log: RequestLog

    def set_latency(self, prefix: str, seconds: float, *, method: str | None = None) -> Fault:
        """Delay every request whose path starts with ``prefix`` (and ``method``, if given)
        by ``seconds`` before answering, replacing an earlier delay for the same prefix and
        method. Several matching delays add up."""
        return self.faults.set_latency(seconds, method=method, path_prefix=prefix)

    def clear_latency(self) -> None:
        self.faults.clear(FaultKind.LATENCY)

    def fail_next(
        self,
        prefix: str,
        status: int,
        *,
        count: int = 1,
        method: str | None = None,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching requests with ``status`` and a Webex error body
        (plus ``Retry-After`` when given), before any route runs."""
        return self.faults.add(
            FaultKind.STATUS,
            method=method,
            path_prefix=prefix,
            times=count,
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
            description=description,
        )

    def rate_limit_messages(self, *, count: int = 1, retry_after: int = 1) -> Fault:
        """The next ``count`` ``POST /v1/messages`` get 429 with ``Retry-After``."""
        return self.fail_next(
            "/v1/messages",
            429,
            count=count,
            method="POST",
            retry_after=retry_after,
            description=STATUS_MESSAGES[429],
        )

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.log.entries

    def requests_to(self, prefix: str, *, method: str | None = None) -> list[RecordedRequest]:
        return self.log.requests_to(prefix, method=method)
