"""Stopping a running job: the Stop card posted when it starts, and what Stop (the card or
`stop bulk`) does — the rows in flight finish, the rest are left out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import cards
from bot.events import Context
from bot.store.bulk import JobState
from commands import cardkit
from commands.bulk import run, words
from commands.cardkit import BULK_STOP, STOP

if TYPE_CHECKING:
    from bot.services import Services


async def stop_job(services: Services, ctx: Context, job_id: str) -> None:
    job = await services.store.bulk.get(job_id)
    moved = await services.store.bulk.move(job_id, JobState.STOPPING, only_from=(JobState.RUNNING,))
    run.signal_stop(job_id)
    ctx.audit.result = "stopping" if moved else "not-running"
    if not moved or job is None:
        await ctx.reply(words.NOTHING_RUNNING)
        return
    await ctx.reply(words.stopping(str(job.request.get("file") or "your file")))


def stop_card(nonce: str) -> dict[str, Any]:
    """One button, Stop: the rows in flight finish, the rest are left out."""
    return {
        "type": "AdaptiveCard",
        "version": "1.3",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "body": [
            {
                "type": "TextBlock",
                "text": "Creating the trunks from your file. Stop lets the rows in flight finish.",
                "wrap": True,
            }
        ],
        "actions": [
            {
                "type": "Action.Submit",
                "title": "Stop",
                "style": "destructive",
                "data": {cards.DATA_KEY: {"nonce": nonce, "action": STOP}},
            }
        ],
    }


async def post_stop_card(services: Services, ctx: Context, job_id: str) -> None:
    ev = ctx.event
    nonce = await cardkit.issue_nonce(
        services, ctx, BULK_STOP, {"job_id": job_id, "for": ev.actor.email or None}, ttl=24 * 3600.0
    )
    card = stop_card(nonce)
    await cardkit.post_card(
        services, ctx, nonce, "Creating the trunks now; say `stop bulk` to stop.", card
    )
