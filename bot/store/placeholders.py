"""The store's SQL uses ``?`` placeholders (SQLite's); psycopg wants ``%s``.

:func:`to_psycopg` rewrites a statement for psycopg by reading it as PostgreSQL does: a ``?``
is a placeholder only outside string literals (``'…'``, ``E'…'``, dollar-quoted
``$tag$…$tag$``), quoted identifiers (``"…"``) and comments (``--`` and ``/* */``); and
every ``%`` becomes ``%%``, inside literals too, because psycopg reads the whole statement
for ``%`` markers when it has parameters (and the store always passes them). SQLite takes
the shared SQL as it is: it never reads a ``?`` inside a literal as a parameter.
"""

from __future__ import annotations

import functools
import re

# A dollar-quote's opening tag: $$ or $name$ (a name doesn't start with a digit, so $1 isn't).
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")


def _end_of_quoted(sql: str, start: int, quote: str, backslash: bool) -> int:
    """The index just past the literal or identifier opened at ``start``; a doubled quote
    stands for itself, and with ``backslash`` (``E'…'``) a backslash escapes one character.
    An unterminated one runs to the end (the server then refuses the statement)."""
    i = start + 1
    while i < len(sql):
        c = sql[i]
        if backslash and c == "\\":
            i += 2
            continue
        if c == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)


def _end_of_block_comment(sql: str, start: int) -> int:
    """Past the ``/* … */`` opened at ``start`` (PostgreSQL nests them)."""
    depth, i = 0, start
    while i < len(sql):
        pair = sql[i : i + 2]
        if pair == "/*":
            depth, i = depth + 1, i + 2
        elif pair == "*/":
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return len(sql)


@functools.lru_cache(maxsize=256)
def to_psycopg(sql: str) -> str:
    """``sql`` with its ``?`` placeholders as ``%s`` and every literal ``%`` as ``%%``."""
    out: list[str] = []
    i = 0
    while i < len(sql):
        c = sql[i]
        if c == "?":
            out.append("%s")
            i += 1
            continue
        if c in "'\"":
            escaped = c == "'" and i > 0 and sql[i - 1] in "eE" and not _word_char(sql, i - 2)
            end = _end_of_quoted(sql, i, c, backslash=escaped)
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            end = len(sql) if newline < 0 else newline
        elif sql.startswith("/*", i):
            end = _end_of_block_comment(sql, i)
        elif c == "$" and (tag := _DOLLAR_TAG.match(sql, i)) and not _word_char(sql, i - 1):
            close = sql.find(tag.group(), tag.end())
            end = len(sql) if close < 0 else close + len(tag.group())
        else:
            end = i + 1
        out.append(sql[i:end].replace("%", "%%"))
        i = end
    return "".join(out)


def _word_char(sql: str, index: int) -> bool:
    """Whether ``sql[index]`` continues an identifier (so ``E'`` or ``$`` there is no prefix)."""
    return index >= 0 and (sql[index].isalnum() or sql[index] in "_$")
