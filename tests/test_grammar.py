"""The chat grammar: command words, ``key=value`` arguments and their error sentences."""

from __future__ import annotations

import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UsageError
from bot.grammar import (
    API_NAMES,
    KEYS,
    BareWord,
    EmptyKey,
    Fields,
    GrammarError,
    RepeatedKey,
    TextAfterQuote,
    UnknownKey,
    UnterminatedQuote,
    canonical_key,
    parse_args,
    split_command,
    suggest_key,
)
from bot.replies import esc

COMMANDS = [("create", "trunk"), ("help",), ("create",)]


def everything(exc: BaseException) -> str:
    """All the text an exception can show: str, repr, user_message, formatted traceback."""
    return "\n".join(
        [
            str(exc),
            repr(exc),
            getattr(exc, "user_message", ""),
            "".join(traceback.format_exception(exc)),
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("   ", {}),
        ("name=lon-lgw-1", {"name": "lon-lgw-1"}),
        (
            'name=lon-lgw-1 location="London HQ"',
            {"name": "lon-lgw-1", "location": "London HQ"},
        ),
        ("location='London HQ'", {"location": "London HQ"}),
        ("location=“London HQ”", {"location": "London HQ"}),
        ("location=‘London HQ’", {"location": "London HQ"}),
        ("location=„London HQ“", {"location": "London HQ"}),
        ("location=”London HQ”", {"location": "London HQ"}),
        ('location=“London HQ"', {"location": "London HQ"}),
        ('location="Bob’s place"', {"location": "Bob’s place"}),
        ("location='say \"hi\"'", {"location": 'say "hi"'}),
        ('password="a=b c=d"', {"password": "a=b c=d"}),
        ("password=ab=cd", {"password": "ab=cd"}),
        ("location=O'Hare", {"location": "O'Hare"}),
        ("name = lon-1   location =  Paris", {"name": "lon-1", "location": "Paris"}),
        ('name =\t"a b"', {"name": "a b"}),
        ("name=x\nlocation=y", {"name": "x", "location": "y"}),
        ("name=\u00a0x\u00a0location=y", {"name": "x", "location": "y"}),
        ("port=", {"port": ""}),
        ('location=""', {"location": ""}),
        ("name= location=x", {"name": "", "location": "x"}),
        ("name = location = x", {"name": "", "location": "x"}),
        ("name==x", {"name": "=x"}),
        ('name="  padded  "', {"name": "  padded  "}),
    ],
    ids=[
        "empty",
        "blank",
        "one-pair",
        "double-quotes",
        "single-quotes",
        "typographic-double",
        "typographic-single",
        "german-quotes",
        "right-quotes-both-sides",
        "mixed-double-family",
        "apostrophe-inside-double",
        "double-inside-single",
        "equals-inside-quotes",
        "equals-inside-unquoted",
        "apostrophe-inside-unquoted",
        "spaces-around-equals",
        "tab-after-equals",
        "newline-separates",
        "nbsp-separates",
        "empty-value-at-end",
        "empty-quoted-value",
        "empty-value-before-next-key",
        "spaced-empty-value-before-next-key",
        "double-equals",
        "quoted-value-kept-verbatim",
    ],
)
def test_values(text: str, expected: dict[str, str]) -> None:
    """Values are read plain or quoted (ASCII or typographic), as typed."""
    assert parse_args(text) == expected


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("NAME", "name"),
        ("Location", "location"),
        ("locationId", "location"),
        ("LOCATIONID", "location"),
        ("location_id", "location"),
        ("trunkType", "type"),
        ("deviceType", "device"),
        ("maxConcurrentCalls", "max-calls"),
        ("max_calls", "max-calls"),
        ("maxcalls", "max-calls"),
        ("MAX-CALLS", "max-calls"),
        ("dualIdentitySupportEnabled", "dual-identity"),
        ("dual_identity", "dual-identity"),
        ("orgId", "org"),
        ("pChargeInfoSupportPolicy", "pcharge"),
        ("PCharge", "pcharge"),
    ],
    ids=lambda v: str(v),
)
def test_aliases(typed: str, canonical: str) -> None:
    """Keys are case-insensitive, ``-``/``_`` don't matter, and API names are aliases."""
    fields = parse_args(f"{typed}=v")
    assert fields == {canonical: "v"}
    assert fields.typed == {canonical: typed}
    assert canonical_key(typed) == canonical


def test_every_api_name_is_an_alias() -> None:
    """Each API field name maps onto a canonical key."""
    assert {canonical_key(a) for a in API_NAMES} <= set(KEYS)


def test_result_is_a_fields_in_typed_order() -> None:
    """The result is a dict (a Fields) in the order the keys were typed."""
    fields = parse_args("type=certificate name=a locationId=b")
    assert isinstance(fields, Fields)
    assert list(fields) == ["type", "name", "location"]
    assert fields.typed["location"] == "locationId"


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("nmae", "name"),
        ("locaton", "location"),
        ("pasword", "password"),
        ("prot", "port"),
        ("adress", "address"),
        ("maxcall", "max-calls"),
        ("maxConcurentCalls", "maxConcurrentCalls"),
        ("colour", None),
        ("zzz", None),
    ],
    ids=lambda v: str(v),
)
def test_unknown_key_suggestion(typed: str, suggestion: str | None) -> None:
    """An unknown key is refused with the nearest known key, if one is close."""
    with pytest.raises(UnknownKey) as ei:
        parse_args(f"name=x {typed}=blue")
    msg = ei.value.user_message
    assert msg.startswith(f"I don't know `{typed}`.")
    assert "Keys I know: " + ", ".join(KEYS) + "." in msg
    assert suggest_key(typed) == suggestion
    if suggestion:
        assert f"Did you mean `{suggestion}`?" in msg
    else:
        assert "Did you mean" not in msg
    assert "blue" not in msg


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("<@all>=x", "<@all>", esc("<@all>")),
        ("*bold*=x", "*bold*", "\\*bold\\*"),
        ("`tick`=x", "`tick`", "\\`tick\\`"),
        ("k" * 100 + "=x", "k" * 41, "k" * 39 + "…"),
    ],
    ids=["mention", "markdown", "backticks", "long"],
)
def test_unknown_key_escaped_and_truncated(text: str, absent: str, present: str) -> None:
    """An unknown key is echoed escaped and at most 40 characters long."""
    with pytest.raises(UnknownKey) as ei:
        parse_args(text)
    assert absent not in ei.value.user_message
    assert present in ei.value.user_message


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("name=a name=b", "You gave `name` twice. Give each key once."),
        (
            "location=a locationId=b",
            "You gave `location` twice, as `location` and `locationId`. Give it once.",
        ),
        (
            "MAX-CALLS=1 maxConcurrentCalls=2",
            "You gave `MAX-CALLS` twice, as `MAX-CALLS` and `maxConcurrentCalls`. Give it once.",
        ),
        (
            "password=Hunter2Secret name=x Password=Other99",
            "You gave `password` twice, as `password` and `Password`. Give it once.",
        ),
    ],
    ids=["same-spelling", "via-alias", "via-alias-any-case", "password"],
)
def test_repeated_key(text: str, sentence: str) -> None:
    """A key given twice, under any spelling, is refused naming the key, not the values."""
    with pytest.raises(RepeatedKey) as ei:
        parse_args(text)
    assert ei.value.user_message.startswith(sentence)
    assert "Hunter2Secret" not in everything(ei.value)
    assert "Other99" not in everything(ei.value)


@pytest.mark.parametrize(
    ("text", "error", "sentence"),
    [
        (
            "name=x location London",
            BareWord,
            "`location` needs a value: write it as `location=<value>`.",
        ),
        (
            "name=x location=London HQ",
            BareWord,
            "I don't understand `HQ`: write each setting as `key=value`, with quotes around a "
            'value that has spaces, like `location="London HQ"`.',
        ),
        (
            'name=x "London HQ"',
            BareWord,
            'I don\'t understand `"London HQ"`: write each setting as `key=value`',
        ),
        ("hello", BareWord, "I don't understand `hello`"),
        (
            "name=x =blue",
            EmptyKey,
            "There's an `=` with nothing in front of it: write each setting as `key=value`.",
        ),
        (
            'location="London HQ',
            UnterminatedQuote,
            "The value of `location` has an opening quote but no closing one.",
        ),
        (
            "locationId=“London HQ",
            UnterminatedQuote,
            "The value of `locationId` has an opening quote but no closing one.",
        ),
        (
            "location='London HQ\"",
            UnterminatedQuote,
            "The value of `location` has an opening quote but no closing one.",
        ),
        (
            'name="lon"1 location=x',
            TextAfterQuote,
            "The value of `name` goes on after its closing quote: put a space after it.",
        ),
    ],
    ids=[
        "known-key-without-value",
        "unquoted-spaces",
        "quoted-word-without-key",
        "plain-word",
        "empty-key",
        "unterminated-double",
        "unterminated-typographic",
        "quote-families-dont-mix",
        "text-after-quote",
    ],
)
def test_malformed(text: str, error: type[GrammarError], sentence: str) -> None:
    """Each malformation is one UsageError subclass with one clear sentence."""
    with pytest.raises(error) as ei:
        parse_args(text)
    assert isinstance(ei.value, UsageError)
    assert ei.value.user_message.startswith(sentence)
    assert str(ei.value) == ei.value.user_message


def test_control_characters_are_not_echoed() -> None:
    """Control characters in an echoed key are replaced, not sent."""
    with pytest.raises(UnknownKey) as ei:
        parse_args("ab\x00\x1bcd=x")
    assert "\x00" not in ei.value.user_message
    assert "\x1b" not in ei.value.user_message


def test_bare_word_is_escaped_and_truncated() -> None:
    """A bare word is echoed escaped (no markup, no mention) and truncated."""
    with pytest.raises(BareWord) as ei:
        parse_args("name=x <@all>" + "y" * 80)
    msg = ei.value.user_message
    assert "<@all>" not in msg
    assert "y" * 40 not in msg
    assert "…" in msg


@pytest.mark.parametrize(
    "text",
    [
        'password="Hunter2Secret',
        "password=“Hunter2Secret",
        'password="Hunter2Secret"Tail',
        "password=Hunter2 Secret",
        'password=Hunter2 "Secret words"',
        "password=Hunter2 Secret=1",
        "password=Hunter2 Secret-with-dash=1",
        "password = Hunter2 Secret",
        'password=Hunter2 name="Secret',
    ],
    ids=[
        "unterminated",
        "unterminated-typographic",
        "text-after-quote",
        "space-in-password",
        "quoted-after-password",
        "looks-like-unknown-key",
        "looks-like-unknown-key-with-dash",
        "spaces-around-equals",
        "unterminated-after-password",
    ],
)
def test_password_never_echoed(text: str) -> None:
    """No part of a password value, nor a word after it, appears in any error text."""
    with pytest.raises(GrammarError) as ei:
        parse_args(text)
    shown = everything(ei.value)
    assert "Hunter2" not in shown
    assert "Secret" not in shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("create trunk name=x", (("create", "trunk"), "name=x")),
        ("create trunk", (("create", "trunk"), "")),
        ("  Create   TRUNK\tname=x  ", (("create", "trunk"), "name=x")),
        ("create\ntrunk\nname=x", (("create", "trunk"), "name=x")),
        ("create\u00a0trunk name=x", (("create", "trunk"), "name=x")),
        ("\u200bcreate trunk name=x", (("create", "trunk"), "name=x")),
        ("help", (("help",), "")),
        ("HELP me", (("help",), "me")),
        ("create something", (("create",), "something")),
        ("create trunks", (("create",), "trunks")),
        ("please don't create trunk", None),
        ("createtrunk name=x", None),
        ("helpful", None),
        ("", None),
        ("trunk create", None),
    ],
    ids=[
        "command-and-args",
        "command-alone",
        "case-and-whitespace",
        "newlines",
        "nbsp",
        "zero-width-prefix",
        "one-word",
        "one-word-with-rest",
        "shorter-command",
        "plural-is-not-the-command",
        "not-at-start",
        "no-space",
        "word-boundary",
        "empty",
        "wrong-order",
    ],
)
def test_split_command(text: str, expected: tuple[tuple[str, ...], str] | None) -> None:
    """A message is a command only when it starts with the command words."""
    assert split_command(text, COMMANDS) == expected


def test_split_command_prefers_the_longest() -> None:
    """With overlapping commands, the longest match wins whatever the order given."""
    assert split_command("create trunk x", [("create",), ("create", "trunk")]) == (
        ("create", "trunk"),
        "x",
    )


def assert_safe_message(exc: UsageError) -> None:
    """A user message is a non-empty single paragraph with no Python internals."""
    msg = exc.user_message
    assert msg.strip()
    assert "\n\n" not in msg
    assert "Traceback" not in msg
    assert "Error(" not in msg


_KEYISH = st.sampled_from([*KEYS, *API_NAMES, "colour", "", "MAX_calls", "pass word"])
_VALUEISH = st.one_of(
    st.text(max_size=20),
    st.text(max_size=20).map(lambda s: f'"{s}"'),
    st.text(max_size=20).map(lambda s: f"“{s}”"),
    st.text(max_size=20).map(lambda s: f"'{s}"),
)
_PAIRS = st.lists(
    st.tuples(_KEYISH, st.sampled_from(["=", " = ", "= ", " ", ""]), _VALUEISH), max_size=6
).map(lambda pairs: " ".join(k + eq + v for k, eq, v in pairs))


@given(st.one_of(st.text(), _PAIRS))
def test_parse_args_only_raises_usage_errors(text: str) -> None:
    """Any text either parses or raises a UsageError with a safe one-paragraph sentence."""
    try:
        fields = parse_args(text)
    except UsageError as exc:
        assert_safe_message(exc)
    else:
        assert all(k in KEYS for k in fields)


@given(
    st.lists(st.from_regex(r"Q[XZ0-9]{8,12}", fullmatch=True), min_size=1, max_size=3),
    st.sampled_from(['"', "“", "'", ""]),
    st.sampled_from(["", " name=x", " colour=y", ' "z', " location=“open"]),
)
def test_password_words_never_echoed(words: list[str], quote: str, tail: str) -> None:
    """Whatever goes wrong around a password, none of its words is echoed."""
    text = f"name=a password={quote}{' '.join(words)}{tail}"
    try:
        parse_args(text)
    except UsageError as exc:
        shown = everything(exc)
        assert not any(w in shown for w in words)
