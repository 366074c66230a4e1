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
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot import replies
from bot.errors import BotError, CardRefused, NotAllowed, WebexError
from bot.events import Context, Event, Outbox
from bot.grammar import split_command
from bot.store import AuditLog, AuditRecord
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
    def __init__(
        self,
        commands: Sequence[Command],
        bot_names: Sequence[str] = (),
        *,
        on_card: Handler | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        # Longest command words first, so `create trunk` wins over a future `create`.
        self.commands = sorted(commands, key=lambda c: -len(c.words))
        self.bot_names = [n for n in bot_names if n]
        self.on_card = on_card
        self.audit = audit

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
            await self.ignored(event, "a bot sent it")
            return None
        if not event.space.is_direct and not event.mentions_bot and not event.is_card_action:
            # Webex shows bots only mentions in group spaces; anything else is not for us.
            await self.ignored(event, "a group message that doesn't mention the bot")
            return None
        ctx = Context(event=event, outbox=outbox)
        started = time.monotonic()
        failure: BaseException | None = None
        incident: str | None = None
        try:
            await self._dispatch(ctx)
        except BotError as exc:
            failure = exc
            await self._answer_error(ctx, exc)
        except Exception as exc:
            failure, incident = exc, uuid.uuid4().hex[:8]
            log.exception("command.crashed", extra={"incident": incident, "event_id": event.id})
            await self._safe_reply(ctx, replies.incident(incident))
        if ctx.audit.action:
            await self._record(ctx, failure, incident, started)
        return ctx

    async def ignored(self, event: Event, reason: str) -> None:
        """Record an event we deliberately did not act on (a bot, a group message without
        the mention) in the audit trail."""
        if self.audit is None:
            return
        await self._write(
            AuditRecord(
                action="message",
                decision="refused",
                event_id=event.id,
                person_id=event.actor.person_id,
                email=event.actor.email,
                room_id=event.space.room_id,
                reason=reason,
                result="ignored",
            )
        )

    async def _record(
        self,
        ctx: Context,
        failure: BaseException | None,
        incident: str | None,
        started: float,
    ) -> None:
        if self.audit is None:
            return
        draft, ev = ctx.audit, ctx.event
        decision: Literal["allowed", "refused"] = "allowed"
        reason, result = None, draft.result or "ok"
        status = error_code = tracking_id = None
        if isinstance(failure, NotAllowed):
            decision, result = "refused", "refused"
            reason = failure.user_message
            if failure.reason:
                reason += f" (policy: {failure.reason})"
        elif isinstance(failure, CardRefused):
            decision, reason, result = "refused", failure.user_message, "refused"
        elif isinstance(failure, WebexError):
            result, reason = "failed", failure.user_message
            status, error_code, tracking_id = (
                failure.status,
                failure.error_code,
                failure.tracking_id,
            )
        elif isinstance(failure, BotError):
            result, reason = "invalid", failure.user_message
        elif failure is not None:
            result, reason = "error", f"incident {incident}"
        await self._write(
            AuditRecord(
                action=draft.action or "unknown",
                decision=decision,
                event_id=ev.id,
                person_id=ev.actor.person_id,
                email=ev.actor.email,
                room_id=ev.space.room_id,
                location_id=draft.location_id,
                location_name=draft.location_name,
                request=draft.request,
                reason=reason,
                approver_id=draft.approver_id,
                result=result,
                trunk_id=draft.trunk_id,
                status=status,
                error_code=error_code,
                tracking_id=tracking_id,
                duration_ms=round((time.monotonic() - started) * 1000),
            )
        )

    async def _write(self, record: AuditRecord) -> None:
        assert self.audit is not None  # noqa: S101  -- callers check
        try:
            await self.audit.append_audit(record)
        except Exception:  # the answer was given; a lost audit row is logged loudly
            log.exception("audit.write_failed", extra={"event_id": record.event_id})

    async def _dispatch(self, ctx: Context) -> None:
        event = ctx.event
        if event.is_card_action:
            ctx.audit.action = "card"
            if self.on_card is None:
                await ctx.reply(replies.CARD_NOT_ACTIVE)
                return
            await self.on_card(ctx, "")
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
                ctx.audit.action = command.action
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
