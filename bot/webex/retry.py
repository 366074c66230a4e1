"""How long to wait before trying a Webex call again: the retry loop's bounds
(:class:`RetryPolicy`) and a ``Retry-After`` header read safely (:func:`parse_retry_after`).
The loop itself, and which calls may be repeated at all, is :class:`bot.webex.http.WebexHttp`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop; tests shrink them, production keeps the defaults."""

    throttle_attempts: int = 4  # tries in all while Webex answers 429/423
    default_retry_after: float = 5.0
    max_retry_after: float = 60.0
    failure_attempts: int = 3  # tries in all for a safe call on 5xx / no answer
    backoff_base: float = 0.5
    backoff_max: float = 4.0
    max_total_wait: float = 120.0  # a person is waiting in the chat


_SECONDS = re.compile(r"\d{1,9}(?:\.\d{1,6})?")


def parse_retry_after(
    value: str | None,
    *,
    default: float = 5.0,
    cap: float = 60.0,
    now: datetime | None = None,
) -> float:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    Missing or malformed ("soon", "-3", "1e9") gives ``default``; the result is capped.
    """
    if value is None:
        return min(default, cap)
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return min(float(text), cap)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return min(default, cap)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), cap)
