"""Webex's refusals we understand, as our sentences: a typed password Webex rejects, a
domain it hasn't verified, an address another trunk uses. Shared by a single create
(commands.create) and each row of a file (commands.bulk)."""

from __future__ import annotations

from bot import replies
from bot.errors import WebexError

# Webex error codes with a known meaning (seen in its error answers and wxc_sdk's live tests).
PASSWORD_RULES, DOMAIN_NOT_VERIFIED, ADDRESS_IN_USE = 25015, 25024, 27571


def known_refusal(exc: WebexError, address: str | None, domain: str | None) -> WebexError:
    """Webex's refusal with our sentence for the codes we understand; else unchanged."""
    sentence = {
        PASSWORD_RULES: replies.PW_RULES_REFUSED,
        DOMAIN_NOT_VERIFIED: replies.domain_not_verified(domain or ""),
        ADDRESS_IN_USE: replies.address_in_use(address or ""),
    }.get(exc.error_code or 0)
    if sentence is None:
        return exc
    return type(exc)(
        sentence,
        status=exc.status,
        description=exc.description,
        error_code=exc.error_code,
        tracking_id=exc.tracking_id,
    )
