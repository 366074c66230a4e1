"""Arbitrary text at the router: nothing escapes, every message gets exactly a sensible reply."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.chat import Chat, make_chat

# No `password` key here: a fuzzed "password" is registered with the log scrubber for the
# rest of the run, and a sampled value such as "London HQ" would then be scrubbed from other
# tests' audit rows. Typed passwords have their own tests (test_create_trunk.py).
KEYS = [
    "name",
    "location",
    "type",
    "device",
    "address",
    "domain",
    "port",
    "max-calls",
    "dual-identity",
    "org",
    "locationId",
    "colour",
    "",
]
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "London HQ",
            "Pa",
            "Madrid",
            "certificate",
            "auto",
            "99999",
            "-1",
            "yes",
            '"unterminated',
            "'x'",
            "“smart”",
            "<@all>",
            "[x](http://e)",
        ]
    ),
)
PAIR = st.builds(
    lambda k, v, q: f"{k}={q}{v}{q}", st.sampled_from(KEYS), VALUES, st.sampled_from(["", '"', "'"])
)
COMMANDISH = st.builds(
    lambda prefix, pairs: prefix + " ".join(pairs),
    st.sampled_from(["create trunk ", "CREATE  Trunk ", "help ", "Trunkbot create trunk ", ""]),
    st.lists(PAIR, max_size=6),
)
MESSAGES = st.one_of(st.text(max_size=200), COMMANDISH)

_chat: Chat | None = None


def chat() -> Chat:
    global _chat  # one sandbox for all examples keeps the fuzz fast
    if _chat is None:
        _chat = asyncio.run(make_chat())
    return _chat


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=MESSAGES,
    space=st.sampled_from(["direct", "group"]),
    who=st.sampled_from(["alice@example.com", "pat@example.com", "mallory@evil.example"]),
)
def test_every_message_gets_a_reply_and_nothing_escapes(text: str, space: str, who: str) -> None:
    """Any text from any person in any space ends in replies, never an exception or a crash."""
    c = chat()
    replies = asyncio.run(c.say(text, person=who, space=space))
    assert replies, f"no reply to {text!r}"
    for reply in replies:
        assert reply.markdown.strip()
        assert "Traceback" not in reply.markdown
        assert "Something went wrong on my side" not in reply.markdown, text
        assert len(reply.markdown.encode()) <= 7439


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=100))
def test_bots_are_always_ignored(text: str) -> None:
    """Whatever a bot says, the router stays silent."""
    assert asyncio.run(chat().say(text, is_bot=True)) == []
