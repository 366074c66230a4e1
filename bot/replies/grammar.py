"""The grammar's sentences (bot/grammar.py), and :func:`shown`: how a reply echoes what a
person typed. Each is a :class:`bot.sentence.Sentence`."""

from __future__ import annotations

import re

from bot.sentence import Sentence, mono, sentence

__all__ = [
    "EMPTY_KEY",
    "bare_word",
    "bare_word_after_password",
    "key_needs_value",
    "repeated_key",
    "shown",
    "text_after_quote",
    "unknown_key",
    "unknown_key_after_password",
    "unterminated_quote",
]

# None of these ever receives the value of `password`; keys are shown as the person typed
# them; other user text goes through shown().

ECHO_LIMIT = 40
# Text that is safe verbatim inside a `code span`: no backtick, no markup, no mention syntax.
CODE_SAFE = re.compile(r"[\w .,:/+()&'\"…-]+")


def shown(text: str, limit: int = ECHO_LIMIT) -> Sentence:
    """User text for a reply: truncated, then a `code span` when safe, else in quotes."""
    t = text if len(text) <= limit else text[: limit - 1] + "…"
    t = "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in t)
    if CODE_SAFE.fullmatch(t):
        return sentence(mono(t))
    return sentence(f"“{t}”")


def _keys_list(keys: tuple[str, ...]) -> str:
    return ", ".join(keys)


# -- grammar (bot/grammar.py) --

EMPTY_KEY = sentence(
    "There's an ", mono("="), " with nothing in front of it: write each setting as ",
    mono("key=value"), ".",
)  # fmt: skip


def bare_word_after_password() -> Sentence:
    return sentence(
        "There's a word without ", mono("="), " after ", mono("password"),
        ": write each setting as ", mono("key=value"), " (a password can't contain spaces).",
    )  # fmt: skip


def unknown_key(key: str, suggestion: str | None, known: tuple[str, ...]) -> Sentence:
    hint = sentence(" Did you mean ", mono(suggestion), "?") if suggestion else ""
    return sentence("I don't know ", shown(key), ".", hint, f" Keys I know: {_keys_list(known)}.")


def unknown_key_after_password(known: tuple[str, ...]) -> Sentence:
    return sentence(
        "After ", mono("password"), " comes a key I don't know (and a password can't contain "
        f"spaces). Keys I know: {_keys_list(known)}.",
    )  # fmt: skip


def repeated_key(first: str, second: str) -> Sentence:
    if first == second:
        return sentence("You gave ", shown(first), " twice. Give each key once.")
    return sentence(
        "You gave ", shown(first), " twice, as ", shown(first), " and ", shown(second),
        ". Give it once.",
    )  # fmt: skip


def key_needs_value(key: str) -> Sentence:
    return sentence(shown(key), " needs a value: write it as ", mono(f"{key}=<value>"), ".")


def bare_word(word: str) -> Sentence:
    return sentence(
        "I don't understand ", shown(word), ": write each setting as ", mono("key=value"),
        ", with quotes around a value that has spaces, like ", mono('location="London HQ"'),
        ".",
    )  # fmt: skip


def unterminated_quote(key: str) -> Sentence:
    return sentence("The value of ", shown(key), " has an opening quote but no closing one.")


def text_after_quote(key: str) -> Sentence:
    return sentence(
        "The value of ", shown(key), " goes on after its closing quote: put a space after it."
    )
