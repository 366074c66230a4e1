"""`trunkbot shell`: each line is a message to the bot; its replies are printed.

It runs the same router, policy and commands as the real bot. Only the transport differs:
events come from the keyboard instead of Webex, and replies are printed as a person would
read them (no markdown marks, no internal IDs). Private (1:1) replies are marked as such,
so you can see what a group space would and would not show.

On a terminal, lines are read with prompt-toolkit (:mod:`bot.transports.shell_terminal`);
piped, each line is echoed after the prompt, so a transcript reads like a conversation.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from bot import cards
from bot.errors import UsageError
from bot.events import Actor, Event, Space, SpaceKind
from bot.router import Router
from bot.transports.shell_cards import card_problem, submit_buttons
from bot.transports.shell_outbox import LiveStdout, ShellOutbox
from bot.transports.shell_terminal import PROMPT

SHELL_ORG = "shell-org"
DEFAULT_FILE_TEXT = "create trunks"

#: The next line typed: a str ("" for nothing), or None when the input has ended.
LineReader = Callable[[], Awaitable[str | None]]


def person_id_for(email: str) -> str:
    """A stable Webex-style person ID for a shell identity."""
    raw = f"ciscospark://us/PEOPLE/{uuid.uuid5(uuid.NAMESPACE_URL, email.lower())}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass
class Shell:
    router: Router
    email: str
    space_kind: SpaceKind = SpaceKind.DIRECT
    org_id: str = SHELL_ORG
    # sys.stdout at each write: the prompt redirects it while it waits (shell_terminal).
    out: TextIO = field(default_factory=lambda: cast("TextIO", LiveStdout()))
    bold: bool = False
    # Called after /as with the new person: a line on what they may do (the CLI's policy).
    describe_person: Callable[[str], Awaitable[str]] | None = None

    def __post_init__(self) -> None:
        self.outbox = ShellOutbox(self.out, bold=self.bold)

    @property
    def space(self) -> Space:
        return Space(room_id=f"shell-{self.space_kind.value}-space", kind=self.space_kind)

    # --- Events: what Webex would deliver for a message or a card's button ---------------

    @property
    def actor(self) -> Actor:
        return Actor(person_id=person_id_for(self.email), email=self.email, org_id=self.org_id)

    def event_for(self, text: str, files: tuple[str, ...] = ()) -> Event:
        """A message typed in the current space (the bot is mentioned in a group space),
        with ``files`` attached (URLs the outbox serves, as Webex's ``files``)."""
        message_id = f"shell-{uuid.uuid4().hex}"
        return Event(
            id=message_id,
            actor=self.actor,
            space=self.space,
            text=text,
            message_id=message_id,
            mentions_bot=True,
            files=files,
        )

    def attach(self, path: str) -> str:
        """The URL under which the outbox serves the local file ``path`` to the bot; a
        UsageError (one sentence) when it isn't a readable file."""
        local = Path(path).expanduser()
        if not local.is_file():
            what = "is a folder, not a file" if local.is_dir() else "doesn't exist"
            raise UsageError(f"{path} {what}: give the path of a CSV file, e.g. /file sites.csv.")
        if not os.access(local, os.R_OK):
            raise UsageError(f"I can't read {path} (permission denied).")
        url = local.resolve().as_uri()
        self.outbox.attached.add(url)
        return url

    def card_event(self, inputs: dict[str, Any], message_id: str, room_id: str) -> Event:
        """A button pressed on the card ``message_id`` in ``room_id``, posting ``inputs``."""
        return Event(
            id=f"shell-action-{uuid.uuid4().hex}",
            actor=self.actor,
            space=Space(room_id=room_id, kind=self._kind_of(room_id)),
            card_inputs=inputs,
            card_message_id=message_id,
        )

    def _kind_of(self, room_id: str) -> SpaceKind:
        if room_id == f"shell-{SpaceKind.GROUP.value}-space":
            return SpaceKind.GROUP
        if room_id.startswith("shell-"):
            return SpaceKind.DIRECT
        return SpaceKind.GROUP  # another space named by the policy, e.g. the approvers'

    # --- What the completer offers ------------------------------------------------------

    def button_titles(self) -> list[str]:
        """The buttons of the last card (for /press)."""
        last = self.outbox.last_card
        return [t for t, _ in submit_buttons(last[1])] if last else []

    def pending_answers(self) -> list[str]:
        """The choices of the bot's open question to this person here ("which one?")."""
        question = self.router.followups.pending(self.space.room_id, self.actor.person_id)
        return [label for label, _ in question.choices] if question else []

    # --- Lines -----------------------------------------------------------------------------

    def note(self, text: str) -> None:
        """A line from the shell itself (not the bot), marked with ·."""
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
            await self._meta(line)
            return
        await self.router.handle(self.event_for(line), self.outbox)

    async def _submit(self, line: str) -> None:
        """Submit the last card as Webex would: the typed inputs plus a button's data.

        ``/submit {json}`` presses the first button (or the one named by ``"button"``);
        ``/press TITLE`` presses a button with the card's current values. Anything the card
        doesn't have (an input, a button) is answered here, and the card stays usable.
        """
        last = self.outbox.last_card
        if last is None:
            self.note(
                "There is no card to answer yet: a command such as `create trunk` brings one."
            )
            return
        message_id, card, room_id = last
        cmd, _, arg = line.partition(" ")
        inputs: dict[str, Any] = {}
        title: str | None = None
        if cmd == "/submit" and arg.strip():
            parsed = _json_object(arg)
            if parsed is None:
                self.note('Write the inputs as a JSON object, e.g. /submit {"name": "lon-1"}.')
                return
            title = parsed.pop("button", None)
            inputs = parsed
        elif cmd == "/press":
            title = arg.strip() or None
        elif cmd != "/submit":
            self.note("Shell commands: " + SHELL_HELP)
            return
        problem = card_problem(card, inputs, title)
        if problem:
            self.note(problem)
            return
        buttons = submit_buttons(card)
        chosen = next(d for t, d in buttons if title is None or t.casefold() == title.casefold())
        # Picking a choice by its title, as a person would in a client (names, not IDs).
        for key, titles in cards.choice_titles(card).items():
            typed = inputs.get(key)
            if isinstance(typed, str) and typed.lower() in titles:
                inputs[key] = titles[typed.lower()]
        values = {k: v for k, v in cards.current_values(card).items() if k not in inputs}
        event = self.card_event({**values, **inputs, **chosen}, message_id, room_id)
        await self.router.handle(event, self.outbox)

    async def _meta(self, line: str) -> None:
        cmd, _, arg = line.partition(" ")
        arg = arg.strip()
        if cmd == "/file" and arg:
            await self._file(arg)
        elif cmd == "/as" and "@" in arg and " " not in arg:
            self.email = arg
            about = await self.describe_person(arg) if self.describe_person else ""
            self.note(f"You are now {arg}" + (f": {about}" if about else "."))
        elif cmd == "/space" and arg in {k.value for k in SpaceKind}:
            self.space_kind = SpaceKind(arg)
            self.note(f"You are now in a {arg} space.")
        else:
            self.note("Shell commands: " + SHELL_HELP)

    async def _file(self, arg: str) -> None:
        """``/file PATH [text]``: a message with that file attached (``create trunks`` when
        no text is given). A path with spaces is quoted: ``/file "my sites.csv"``."""
        path, text = _path_and_text(arg)
        try:
            url = self.attach(path)
        except UsageError as exc:
            self.note(exc.user_message)
            return
        event = self.event_for(text or DEFAULT_FILE_TEXT, files=(url,))
        await self.router.handle(event, self.outbox)

    async def repl(self, read_line: LineReader | None = None, *, echo: bool = False) -> None:
        """Read lines until /quit or the end of input. ``echo``: print each line after the
        prompt (piped input, which the terminal didn't show)."""
        reader = read_line or piped_reader(sys.stdin)
        while True:
            line = await reader()
            if line is None:
                return
            if echo:
                self.out.write(PROMPT + line.rstrip("\r\n") + "\n")
                self.out.flush()
            if line.strip() in {"/quit", "/exit"}:
                return
            try:
                await self.handle_line(line)
            except Exception as exc:  # noqa: BLE001 -- a shell line never ends in a traceback
                self.note(f"The shell couldn't do that ({type(exc).__name__}); try again.")


SHELL_HELP = (
    "/as EMAIL, /space direct|group, /submit {json}, /press BUTTON, /file PATH [text], /quit. "
    "Anything else is a message to the bot (try help)."
)


def piped_reader(stream: TextIO) -> LineReader:
    """Lines from a pipe or file, read off the event loop; None at its end."""

    async def read() -> str | None:
        line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
        return line or None

    return read


def _path_and_text(arg: str) -> tuple[str, str]:
    """``PATH [text]``: the path (quoted when it has spaces) and the message's text."""
    quote = arg[:1]
    if quote in {'"', "'"} and quote in arg[1:]:
        end = arg.index(quote, 1)
        return arg[1:end], arg[end + 1 :].strip()
    path, _, text = arg.partition(" ")
    return path, text.strip()


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


__all__ = [
    "DEFAULT_FILE_TEXT",
    "SHELL_ORG",
    "LineReader",
    "Shell",
    "ShellOutbox",
    "person_id_for",
    "piped_reader",
    "submit_buttons",
]
