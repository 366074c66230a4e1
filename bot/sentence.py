"""Sentences built as data: a sentence that goes both to chat and to a card is built once.

A :class:`Sentence` is lines of :class:`Run` (text, bold or a code span), made with
:func:`sentence`, :func:`bold`, :func:`mono` and :func:`lines`. :func:`chat` renders it to
Webex markdown with bot.markdown's escaping (the Sentence *is* that string, so it travels
wherever a reply does); bot.cards renders the same runs to RichTextBlock TextRuns
(:func:`text_run` for their text), never re-reading the markdown.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.markdown import BREAKS, code, esc


class Style(enum.Enum):
    """How a run of a :class:`Sentence` shows."""

    TEXT = "text"
    BOLD = "bold"
    #: A value to copy or type as is (a key, a command, an ID): a code span in chat.
    CODE = "code"


@dataclass(frozen=True)
class Run:
    """Some text of a sentence in one style: the text as a person reads it, never markup."""

    text: str
    style: Style = Style.TEXT


Line = tuple[Run, ...]


class Sentence(str):
    """A sentence built as data: :attr:`lines`, each a tuple of :class:`Run`.

    Its ``str`` value is its Webex chat markdown, :func:`chat` of its lines, so a Sentence goes
    wherever a reply goes (``ctx.reply``, an error's ``user_message``, a Problem) and reads
    there exactly as a hand-written markdown string would; a card renders :attr:`lines`
    (bot.cards), never the markdown. Like ``markupsafe.Markup``: ``str`` operations on it
    (``+``, ``%``, ``.join``) give a plain ``str``, without the lines; build with
    :func:`sentence` and :func:`lines` instead.
    """

    lines: tuple[Line, ...]

    def __new__(cls, lines_: Iterable[Iterable[Run]] = ()) -> Sentence:
        tidy = tuple(_merged(line) for line in lines_)
        self = super().__new__(cls, chat(tidy))
        object.__setattr__(self, "lines", tidy)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Sentence is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Sentence, (self.lines,))

    def __repr__(self) -> str:
        return f"Sentence({str.__repr__(self)})"


def _merged(line: Iterable[Run]) -> Line:
    """Runs without empty plain ones, adjacent runs of one style as one run: chat escapes
    text character by character, so its markdown is the same, and two code spans or bold
    runs that touch would read as one odd span (`a``b` is one code span)."""
    out: list[Run] = []
    for run in line:
        if not run.text and run.style is Style.TEXT:
            continue
        if out and run.style is out[-1].style:
            out[-1] = Run(out[-1].text + run.text, run.style)
        else:
            out.append(run)
    return tuple(out)


def chat(lines_: Iterable[Iterable[Run]]) -> str:
    """Lines of runs as Webex chat markdown: text escaped (:func:`esc`), bold as ``**…**``, a
    code run as a code span (:func:`code`), lines joined by line breaks."""
    return "\n".join("".join(_chat_run(run) for run in line) for line in lines_)


def _chat_run(run: Run) -> str:
    if run.style is Style.BOLD:
        return f"**{esc(run.text)}**"
    if run.style is Style.CODE:
        return code(run.text)
    return esc(run.text)


def bold(text: object) -> Run:
    return Run(str(text), Style.BOLD)


def mono(text: object) -> Run:
    """A code run: a value to copy or type as is."""
    return Run(str(text), Style.CODE)


def sentence(*parts: str | Run) -> Sentence:
    """One line of ``parts``: a ``str`` is plain text (escaped in chat, never markup), a
    :class:`Run` keeps its style, a :class:`Sentence` is spliced in (its first line continues
    this one, its other lines follow)."""
    out: list[list[Run]] = [[]]
    for part in parts:
        if isinstance(part, Sentence):
            first, *rest = part.lines or ((),)
            out[-1].extend(first)
            out.extend(list(line) for line in rest)
        elif isinstance(part, Run):
            out[-1].append(part)
        else:
            out[-1].append(Run(part))
    return Sentence(out)


def lines(*parts: Sentence | str) -> Sentence:
    """Sentences (or plain texts) one under the other, as ``"\\n".join`` would put them."""
    out: list[Line] = []
    for part in parts:
        out.extend(part.lines if isinstance(part, Sentence) else sentence(part).lines)
    return Sentence(out)


def as_sentence(text: str) -> Sentence:
    """``text`` if it was built as a :class:`Sentence` (every bot.replies sentence that can
    reach a card is); any other ``str`` is text as it reads, one plain line per line."""
    if isinstance(text, Sentence):
        return text
    return Sentence((Run(line),) for line in str(text).splitlines())


def text_run(text: str) -> str:
    """``text`` for an Adaptive Card TextRun, which is never markdown: line breaks and
    controls become spaces (spaces between runs stay), and a word joiner (U+2060) parts
    ``{{`` so the renderer reads no ``{{DATE(…)}}`` or ``{{TIME(…)}}`` function in it."""
    s = "".join(" " if unicodedata.category(c) in BREAKS else c for c in text)
    return re.sub(r"\{(?=\{)", "{\u2060", s)
