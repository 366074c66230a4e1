"""`trunkbot shell`: each stdin line is a message; replies go to stdout.

It runs the same router, policy and commands as the real bot. Only the transport differs:
events come from the keyboard instead of Webex, and replies are printed. Private (1:1)
replies are marked as such, so you can see what a group space would and would not show.
"""

from __future__ import annotations

import asyncio
import base64
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from bot.events import Actor, Event, Reply, Space, SpaceKind
from bot.router import Router

SHELL_ORG = "shell-org"


def person_id_for(email: str) -> str:
    """A stable Webex-style person ID for a shell identity."""
    raw = f"ciscospark://us/PEOPLE/{uuid.uuid5(uuid.NAMESPACE_URL, email.lower())}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass
class ShellOutbox:
    """Prints replies; keeps them so tests can read the transcript."""

    out: TextIO
    sent: list[Reply] = field(default_factory=list)

    async def send(self, reply: Reply) -> str | None:
        self.sent.append(reply)
        prefix = "‹ "
        if reply.private and reply.to_person_id:
            prefix = f"‹ [1:1 to {reply.to_person_email or reply.to_person_id}] "
        elif reply.parent_id:
            prefix = "‹ [in thread] "
        body = reply.markdown.replace("\n", "\n  ")
        self.out.write(prefix + body + "\n")
        self.out.flush()
        return f"shell-msg-{len(self.sent)}"


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
        if line.startswith("/"):
            self._meta(line)
            return
        await self.router.handle(self.event_for(line), self.outbox)

    def _meta(self, line: str) -> None:
        cmd, _, arg = line.partition(" ")
        arg = arg.strip()
        if cmd == "/as" and "@" in arg:
            self.email = arg
            self._note(f"You are now {arg}.")
        elif cmd == "/space" and arg in {k.value for k in SpaceKind}:
            self.space_kind = SpaceKind(arg)
            self._note(f"You are now in a {arg} space.")
        elif cmd == "/submit":
            self._note("There is no card to submit to yet.")
        else:
            self._note("Shell commands: /as EMAIL, /space direct|group, /submit {json}, /quit.")

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
