"""`trunkbot shell`: each stdin line is a message; replies go to stdout.

It runs the same router, policy and commands as the real bot. Only the transport differs:
events come from the keyboard instead of Webex, and replies are printed. Private (1:1)
replies are marked as such, so you can see what a group space would and would not show.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot import cards
from bot.events import Actor, Event, Reply, Space, SpaceKind
from bot.router import Router

SHELL_ORG = "shell-org"


def person_id_for(email: str) -> str:
    """A stable Webex-style person ID for a shell identity."""
    raw = f"ciscospark://us/PEOPLE/{uuid.uuid5(uuid.NAMESPACE_URL, email.lower())}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass
class ShellOutbox:
    """Prints replies (cards as readable text); keeps them so tests can read the transcript."""

    out: TextIO
    sent: list[Reply] = field(default_factory=list)
    last_card: tuple[str, dict[str, Any], str] | None = None  # message id, card, room id

    async def send(self, reply: Reply) -> str | None:
        self.sent.append(reply)
        message_id = f"shell-msg-{len(self.sent)}"
        prefix = "‹ "
        if reply.private and reply.to_person_id:
            prefix = f"‹ [1:1 to {reply.to_person_email or reply.to_person_id}] "
        elif reply.parent_id:
            prefix = "‹ [in thread] "
        elif reply.room_id and not reply.room_id.startswith("shell-"):
            prefix = f"‹ [in space {reply.room_id}] "
        body = reply.markdown
        if reply.card is not None:
            body = cards.card_as_text(reply.card)
            if reply.room_id:
                self.last_card = (message_id, reply.card, reply.room_id)
            buttons = [t for t, _ in submit_buttons(reply.card)]
            if buttons:
                body += "\n(press a button with /press " + " | /press ".join(buttons) + ")"
        self.out.write(prefix + body.replace("\n", "\n  ") + "\n")
        self.out.flush()
        return message_id

    async def delete(self, message_id: str) -> bool:
        self.out.write(f"· (the bot removed its earlier card {message_id})\n")
        if self.last_card and self.last_card[0] == message_id:
            self.last_card = None
        return True


def submit_buttons(card: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The card's submit buttons: (title, data)."""
    return [
        (str(a.get("title", "")), dict(a.get("data") or {}))
        for a in card.get("actions", [])
        if a.get("type") == "Action.Submit"
    ]


@dataclass
class Shell:
    router: Router
    email: str
    space_kind: SpaceKind = SpaceKind.DIRECT
    org_id: str = SHELL_ORG
    out: TextIO = field(default_factory=lambda: sys.stdout)

    def __post_init__(self) -> None:
        self.outbox = ShellOutbox(self.out)

    @property
    def space(self) -> Space:
        return Space(room_id=f"shell-{self.space_kind.value}-space", kind=self.space_kind)

    def event_for(self, text: str) -> Event:
        message_id = f"shell-{uuid.uuid4().hex}"
        return Event(
            id=message_id,
            actor=Actor(person_id=person_id_for(self.email), email=self.email, org_id=self.org_id),
            space=self.space,
            text=text,
            message_id=message_id,
            mentions_bot=True,
        )

    def _note(self, text: str) -> None:
        self.out.write(f"· {text}\n")
        self.out.flush()

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        if line.startswith(("/submit", "/press")):
            await self._submit(line)
            return
        if line.startswith("/"):
            self._meta(line)
            return
        await self.router.handle(self.event_for(line), self.outbox)

    async def _submit(self, line: str) -> None:
        """Submit the last card as Webex would: the typed inputs plus a button's data.

        ``/submit {json}`` presses the first button (or the one named by ``"button"``);
        ``/press TITLE`` presses a button with the card's current values.
        """
        last = self.outbox.last_card
        if last is None:
            self._note("There is no card to submit to.")
            return
        message_id, card, room_id = last
        cmd, _, arg = line.partition(" ")
        inputs: dict[str, Any] = {}
        title: str | None = None
        if cmd == "/submit" and arg.strip():
            try:
                parsed = json.loads(arg)
            except ValueError:
                self._note('Write the inputs as JSON, e.g. /submit {"name": "lon-1"}.')
                return
            if not isinstance(parsed, dict):
                self._note('Write the inputs as a JSON object, e.g. /submit {"name": "lon-1"}.')
                return
            title = parsed.pop("button", None)
            inputs = parsed
        elif cmd == "/press":
            title = arg.strip()
        buttons = submit_buttons(card)
        chosen = next(
            (d for t, d in buttons if title is None or t.lower() == str(title).lower()), None
        )
        if chosen is None:
            self._note("That card has no such button: " + ", ".join(t for t, _ in buttons))
            return
        # Picking a choice by its title, as a person would in a client (names, not IDs).
        for key, titles in cards.choice_titles(card).items():
            typed = inputs.get(key)
            if isinstance(typed, str) and typed.lower() in titles:
                inputs[key] = titles[typed.lower()]
        values = {k: v for k, v in cards.current_values(card).items() if k not in inputs}
        event = Event(
            id=f"shell-action-{uuid.uuid4().hex}",
            actor=self.event_for("").actor,
            space=Space(room_id=room_id, kind=self._kind_of(room_id)),
            card_inputs={**values, **inputs, **chosen},
            card_message_id=message_id,
        )
        await self.router.handle(event, self.outbox)

    def _kind_of(self, room_id: str) -> SpaceKind:
        if room_id == Space(f"shell-{SpaceKind.GROUP.value}-space", SpaceKind.GROUP).room_id:
            return SpaceKind.GROUP
        if room_id.startswith("shell-"):
            return SpaceKind.DIRECT
        return SpaceKind.GROUP  # another space named by the policy, e.g. the approvers'

    def _meta(self, line: str) -> None:
        cmd, _, arg = line.partition(" ")
        arg = arg.strip()
        if cmd == "/as" and "@" in arg:
            self.email = arg
            self._note(f"You are now {arg}.")
        elif cmd == "/space" and arg in {k.value for k in SpaceKind}:
            self.space_kind = SpaceKind(arg)
            self._note(f"You are now in a {arg} space.")
        else:
            self._note(
                "Shell commands: /as EMAIL, /space direct|group, /submit {json}, "
                "/press BUTTON, /quit."
            )

    async def repl(self, read_line: Callable[[], str] | None = None) -> None:
        reader = read_line or sys.stdin.readline
        loop = asyncio.get_running_loop()
        while True:
            if self.out.isatty():
                self.out.write("› ")
                self.out.flush()
            line = await loop.run_in_executor(None, reader)
            if not line or line.strip() in {"/quit", "/exit"}:
                return
            await self.handle_line(line)
