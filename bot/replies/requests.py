"""The request validation's sentences (bot/validation/): fields, device types, several
problems at once.

Each is a :class:`bot.sentence.Sentence`: built once as data, so the form card shows the
same words (with the same bold and code) as the chat reply, from the same runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.replies.grammar import CODE_SAFE, ECHO_LIMIT, shown
from bot.sentence import Run, Sentence, bold, lines, mono, sentence

__all__ = [
    "bad_address",
    "bad_domain",
    "bad_max_calls",
    "bad_org",
    "bad_pcharge",
    "bad_port",
    "bad_trunk_type",
    "bad_value",
    "bad_yes_no",
    "certificate_needs",
    "certificate_needs_short",
    "certificate_only",
    "control_chars",
    "device_types",
    "empty_value",
    "max_calls_huge",
    "max_calls_range",
    "missing_required",
    "missing_short",
    "no_device_types",
    "password_empty",
    "password_forbidden",
    "password_length",
    "password_whitespace",
    "several_problems",
    "too_long",
    "unknown_device",
]

# None of these ever receives the value of `password`; keys are shown as the person typed
# them; other user text goes through shown().

# Text that can stand in an example command such as `name=par-1` without quotes.
_EXAMPLE_BARE = re.compile(r"[\w.-]{1,40}")


def _and(parts: Sequence[Run | Sentence]) -> Sentence:
    """``a``, ``a and b``, ``a, b and c``."""
    out: list[str | Run] = []
    for i, part in enumerate(parts):
        if i:
            out.append(" and " if i == len(parts) - 1 else ", ")
        out.append(part)
    return sentence(*out)


def _bold_and(keys: list[str]) -> Sentence:
    return _and([bold(k) for k in keys])


def _code_and(keys: list[str]) -> Sentence:
    return _and([shown(k) for k in keys])


# -- request fields (bot/validation.py) --

_FORM_HINT = sentence("— or just ", mono("create trunk"), " for a form.")


def _example_safe(text: str | None) -> bool:
    """Whether ``text`` can go, in double quotes, into an example command as typed."""
    if not text or len(text) > ECHO_LIMIT or '"' in text:
        return False
    return CODE_SAFE.fullmatch(text) is not None


def missing_required(missing: list[str], name: str | None, location: str | None) -> Sentence:
    """``missing`` ⊆ {"name", "location"}; ``name``/``location`` are what was typed, if usable."""
    name_ex = "<name>"
    if name and _EXAMPLE_BARE.fullmatch(name):
        name_ex = name
    elif _example_safe(name):
        name_ex = f'"{name}"'
    loc_ex = location if location and _example_safe(location) else "<location name>"
    needs: list[str | Run] = []
    for i, key in enumerate(missing):
        needs += [" and a " if i else "a ", bold(key)]
    return sentence(
        "I need ", *needs, " to create a trunk. Try: ",
        mono(f'create trunk name={name_ex} location="{loc_ex}"'), " ", _FORM_HINT,
    )  # fmt: skip


def missing_short(key: str) -> Sentence:
    if key == "location":
        return sentence("I need a ", bold("location"), ": its name or ID.")
    return sentence("I need a ", bold(key), " for the trunk.")


def empty_value(key: str) -> Sentence:
    return sentence(shown(key), " is empty: give it a value or leave it out.")


def too_long(key: str, limit: int) -> Sentence:
    return sentence(shown(key), f" can be at most {limit} characters long.")


def control_chars(key: str) -> Sentence:
    return sentence(shown(key), " can't contain line breaks, tabs or other invisible characters.")


def bad_trunk_type(key: str) -> Sentence:
    return sentence(shown(key), " must be ", mono("registering"), " or ", mono("certificate"), ".")


def password_empty(key: str) -> Sentence:
    return sentence(
        shown(key), " is empty: leave it out (or write ", mono(f"{key}=auto"),
        ") and I'll generate one.",
    )  # fmt: skip


def password_forbidden(key: str) -> Sentence:
    return sentence(
        shown(key), " can't contain ", mono("?"), " or ", mono("!"), ", which Webex refuses: "
        "choose another, or leave it out and I'll generate one.",
    )  # fmt: skip


def password_whitespace(key: str) -> Sentence:
    return sentence(shown(key), " can't contain spaces, line breaks or other invisible characters.")


def password_length(key: str, low: int, high: int, too_short: bool) -> Sentence:
    return sentence(
        shown(key), f" is too {'short' if too_short else 'long'} for Webex, which needs {low} "
        f"to {high} characters: choose another, or leave it out and I'll generate one.",
    )  # fmt: skip


def bad_port(key: str) -> Sentence:
    return sentence(shown(key), " must be a whole number from 1 to 65535.")


def bad_max_calls(key: str) -> Sentence:
    return sentence(shown(key), " must be a whole number, 1 or more.")


def max_calls_huge(key: str) -> Sentence:
    return sentence(shown(key), " is far more than any device type allows.")


def bad_yes_no(key: str) -> Sentence:
    return sentence(shown(key), " must be ", mono("yes"), " or ", mono("no"), ".")


def bad_address(key: str) -> Sentence:
    return sentence(
        shown(key), " must be a host name such as ", mono("sbc1.example.com"),
        " or an SRV name such as ", mono("_sips._tcp.example.com"),
        ", without a port (that goes in ", mono("port"), ").",
    )  # fmt: skip


def bad_domain(key: str) -> Sentence:
    return sentence(shown(key), " must be a domain name such as ", mono("example.com"), ".")


def bad_org(key: str) -> Sentence:
    return sentence(
        shown(key), " must be a Webex organization ID: letters, digits and ", mono("-_=+/.:"),
        ", no spaces.",
    )  # fmt: skip


def bad_pcharge(key: str) -> Sentence:
    return sentence(
        shown(key), " must be ", mono("disabled"), ", ", mono("asserted-identity"), " or ",
        mono("configurable-charge-number"), ".",
    )  # fmt: skip


def bad_value(key: str) -> Sentence:
    return sentence("I can't use the value of ", shown(key), ".")


def certificate_only(keys: list[str]) -> Sentence:
    verb, them = ("applies", "it") if len(keys) == 1 else ("apply", "them")
    return sentence(
        _code_and(keys), f" {verb} only to certificate-based trunks: leave {them} out, or add ",
        mono("type=certificate"), ".",
    )  # fmt: skip


def several_problems(sentences: Sequence[Sentence]) -> Sentence:
    return lines("I can't create that trunk yet:", *(sentence("• ", s) for s in sentences))


# -- trunk types and device types (bot/validation.check_certificate) --

_DEVICE_LIST_MAX = 8


def device_types(devices: list[tuple[str, int | None, int | None]]) -> Sentence:
    """``Cisco Unified Border Element (250–1000 calls), …`` from (name, min, max) triples."""
    parts: list[str] = []
    for name, low, high in devices[:_DEVICE_LIST_MAX]:
        if low is not None and high is not None:
            parts.append(f"{name} ({low}–{high} calls)")
        elif high is not None:
            parts.append(f"{name} (up to {high} calls)")
        elif low is not None:
            parts.append(f"{name} (at least {low} calls)")
        else:
            parts.append(name)
    if len(devices) > _DEVICE_LIST_MAX:
        parts.append(f"and {len(devices) - _DEVICE_LIST_MAX} more")
    return sentence(", ".join(parts))


def certificate_needs(keys: list[str], devices: Sentence | None) -> Sentence:
    tail = sentence(" Device types here: ", devices, ".") if devices else ""
    return sentence("A certificate-based trunk also needs ", _bold_and(keys), ".", tail)


def certificate_needs_short(key: str) -> Sentence:
    return sentence("A certificate-based trunk needs ", bold(key), ".")


def unknown_device(device: str, *, certificate: bool, devices: Sentence) -> Sentence:
    kind = "certificate-based" if certificate else "registering"
    return sentence(
        "I don't know the device type ", shown(device), f". Device types for {kind} trunks "
        "here: ", devices, ".",
    )  # fmt: skip


def no_device_types(key: str, *, certificate: bool) -> Sentence:
    if certificate:
        return sentence(
            "Webex lists no device types for certificate-based trunks in this organization, "
            "so I can't create one here."
        )
    return sentence(
        "Webex lists no device types for registering trunks here: leave ", shown(key), " out."
    )


def max_calls_range(key: str, device: str, low: int | None, high: int | None) -> Sentence:
    if low is not None and high is not None:
        span = f"from {low} to {high}"
    elif low is not None:
        span = f"at least {low}"
    else:
        span = f"at most {high}"
    return sentence(shown(key), f" must be {span} for {device}.")


# --- end validation ---------------------------------------------------------------------
