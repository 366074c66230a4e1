"""The grammar's and the request validation's sentences (bot/grammar.py, bot/validation.py)."""

from __future__ import annotations

import re

from bot.markdown import esc

# --- grammar and request validation (bot/grammar.py, bot/validation.py) ------------------
# (section: validation)
# Sentences of bot/grammar.py and bot/validation.py. None of them ever receives the value of
# `password`; keys are shown as the person typed them; other user text goes through shown().

_ECHO_LIMIT = 40
# Text that is safe verbatim inside a `code span`: no backtick, no markup, no mention syntax.
_CODE_SAFE = re.compile(r"[\w .,:/+()&'\"…-]+")
# Text that can stand in an example command such as `name=par-1` without quotes.
_EXAMPLE_BARE = re.compile(r"[\w.-]{1,40}")


def shown(text: str, limit: int = _ECHO_LIMIT) -> str:
    """User text for a reply: truncated, then a `code span` when safe, else escaped in quotes."""
    t = text if len(text) <= limit else text[: limit - 1] + "…"
    t = "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in t)
    if _CODE_SAFE.fullmatch(t):
        return f"`{t}`"
    return f"“{esc(t)}”"


def _keys_list(keys: tuple[str, ...]) -> str:
    return ", ".join(keys)


def _bold_and(keys: list[str]) -> str:
    bold = [f"**{k}**" for k in keys]
    return bold[0] if len(bold) == 1 else ", ".join(bold[:-1]) + " and " + bold[-1]


def _code_and(keys: list[str]) -> str:
    code = [shown(k) for k in keys]
    return code[0] if len(code) == 1 else ", ".join(code[:-1]) + " and " + code[-1]


# -- grammar (bot/grammar.py) --

EMPTY_KEY = "There's an `=` with nothing in front of it: write each setting as `key=value`."


def bare_word_after_password() -> str:
    return (
        "There's a word without `=` after `password`: write each setting as `key=value` "
        "(a password can't contain spaces)."
    )


def unknown_key(key: str, suggestion: str | None, known: tuple[str, ...]) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"I don't know {shown(key)}.{hint} Keys I know: {_keys_list(known)}."


def unknown_key_after_password(known: tuple[str, ...]) -> str:
    return (
        "After `password` comes a key I don't know (and a password can't contain spaces). "
        f"Keys I know: {_keys_list(known)}."
    )


def repeated_key(first: str, second: str) -> str:
    if first == second:
        return f"You gave {shown(first)} twice. Give each key once."
    return f"You gave {shown(first)} twice, as {shown(first)} and {shown(second)}. Give it once."


def key_needs_value(key: str) -> str:
    return f"{shown(key)} needs a value: write it as `{key}=<value>`."


def bare_word(word: str) -> str:
    return (
        f"I don't understand {shown(word)}: write each setting as `key=value`, with quotes "
        'around a value that has spaces, like `location="London HQ"`.'
    )


def unterminated_quote(key: str) -> str:
    return f"The value of {shown(key)} has an opening quote but no closing one."


def text_after_quote(key: str) -> str:
    return f"The value of {shown(key)} goes on after its closing quote: put a space after it."


# -- request fields (bot/validation.py) --

_FORM_HINT = "— or just `create trunk` for a form."


def _example_safe(text: str | None) -> bool:
    """Whether ``text`` can go, in double quotes, into an example command as typed."""
    if not text or len(text) > _ECHO_LIMIT or '"' in text:
        return False
    return _CODE_SAFE.fullmatch(text) is not None


def missing_required(missing: list[str], name: str | None, location: str | None) -> str:
    """``missing`` ⊆ {"name", "location"}; ``name``/``location`` are what was typed, if usable."""
    name_ex = "<name>"
    if name and _EXAMPLE_BARE.fullmatch(name):
        name_ex = name
    elif _example_safe(name):
        name_ex = f'"{name}"'
    loc_ex = location if location and _example_safe(location) else "<location name>"
    return (
        f"I need {' and '.join(f'a **{k}**' for k in missing)} to create a trunk. Try: "
        f'`create trunk name={name_ex} location="{loc_ex}"` {_FORM_HINT}'
    )


def missing_short(key: str) -> str:
    if key == "location":
        return "I need a **location**: its name or ID."
    return f"I need a **{key}** for the trunk."


def empty_value(key: str) -> str:
    return f"{shown(key)} is empty: give it a value or leave it out."


def too_long(key: str, limit: int) -> str:
    return f"{shown(key)} can be at most {limit} characters long."


def control_chars(key: str) -> str:
    return f"{shown(key)} can't contain line breaks, tabs or other invisible characters."


def bad_trunk_type(key: str) -> str:
    return f"{shown(key)} must be `registering` or `certificate`."


def password_empty(key: str) -> str:
    return f"{shown(key)} is empty: leave it out (or write `{key}=auto`) and I'll generate one."


def password_forbidden(key: str) -> str:
    return (
        f"{shown(key)} can't contain `?` or `!`, which Webex refuses: choose another, or leave "
        "it out and I'll generate one."
    )


def password_whitespace(key: str) -> str:
    return f"{shown(key)} can't contain spaces, line breaks or other invisible characters."


def password_length(key: str, low: int, high: int, too_short: bool) -> str:
    return (
        f"{shown(key)} is too {'short' if too_short else 'long'} for Webex, which needs {low} "
        f"to {high} characters: choose another, or leave it out and I'll generate one."
    )


def bad_port(key: str) -> str:
    return f"{shown(key)} must be a whole number from 1 to 65535."


def bad_max_calls(key: str) -> str:
    return f"{shown(key)} must be a whole number, 1 or more."


def max_calls_huge(key: str) -> str:
    return f"{shown(key)} is far more than any device type allows."


def bad_yes_no(key: str) -> str:
    return f"{shown(key)} must be `yes` or `no`."


def bad_address(key: str) -> str:
    return (
        f"{shown(key)} must be a host name such as `sbc1.example.com` or an SRV name such as "
        "`_sips._tcp.example.com`, without a port (that goes in `port`)."
    )


def bad_domain(key: str) -> str:
    return f"{shown(key)} must be a domain name such as `example.com`."


def bad_org(key: str) -> str:
    return (
        f"{shown(key)} must be a Webex organization ID: letters, digits and `-_=+/.:`, no spaces."
    )


def bad_pcharge(key: str) -> str:
    return f"{shown(key)} must be `disabled`, `asserted-identity` or `configurable-charge-number`."


def bad_value(key: str) -> str:
    return f"I can't use the value of {shown(key)}."


def certificate_only(keys: list[str]) -> str:
    verb, them = ("applies", "it") if len(keys) == 1 else ("apply", "them")
    return (
        f"{_code_and(keys)} {verb} only to certificate-based trunks: leave {them} out, or add "
        "`type=certificate`."
    )


def several_problems(sentences: list[str]) -> str:
    return "\n".join(["I can't create that trunk yet:", *(f"• {s}" for s in sentences)])


# -- trunk types and device types (bot/validation.check_certificate) --

_DEVICE_LIST_MAX = 8


def device_types(devices: list[tuple[str, int | None, int | None]]) -> str:
    """``Cisco Unified Border Element (250–1000 calls), …`` from (name, min, max) triples."""
    parts: list[str] = []
    for name, low, high in devices[:_DEVICE_LIST_MAX]:
        if low is not None and high is not None:
            parts.append(f"{esc(name)} ({low}–{high} calls)")
        elif high is not None:
            parts.append(f"{esc(name)} (up to {high} calls)")
        elif low is not None:
            parts.append(f"{esc(name)} (at least {low} calls)")
        else:
            parts.append(esc(name))
    if len(devices) > _DEVICE_LIST_MAX:
        parts.append(f"and {len(devices) - _DEVICE_LIST_MAX} more")
    return ", ".join(parts)


def certificate_needs(keys: list[str], devices: str | None) -> str:
    tail = f" Device types here: {devices}." if devices else ""
    return f"A certificate-based trunk also needs {_bold_and(keys)}.{tail}"


def certificate_needs_short(key: str) -> str:
    return f"A certificate-based trunk needs **{key}**."


def unknown_device(device: str, *, certificate: bool, devices: str) -> str:
    kind = "certificate-based" if certificate else "registering"
    return (
        f"I don't know the device type {shown(device)}. Device types for {kind} trunks here: "
        f"{devices}."
    )


def no_device_types(key: str, *, certificate: bool) -> str:
    if certificate:
        return (
            "Webex lists no device types for certificate-based trunks in this organization, "
            "so I can't create one here."
        )
    return f"Webex lists no device types for registering trunks here: leave {shown(key)} out."


def max_calls_range(key: str, device: str, low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        span = f"from {low} to {high}"
    elif low is not None:
        span = f"at least {low}"
    else:
        span = f"at most {high}"
    return f"{shown(key)} must be {span} for {esc(device)}."


# --- end validation ---------------------------------------------------------------------
