"""The features' jobs while `trunkbot shell` runs, as `trunkbot run` has them.

Each feature's housekeeping (bot.app's ``jobs``: a bulk create a previous process left
unfinished is taken over and carried on, approvals and cards that outlived their life are
ended, a new trunk's gateway is watched until it registers) runs at start and then every
:data:`JOBS_EVERY` seconds, until the shell ends. The jobs are safe beside any other
process on the same database (each takes its work atomically, under a lease).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.events import STALE_AFTER, Job, Outbox, run_jobs

log = logging.getLogger(__name__)

#: Seconds between rounds: a bulk job whose process died is taken over within this of its
#: owner going stale (bot's ``commands.bulk`` timing, 30 s).
JOBS_EVERY = 10.0


async def keep_house(jobs: Sequence[Job], outbox: Outbox, *, every: float = JOBS_EVERY) -> None:
    """Run ``jobs`` now and every ``every`` seconds, until cancelled; a job that fails is
    logged and the others still run (:func:`bot.events.run_jobs`)."""
    while True:
        await run_jobs(jobs, outbox, STALE_AFTER)
        await asyncio.sleep(every)
