"""Small pieces of the chat grammar the features share: a flag word (``dry-run``), a leading
target (``show trunk "lon 1" org=…``), and writing ``key=value`` pairs back as text (the
answer to a question becomes the complete request again)."""

from __future__ import annotations

import re

from bot.grammar import Fields, parse_args

_QUOTES = "\"'“”‘’"


def _unquoted_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` is outside quotes."""
    spans, start, quote = [], 0, ""
    for i, ch in enumerate(text):
        if quote:
            if ch in _QUOTES:
                quote, start = "", i + 1
        elif ch in _QUOTES:
            spans.append((start, i))
            quote = ch
    if not quote:
        spans.append((start, len(text)))
    return spans


def take_flag(args: str, flag: str) -> tuple[bool, str]:
    """``args`` with the bare word ``flag`` (outside quotes, any case) taken out."""
    pattern = re.compile(rf"(?<!\S){re.escape(flag)}(?!\S)", re.IGNORECASE)
    for start, end in _unquoted_spans(args):
        m = pattern.search(args, start, end)
        if m:
            return True, (args[: m.start()] + args[m.end() :]).strip()
    return False, args


def take_target(args: str) -> tuple[str | None, str]:
    """The leading target (a word without ``=``, or a quoted text) and the rest."""
    text = args.strip()
    if not text:
        return None, ""
    if text[0] in _QUOTES:
        closers = '"”' if text[0] in '"“”' else "'’"
        end = next((i for i in range(1, len(text)) if text[i] in closers), -1)
        if end < 0:
            return None, text  # the grammar will say the quote is open
        return text[1:end].strip() or None, text[end + 1 :].strip()
    word, _, rest = text.partition(" ")
    if "=" in word:
        return None, text
    return word, rest.strip()


def quote(value: str) -> str:
    return f"'{value}'" if '"' in value else f'"{value}"'


def write_fields(fields: Fields) -> str:
    """The fields as the person could have typed them."""
    return " ".join(f"{fields.typed.get(k, k)}={quote(v)}" for k, v in fields.items())


def answer_key(args: str, key: str, value: str, *, flags: tuple[str, ...] = ()) -> str:
    """``args`` with ``key`` set to ``value`` (flags such as ``dry-run`` kept)."""
    kept = []
    for flag in flags:
        present, args = take_flag(args, flag)
        if present:
            kept.append(flag)
    fields = parse_args(args)
    fields[key] = value
    return " ".join([write_fields(fields), *kept]).strip()


def answer_target(args: str, value: str) -> str:
    """``args`` with its leading target replaced by ``value``."""
    _target, rest = take_target(args)
    return f"{quote(value)} {rest}".strip()
