"""Command words → command; the single boundary for unexpected errors.

Every transport hands its events to :meth:`Router.handle`. A message is a command only
when it *starts* with the command words (after the bot's mention in a group space):
"please don't create trunk" is not one. Expected failures (:class:`BotError`) are answered
with their sentence; anything else is a bug, logged with an incident id and answered
generically — never ``str(exception)`` in chat.

What a command declares is :mod:`bot.router.declare` (re-exported here, where commands
import it from); the gate around each handler is :mod:`bot.router.gated`; what the person
is told when a command fails is :mod:`bot.router.boundary`; the audit row each event leaves
is :mod:`bot.router.audit_rows`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from bot import replies
from bot.auth import UNLISTED
from bot.errors import Ambiguity, BotError, CardRefused, NotAllowed
from bot.events import Context, Event, Outbox
from bot.flood import FloodGuard, Verdict, person_key
from bot.followup import FollowUps, Question, pick
from bot.gate import Gate
from bot.grammar import split_command
from bot.logs import request_scope
from bot.router.audit_rows import outcome_row, unanswered_row
from bot.router.boundary import answer_crash, answer_error, safe_reply
from bot.router.declare import (
    CardCheck,
    CardReader,
    CardSubmission,
    Command,
    GatedHandler,
    LocationFinder,
    OrgResolver,
    Request,
    Scope,
    ScopeReader,
    check_declarations,
    no_scope,
)
from bot.router.gated import run_gated
from bot.store import AuditLog, AuditRecord

log = logging.getLogger(__name__)

__all__ = [
    "CardCheck",
    "CardReader",
    "CardSubmission",
    "Command",
    "GatedHandler",
    "LocationFinder",
    "OrgResolver",
    "Request",
    "Router",
    "Scope",
    "ScopeReader",
    "check_declarations",
    "no_scope",
]


class Router:
    """Matches an event to its command and lets it run only with the gate's permit."""

    def __init__(
        self,
        commands: Sequence[Command],
        bot_names: Sequence[str] = (),
        *,
        gate: Gate,
        resolve_org: OrgResolver,
        find_location: LocationFinder,
        read_card: tuple[CardReader, CardCheck] | None = None,
        audit: AuditLog | None = None,
        flood: FloodGuard | None = None,
    ) -> None:
        check_declarations(commands)
        # Longest command words first, so `create trunk` wins over a future `create`.
        self.commands = sorted((c for c in commands if c.words), key=lambda c: -len(c.words))
        self.cards = {c.purpose: c for c in commands if c.purpose is not None}
        self.gate = gate
        self.resolve_org = resolve_org
        self.find_location = find_location
        self.read_card = read_card
        self.bot_names = [n for n in bot_names if n]
        self.audit = audit
        self.flood = flood or FloodGuard()
        self.followups = FollowUps()

    @property
    def all_commands(self) -> list[Command]:
        return [*self.commands, *self.cards.values()]

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
        person = person_key(event.actor.person_id or event.actor.email)
        verdict = self.flood.enter(person)
        if verdict is Verdict.DROP:
            log.debug("event.dropped", extra={"reason": "flood", "event_id": event.id})
            return None
        ctx = Context(event=event, outbox=outbox)
        if verdict is not Verdict.GO:
            await self._set_aside(ctx, verdict)
            return ctx
        try:
            with request_scope():
                await self._handle(ctx)
        finally:
            self.flood.leave(person)
        return ctx

    async def _set_aside(self, ctx: Context, verdict: Verdict) -> None:
        person = person_key(ctx.event.actor.person_id or ctx.event.actor.email)
        if verdict is Verdict.TELL_RATE:
            sentence = replies.slow_down(self.flood.retry_after(person))
        else:
            sentence = replies.one_at_a_time(self.flood.in_flight)
        log.info("event.set_aside", extra={"reason": verdict.value, "event_id": ctx.event.id})
        await safe_reply(ctx, sentence)
        if self.audit is not None:
            reason = f"flood control ({verdict.value}); later ones dropped for a minute"
            await self._write(unanswered_row(ctx.event, reason, "rate-limited"))

    async def _handle(self, ctx: Context) -> None:
        event = ctx.event
        started = time.monotonic()
        failure: BaseException | None = None
        incident: str | None = None
        try:
            await self._dispatch(ctx)
        except NotAllowed as exc:
            failure = exc
            quiet = exc.reason == UNLISTED and not (
                self.flood.may_answer_refusal(
                    person_key(event.actor.person_id or event.actor.email)
                )
            )
            if not quiet:
                await answer_error(ctx, exc)
        except BotError as exc:
            failure = exc
            await answer_error(ctx, exc)
        except Exception as exc:  # noqa: BLE001  -- the one boundary: logged in answer_crash
            failure, incident = exc, await answer_crash(ctx, exc)
        if ctx.audit.action:
            await self._record(ctx, failure, incident, started)

    async def ignored(self, event: Event, reason: str) -> None:
        """Record an event we deliberately did not act on (a bot, a group message without
        the mention) in the audit trail."""
        if self.audit is None:
            return
        await self._write(unanswered_row(event, reason, "ignored"))

    async def _record(
        self,
        ctx: Context,
        failure: BaseException | None,
        incident: str | None,
        started: float,
    ) -> None:
        if self.audit is None:
            return
        duration_ms = round((time.monotonic() - started) * 1000)
        await self._write(outcome_row(ctx, failure, incident, duration_ms))

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
            if self.read_card is None:
                await ctx.reply(replies.CARD_NOT_ACTIVE)
                return
            read, check = self.read_card
            card = await read(ctx)
            command = self.cards.get(card.record.purpose)
            if command is None:
                raise CardRefused(replies.CARD_NOT_OURS)
            ctx.audit.action = command.action
            await check(ctx, card)
            await self._run(ctx, command, Request(card=card))
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
                    extra={"command": command.name, "event_id": event.id},
                )
                self.followups.forget(event.space.room_id, event.actor.person_id)
                await self._run(ctx, command, Request(args=split[1]))
                return
        if await self._answer(ctx, text):
            return
        await ctx.reply(replies.unknown_command(text.split()[0]))

    async def _answer(self, ctx: Context, text: str) -> bool:
        """The person's answer to the bot's last question in this space, if there is one:
        the chosen request runs like any command (the gate included)."""
        room, person = ctx.event.space.room_id, ctx.event.actor.person_id
        question = self.followups.pending(room, person)
        if question is None:
            return False
        command = next((c for c in self.commands if c.name == question.command_name), None)
        args = pick(question, text)
        if command is None:
            return False
        if args is None:
            ctx.audit.action = command.action
            await ctx.reply(replies.not_a_choice(text, len(question.choices)))
            ctx.audit.result = "invalid"
            return True
        self.followups.forget(room, person)
        log.info("command.answered", extra={"command": command.name, "event_id": ctx.event.id})
        await self._run(ctx, command, Request(args=args))
        return True

    async def _ask(self, ctx: Context, command: Command, args: str, exc: Ambiguity) -> None:
        """Ask which one, numbered; keep the choices for the person's next message."""
        assert command.rewrite is not None  # noqa: S101  -- the caller checked
        rewrite = command.rewrite
        choices = tuple((label, rewrite(args, exc.key, value)) for label, value in exc.choices)
        ev = ctx.event
        self.followups.ask(ev.space.room_id, ev.actor.person_id, Question(command.name, choices))
        ctx.audit.result = "asked"
        await ctx.reply(replies.which_one(exc.user_message, [label for label, _ in choices]))

    async def _run(self, ctx: Context, command: Command, request: Request) -> None:
        """The gate, in order: the action (before anything typed is read), the org (before
        any Webex call about it), the location; then the handler, with the permit."""
        try:
            await run_gated(
                ctx,
                command,
                request,
                gate=self.gate,
                resolve_org=self.resolve_org,
                find_location=self.find_location,
            )
        except Ambiguity as exc:
            if command.rewrite is None or request.card is not None or not exc.choices:
                raise
            await self._ask(ctx, command, request.args, exc)
