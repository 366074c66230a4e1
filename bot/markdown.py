"""Markdown text rules, in one place: what user or Webex text becomes before it is shown.

Two targets, each with its escaper: Webex chat markdown (:func:`esc` for text inside a
sentence, :func:`code` for a value to copy), used by :mod:`bot.replies`; and Adaptive Card
TextBlocks and Facts (:func:`plain`, with :func:`unplain` to read it back and
:func:`one_line` for text that is never markdown), used by :mod:`bot.cards`.
:func:`from_markdown` turns a chat sentence into the plain text a card shows.
"""

from __future__ import annotations

import re
import unicodedata

# Markdown and Webex mention syntax that user text must not be able to inject: emphasis,
# code, links and images, headings, quotes, tables, and tags such as <@all> (a Webex
# mention is `<@…>`, so escaping `<` defuses every mention form).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|>~<])")


def esc(text: object) -> str:
    """Escape user- or Webex-supplied text for Webex markdown (no links, no <@all>)."""
    s = str(text).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)


def code(text: object) -> str:
    """A value to copy (an ID, a password) as a code span: exact, unescaped, inert.

    CommonMark: a fence longer than any backtick run inside, padded by one space when the
    value touches a backtick, keeps the value byte-for-byte.
    """
    s = str(text).replace("\r", " ").replace("\n", " ")
    runs = re.findall(r"`+", s)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


# Characters that are markup wherever they stand (CommonMark escapes all of them).
_ALWAYS = frozenset("\\*`~[]<>")
# At the start of a line: list items, headings, quotes, setext underlines.
_LINE_START = re.compile(r"([-+#=|]|[0-9]+[.)])")
# An HTML entity, which CommonMark would decode (`&amp;` shows as `&`).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
# What _plain escapes: a backslash before ASCII punctuation.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# Characters that break a line or are invisible controls; a TextBlock gets one line.
_BREAKS = frozenset({"Cc", "Zl", "Zp"})


def one_line(text: object) -> str:
    """``text`` on one line: line breaks and control characters become spaces, runs of
    whitespace one space, trimmed. For text that is never markdown (labels, choice titles,
    TextRuns) and the first step of :func:`plain`."""
    s = "".join(" " if unicodedata.category(c) in _BREAKS else c for c in str(text))
    return " ".join(s.split())


def plain(text: object) -> str:
    """``text`` for an Adaptive Card TextBlock or Fact: shows as typed, never as markup.

    One line (:func:`one_line`); a backslash before each character that could start markup:
    ``\\ * ` ~ [ ] < >`` always; ``_`` unless inside a word (``lon_lgw_1`` stays as is,
    and CommonMark never reads an in-word underscore as emphasis); ``(`` right after ``]``
    (renderers that ignore the escape of ``]`` would otherwise see ``[x](url)``); the
    second ``{`` of ``{{`` (so ``{{DATE(…)}}`` is no function); ``&`` of an entity; and a
    list, heading or quote marker at the start. :func:`unplain` reverses it exactly.
    """
    s = one_line(text)
    out: list[str] = []
    for i, c in enumerate(s):
        prev = s[i - 1] if i else ""
        after = s[i + 1] if i + 1 < len(s) else ""
        if (
            c in _ALWAYS
            or (c == "_" and not (prev.isalnum() and after.isalnum()))
            or (c == "(" and prev == "]")
            or (c == "{" and prev == "{")
            or (c == "&" and _ENTITY.match(s, i))
        ):
            out.append("\\")
        out.append(c)
    escaped = "".join(out)
    start = _LINE_START.match(escaped)
    if start:
        marker = start.group(1)
        escaped = marker[:-1] + "\\" + marker[-1] + escaped[len(marker) :]
    return escaped


def unplain(text: str) -> str:
    """The plain text behind :func:`plain`'s escapes."""
    return _ESCAPED.sub(r"\1", text)


_MD_TOKEN = re.compile(r"\\([!-/:-@\[-`{-~])|(`+)|\*\*")


def from_markdown(text: str) -> str:
    """A bot.replies sentence (Webex markdown) as the plain text a person reads.

    Undoes ``esc()`` escapes and code spans (their content is literal), drops ``**``.
    Line breaks are kept (each line becomes its own TextBlock). The result is plain text
    and still goes through :func:`plain` before it reaches a card.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        m = _MD_TOKEN.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        if m.group(1) is not None:
            out.append(m.group(1))
            i = m.end()
        elif m.group(2) is not None:
            fence = m.group(2)
            close = re.compile(rf"(?<!`){fence}(?!`)").search(text, m.end())
            if close is None:
                out.append(fence)
                i = m.end()
                continue
            content = text[m.end() : close.start()]
            if len(content) > 1 and content[0] == content[-1] == " " and content.strip():
                content = content[1:-1]
            out.append(content)
            i = close.end()
        else:
            i = m.end()
    return "".join(out)
