"""Markdown text rules, in one place: what user or Webex text becomes before it is shown.

One escaping pipeline, :func:`escape`, with a rule table per target (:class:`Target`):

* :data:`CHAT`, Webex chat markdown, for text inside a bot.replies sentence (:func:`esc`);
  :func:`code` makes a value to copy (an ID, a password) a code span instead;
* :data:`CARD`, Adaptive Card TextBlocks and Facts (:func:`plain`), which also
  collapses the text to one line (:func:`one_line`, alone for text that is never markdown).

Both targets escape with a backslash before ASCII punctuation, so :func:`unescape` reads
either back. :func:`from_markdown` turns a chat reply into the text a terminal shows.

A sentence that goes both to chat and to a card is built once, as data: a :class:`Sentence`
is lines of :class:`Run` (text, bold or a code span), made with :func:`sentence`,
:func:`bold`, :func:`mono` and :func:`lines`. :func:`chat` renders it to Webex markdown
(the Sentence *is* that string, so it travels wherever a reply does); bot.cards renders the
same runs to RichTextBlock TextRuns (:func:`text_run` for their text).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Characters that break a line or are invisible controls; a TextBlock gets one line.
_BREAKS = frozenset({"Cc", "Zl", "Zp"})
# At the start of a line: list items, headings, quotes, setext underlines.
_LINE_START = re.compile(r"([-+#=|]|[0-9]+[.)])")
# An HTML entity, which CommonMark would decode (`&amp;` shows as `&`).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
# What escape() writes, in either target: a backslash before ASCII punctuation.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class Target:
    """What one destination reads as markup, and so what :func:`escape` defuses there."""

    name: str
    #: Escaped wherever they stand.
    always: frozenset[str]
    #: True: the whole text on one line (:func:`one_line`); False: only CR and LF become spaces.
    one_line: bool
    #: CommonMark's context rules (see :func:`plain`) instead of escaping ``_`` everywhere.
    in_context: bool


#: Webex chat markdown: emphasis, code, links and images, headings, quotes, tables, and tags
#: such as <@all> (a Webex mention is `<@…>`, so escaping `<` defuses every mention form).
CHAT = Target("chat", frozenset("\\`*_[]#|>~<"), one_line=False, in_context=False)
#: Adaptive Card TextBlock markdown (a CommonMark subset; every renderer differs a little).
CARD = Target("card", frozenset("\\*`~[]<>"), one_line=True, in_context=True)


def escape(text: object, target: Target) -> str:
    """``text`` as ``target`` shows it: as typed, never as markup."""
    s = one_line(text) if target.one_line else _no_breaks(text)
    out: list[str] = []
    for i, c in enumerate(s):
        if c in target.always or (target.in_context and _in_context(s, i, c)):
            out.append("\\")
        out.append(c)
    escaped = "".join(out)
    start = _LINE_START.match(escaped) if target.in_context else None
    if start:
        marker = start.group(1)
        escaped = marker[:-1] + "\\" + marker[-1] + escaped[len(marker) :]
    return escaped


def _in_context(s: str, i: int, c: str) -> bool:
    prev = s[i - 1] if i else ""
    after = s[i + 1] if i + 1 < len(s) else ""
    return (
        (c == "_" and not (prev.isalnum() and after.isalnum()))
        or (c == "(" and prev == "]")
        or (c == "{" and prev == "{")
        or (c == "&" and _ENTITY.match(s, i) is not None)
    )


def _no_breaks(text: object) -> str:
    return str(text).replace("\r", " ").replace("\n", " ")


def unescape(text: str) -> str:
    """The text behind :func:`escape`'s backslashes (either target)."""
    return _ESCAPED.sub(r"\1", text)


def esc(text: object) -> str:
    """Escape user- or Webex-supplied text for Webex markdown (no links, no <@all>)."""
    return escape(text, CHAT)


def code(text: object) -> str:
    """A value to copy (an ID, a password) as a code span: exact, unescaped, inert.

    CommonMark: a fence longer than any backtick run inside, padded by one space when the
    value touches a backtick, keeps the value byte-for-byte.
    """
    s = _no_breaks(text)
    runs = re.findall(r"`+", s)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def one_line(text: object) -> str:
    """``text`` on one line: line breaks and control characters become spaces, runs of
    whitespace one space, trimmed. For text that is never markdown (labels, choice titles,
    TextRuns) and the first step of :func:`plain`."""
    s = "".join(" " if unicodedata.category(c) in _BREAKS else c for c in str(text))
    return " ".join(s.split())


def plain(text: object) -> str:
    """``text`` for an Adaptive Card TextBlock or Fact: shows as typed, never as markup.

    The :data:`CARD` rules. One line (:func:`one_line`); a backslash before each character
    that could start markup:
    ``\\ * ` ~ [ ] < >`` always; ``_`` unless inside a word (``lon_lgw_1`` stays as is,
    and CommonMark never reads an in-word underscore as emphasis); ``(`` right after ``]``
    (renderers that ignore the escape of ``]`` would otherwise see ``[x](url)``); the
    second ``{`` of ``{{`` (so ``{{DATE(…)}}`` is no function); ``&`` of an entity; and a
    list, heading or quote marker at the start. :func:`unescape` reverses it exactly.
    """
    return escape(text, CARD)


def unplain(text: str) -> str:
    """The plain text behind :func:`plain`'s escapes (:func:`unescape`)."""
    return unescape(text)


_MD_TOKEN = re.compile(rf"{_ESCAPED.pattern}|(`+)|\*\*")


def from_markdown(text: str, *, bold: tuple[str, str] = ("", "")) -> str:
    """A bot.replies sentence (Webex markdown) as the plain text a person reads.

    Undoes ``esc()`` escapes and code spans (their content is literal); each ``**`` becomes
    ``bold``'s on, then off, string (dropped by default; a terminal passes ANSI bold).
    Line breaks are kept (each line becomes its own TextBlock). The result is plain text
    and still goes through :func:`plain` before it reaches a card.
    """
    out: list[str] = []
    in_bold = False
    i = 0
    while i < len(text):
        m = _MD_TOKEN.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        i = m.end()
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            fence = m.group(2)
            close = re.compile(rf"(?<!`){fence}(?!`)").search(text, i)
            if close is None:
                out.append(fence)
                continue
            content = text[i : close.start()]
            if len(content) > 1 and content[0] == content[-1] == " " and content.strip():
                content = content[1:-1]
            out.append(content)
            i = close.end()
        else:
            in_bold = not in_bold
            out.append(bold[0] if in_bold else bold[1])
    if in_bold:
        out.append(bold[1])
    return "".join(out)


# --- sentences as data ---------------------------------------------------------------------


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
    s = "".join(" " if unicodedata.category(c) in _BREAKS else c for c in text)
    return re.sub(r"\{(?=\{)", "{\u2060", s)
