"""What `trunkbot shell` needs from a terminal: the bot's markdown as terminal text, and a
prompt-toolkit line reader (editing, history, completion of command words, locations,
buttons and the answers to the bot's last question).

The shell uses the line reader only when stdin and stdout are both a terminal; piped, it
reads plain lines and echoes them (see :mod:`bot.transports.shell`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.patch_stdout import patch_stdout

from bot.markdown import from_markdown
from bot.rest_ids import parse_rest_id

PROMPT = "› "
BOLD, NORMAL = "\x1b[1m", "\x1b[22m"


def terminal_text(markdown: str, *, bold: bool = False) -> str:
    """A reply's Webex markdown as a person reads it in a terminal: escapes undone, code
    spans as their literal content, ``**bold**`` as ANSI bold when ``bold`` else plain."""
    return from_markdown(markdown, bold=(BOLD, NORMAL) if bold else ("", ""))


_CHOICE_WITH_ID = re.compile(r"^(\s+- .+?) = (\S+)$")


def tidy_card_text(text: str) -> str:
    """A card's text without the REST IDs behind its choices: a person picks by title (the
    shell's /submit takes titles), so ``- London HQ = Y2lz…`` reads ``- London HQ``."""
    lines = []
    for line in text.splitlines():
        m = _CHOICE_WITH_ID.match(line)
        if m and parse_rest_id(m.group(2)) is not None:
            line = m.group(1)
        lines.append(line)
    return "\n".join(lines)


SHELL_COMMANDS = ("/as", "/space", "/press", "/submit", "/file", "/quit")
_LOCATION_KEY = re.compile(r"(?:^|\s)(location|locationid)=([\"']?)([^\"'=]*)$", re.IGNORECASE)


def _quoted(value: str) -> str:
    """A value as the grammar reads it back: bare, or quoted when it has spaces."""
    if re.fullmatch(r"[^\s\"']+", value):
        return value
    return f'"{value}"' if '"' not in value else f"'{value}'"


@dataclass
class ShellCompleter(Completer):
    """Completes what a person types in the shell, from live sources (each a callable, so
    a new card, person or question is completed at once)."""

    commands: Callable[[], Iterable[str]]  # the router's command words, e.g. "create trunk"
    locations: Callable[[], Iterable[str]] = list
    buttons: Callable[[], Iterable[str]] = list  # the last card's buttons
    answers: Callable[[], Iterable[str]] = list  # the choices of the bot's pending question
    people: Callable[[], Iterable[str]] = list  # emails the policy names, for /as
    spaces: Sequence[str] = ("direct", "group")

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        if text.startswith("/"):
            yield from self._slash(text)
            return
        m = _LOCATION_KEY.search(text)
        if m:
            typed = m.group(3)
            start = -(len(m.group(2)) + len(typed))
            for name in sorted(set(self.locations())):
                if name.casefold().startswith(typed.casefold()):
                    yield Completion(_quoted(name), start_position=start, display=name)
            return
        typed = text.lstrip()
        for word in [*self.answers(), *sorted(set(self.commands()))]:
            if word.casefold().startswith(typed.casefold()) and word != typed:
                yield Completion(word, start_position=-len(typed))

    def _slash(self, text: str) -> Iterator[Completion]:
        cmd, space, arg = text.partition(" ")
        if not space:
            for name in SHELL_COMMANDS:
                if name.startswith(cmd):
                    yield Completion(name, start_position=-len(cmd))
            return
        options: Iterable[str] = {
            "/press": self.buttons,
            "/space": lambda: self.spaces,
            "/as": self.people,
        }.get(cmd, list)()
        for option in options:
            if option.casefold().startswith(arg.casefold()):
                yield Completion(option, start_position=-len(arg))


@dataclass
class TerminalReader:
    """Reads one line at a time at a prompt-toolkit prompt: editing, history (kept in
    ``history_file`` when given), Tab completion, suggestions from history."""

    completer: Completer
    history_file: Path | None = None
    input: Input | None = None  # tests: create_pipe_input()
    output: Output | None = None  # tests: DummyOutput()
    _session: PromptSession[str] | None = field(default=None, init=False)

    def _history(self) -> History:
        if self.history_file is not None:
            try:
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                self.history_file.touch(exist_ok=True)
                return FileHistory(str(self.history_file))
            except OSError:
                pass  # a read-only home: history for this session only
        return InMemoryHistory()

    async def __call__(self) -> str | None:
        """The next line, "" for Ctrl-C (the line is dropped), None at Ctrl-D or end."""
        if self._session is None:
            self._session = PromptSession(
                history=self._history(),
                completer=self.completer,
                complete_while_typing=False,
                auto_suggest=AutoSuggestFromHistory(),
                input=self.input,
                output=self.output,
            )
        try:
            # What the bot says while the prompt waits (a bulk job's progress) prints above it.
            with patch_stdout(raw=True):
                return await self._session.prompt_async(PROMPT)
        except KeyboardInterrupt:
            return ""
        except EOFError:
            return None
