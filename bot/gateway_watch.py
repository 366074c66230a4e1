"""Watching a new registering trunk's gateway come up: how often to look, for how long, what
the person is told, and what the watch job did (for ``/metrics``)."""

from __future__ import annotations

from dataclasses import dataclass

WATCH_FOR = 30 * 60.0  # how long a new trunk is watched for its first registration
FIRST_LOOK = 60.0  # the first look: a gateway takes a few minutes to register
MAX_INTERVAL = 300.0  # looks back off to one every five minutes


def next_look(attempts: int) -> float:
    """Seconds to the next look after ``attempts`` looks: 1, 1, 2, 2, 4, 4, 5, 5… minutes."""
    return float(min(MAX_INTERVAL, FIRST_LOOK * 2 ** (attempts // 2)))


@dataclass
class WatchStats:
    """What this process's watch job did, for ``/metrics``."""

    looks: int = 0  # GET trunk requests made
    online: int = 0  # watches that ended with the trunk online
    gave_up: int = 0  # watches that ended at their deadline, the trunk still offline
    gone: int = 0  # watches that ended because the trunk was deleted
    failed_looks: int = 0  # looks Webex didn't answer (tried again later)


WATCH_STATS = WatchStats()


def watching_note() -> str:
    return (
        f"I'll watch the trunk for {round(WATCH_FOR / 60)} minutes and tell you here when the "
        "gateway has registered."
    )
