"""What the person is told when a command fails: an expected failure (:class:`BotError`)
with its sentence, anything else — a bug — with an incident id that is in the log beside
the traceback; never ``str(exception)`` in chat. A reply that can't be sent is logged."""

from __future__ import annotations

import logging
import uuid

from bot import replies
from bot.errors import BotError, WebexError
from bot.events import Context
from bot.webex.errors import user_sentence

log = logging.getLogger(__name__)


async def answer_error(ctx: Context, exc: BotError) -> None:
    """An expected failure's sentence (Webex's refusals lead with the outcome)."""
    level = logging.WARNING if isinstance(exc, WebexError) else logging.INFO
    log.log(
        level,
        "command.refused",
        extra={"error": type(exc).__name__, "event_id": ctx.event.id},
    )
    sentence = user_sentence(exc)
    if isinstance(exc, WebexError):
        sentence = replies.webex_refused(sentence)  # lead with the outcome
    await safe_reply(ctx, sentence)


async def answer_crash(ctx: Context, exc: Exception) -> str:
    """Log an unexpected exception (its traceback) with a new incident id and tell the
    person that id, only; returns it."""
    incident = uuid.uuid4().hex[:8]
    extra = {"incident": incident, "event_id": ctx.event.id}
    log.error("command.crashed", exc_info=exc, extra=extra)
    await safe_reply(ctx, replies.incident(incident))
    return incident


async def safe_reply(ctx: Context, markdown: str) -> None:
    """Reply, logging (not raising) when the reply can't be sent."""
    try:
        await ctx.reply(markdown)
    except Exception:
        log.exception("reply.failed", extra={"event_id": ctx.event.id})
