"""JavaScript regexes for the form's Input.Text fields, built from bot/validation.py's own
patterns (renderers test the whole value; the bot re-validates anyway)."""

from __future__ import annotations

from bot.validation import (
    DOMAIN_LABEL,
    HOST_LABEL,
    PASSWORD_FORBIDDEN,
    PASSWORD_MAX,
    PASSWORD_MIN,
)

# Renderers test the whole value against these (they add no anchors).
# Surrounding spaces are allowed because validation trims them.

_CONTROL = r"\x00-\x1f\x7f"
#: A name: one line (no control characters), not blank; the length is maxLength.
NAME_REGEX = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"
_NOT_NUMERIC_END = r"(?!(?:\S*\.)?[0-9]+\.?\s*$)"  # the last label isn't all digits (no IPs)
#: An SBC address: a DNS or SRV name.
ADDRESS_REGEX = rf"^\s*{_NOT_NUMERIC_END}{HOST_LABEL}(?:\.{HOST_LABEL})*\.?\s*$"
#: A domain: at least two labels, no underscores.
DOMAIN_REGEX = rf"^\s*{_NOT_NUMERIC_END}{DOMAIN_LABEL}(?:\.{DOMAIN_LABEL})+\.?\s*$"
#: A typed password: 8 to 64 characters, no whitespace, ``?`` or ``!`` (Webex error 25015);
#: or ``auto`` (any case), which asks Webex for one.
PASSWORD_REGEX = (  # PASSWORD_FORBIDDEN's characters are literal inside a class
    rf"^(?:\s*[Aa][Uu][Tt][Oo]\s*|[^\s{PASSWORD_FORBIDDEN}{_CONTROL}]{{{PASSWORD_MIN},{PASSWORD_MAX}}})$"
)


def _range_alternatives(low: int, high: int) -> list[str]:
    """Regex alternatives matching the decimal numbers low..high (no leading zeros).

    Splits the range into runs ``P[a-b][0-9]{k}``: from each start, the widest aligned
    block of 10**k that fits, grown digit by digit within its 10**(k+1) block.
    """
    parts: list[str] = []
    start = low
    while start <= high:
        k = 0
        while start % 10 ** (k + 1) == 0 and start + 10 ** (k + 1) - 1 <= high:
            k += 1
        step = 10**k
        block_end = (start // (step * 10) + 1) * step * 10 - 1
        end = start + step - 1
        while end + step <= min(high, block_end):
            end += step
        s, e = str(start), str(end)
        lead = len(s) - k - 1
        digit = s[lead] if s[lead] == e[lead] else f"[{s[lead]}-{e[lead]}]"
        rest = "" if k == 0 else "[0-9]" if k == 1 else f"[0-9]{{{k}}}"
        parts.append(f"{s[:lead]}{digit}{rest}")
        start = end + 1
    return parts


def int_range_regex(low: int, high: int) -> str:
    """A JS/Python regex for the decimal integers ``low``..``high`` (1 ≤ low ≤ high)."""
    if not 1 <= low <= high:
        raise ValueError("int_range_regex needs 1 <= low <= high")
    return rf"^\s*(?:{'|'.join(_range_alternatives(low, high))})\s*$"


PORT_REGEX = int_range_regex(1, 65535)
