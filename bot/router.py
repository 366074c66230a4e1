"""Command words → command; the single boundary for unexpected errors.

Every transport hands its events to :meth:`Router.handle`. A message is a command only
when it *starts* with the command words (after the bot's mention in a group space):
"please don't create trunk" is not one. Expected failures (:class:`BotError`) are answered
with their sentence; anything else is a bug, logged with an incident id and answered
generically — never ``str(exception)`` in chat.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot import replies
from bot.errors import BotError, WebexError
from bot.events import Context, Event, Outbox
from bot.grammar import split_command
from bot.webex.http import user_sentence

log = logging.getLogger(__name__)

Handler = Callable[[Context, str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """One command: the words that start it, the policy action it needs, its handler."""

    words: tuple[str, ...]
    action: str | None
    handler: Handler


class Router:
    def __init__(self, commands: Sequence[Command], bot_names: Sequence[str] = ()) -> None:
        # Longest command words first, so `create trunk` wins over a future `create`.
        self.commands = sorted(commands, key=lambda c: -len(c.words))
        self.bot_names = [n for n in bot_names if n]

    def strip_mention(self, text: str) -> str:
        """Remove the bot's name from the start of a group message (webex-bot never does)."""
        stripped = text.lstrip()
        for name in sorted(self.bot_names, key=len, reverse=True):
            pattern = re.compile(rf"@?{re.escape(name)}\b[\s,:]*", re.IGNORECASE)
            m = pattern.match(stripped)
            if m:
                return stripped[m.end() :]
        return stripped

    async def handle(self, event: Event, outbox: Outbox) -> Context | None:
        """Answer one event. Returns the context (with every reply sent), or None if ignored."""
        if event.actor.is_bot:
            log.debug("event.ignored", extra={"reason": "bot actor", "event_id": event.id})
            return None
        ctx = Context(event=event, outbox=outbox)
        try:
            await self._dispatch(ctx)
        except BotError as exc:
            await self._answer_error(ctx, exc)
        except Exception:
            incident = uuid.uuid4().hex[:8]
            log.exception("command.crashed", extra={"incident": incident, "event_id": event.id})
            await self._safe_reply(ctx, replies.incident(incident))
        return ctx

    async def _dispatch(self, ctx: Context) -> None:
        event = ctx.event
        if event.is_card_action:
            # Card flows (form, confirm) come with the card work; until then no card is live.
            await ctx.reply(replies.CARD_NOT_ACTIVE)
            return
        text = event.text
        if not event.space.is_direct:
            text = self.strip_mention(text)
        text = text.strip()
        if not text:
            await ctx.reply(replies.EMPTY_MESSAGE)
            return
        for command in self.commands:
            split = split_command(text, [command.words])
            if split is not None:
                log.info(
                    "command.received",
                    extra={"command": " ".join(command.words), "event_id": event.id},
                )
                await command.handler(ctx, split[1])
                return
        await ctx.reply(replies.unknown_command(text.split()[0]))

    async def _answer_error(self, ctx: Context, exc: BotError) -> None:
        level = logging.WARNING if isinstance(exc, WebexError) else logging.INFO
        log.log(
            level,
            "command.refused",
            extra={"error": type(exc).__name__, "event_id": ctx.event.id},
        )
        sentence = user_sentence(exc)
        if isinstance(exc, WebexError):
            sentence = replies.webex_refused(sentence)  # lead with the outcome
        await self._safe_reply(ctx, sentence)

    async def _safe_reply(self, ctx: Context, markdown: str) -> None:
        try:
            await ctx.reply(markdown)
        except Exception:
            log.exception("reply.failed", extra={"event_id": ctx.event.id})
