"""Markdown text rules, in one place: what user or Webex text becomes before it is shown.

One escaping pipeline, :func:`escape`, with a rule table per target (:class:`Target`):

* :data:`CHAT`, Webex chat markdown, for text inside a bot.replies sentence (:func:`esc`);
  :func:`code` makes a value to copy (an ID, a password) a code span instead;
* :data:`CARD`, Adaptive Card TextBlocks and Facts (:func:`plain`), which also
  collapses the text to one line (:func:`one_line`, alone for text that is never markdown).

Both targets escape with a backslash before ASCII punctuation, so :func:`unescape` reads
either back. :func:`from_markdown` turns a chat reply into the text a terminal shows.

A sentence that goes both to chat and to a card is built once, as data: bot.sentence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Characters that break a line or are invisible controls; a TextBlock gets one line.
BREAKS = frozenset({"Cc", "Zl", "Zp"})
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


#: The characters :func:`_in_context` may escape.
_CONTEXT = frozenset("_({&")


@functools.cache
def _may_escape(target: Target) -> re.Pattern[str]:
    """A character the escaping loop may act on, for ``target``: a text without any comes
    out of the loop as it went in (most text does; the loop is a Python step per char)."""
    chars = target.always | _CONTEXT if target.in_context else target.always
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]")


def escape(text: object, target: Target) -> str:
    """``text`` as ``target`` shows it: as typed, never as markup."""
    s = one_line(text) if target.one_line else _no_breaks(text)
    if _may_escape(target).search(s) is None:
        escaped = s
    else:
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
    s = str(text)
    if not s.isprintable():  # printable text has no character of BREAKS' categories
        s = "".join(" " if unicodedata.category(c) in BREAKS else c for c in s)
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
