"""The errors Trunkbot raises, each carrying a sentence that is safe to show in chat.

Every expected failure is a :class:`BotError`. Its ``user_message`` is written for the
person in the space (no exception text, no JSON, no token, no password); ``str(error)`` is
the same sentence, so an accidental ``str(e)`` in a log is harmless too. Foreign errors
(httpx, pydantic, tomllib) are translated at one boundary each: httpx in
``bot.webex.http``, pydantic in ``bot.validation``, the policy file in ``bot.auth``.
Anything that is *not* a BotError is a bug: the router logs it with an incident id and
answers generically.

    BotError
    ├── UsageError            the person's input is wrong (grammar, a field, a location)
    │   ├── Ambiguity             it matches several things: the bot asks which one
    │   │   ├── AmbiguousLocation     several calling locations (bot.webex.locations)
    │   │   └── AmbiguousTrunk        several trunks (bot.webex.trunk_admin)
    │   ├── CardRefused           a card submission that isn't acceptable (forged, stale)
    │   ├── GrammarError          the arguments can't be read (bot.grammar)
    │   │   ├── UnknownKey            a key that is neither canonical nor an alias
    │   │   ├── RepeatedKey           the same key twice, perhaps under two spellings
    │   │   ├── BareWord              a word with no ``key=`` in front of it
    │   │   ├── EmptyKey              an ``=`` with nothing in front of it
    │   │   ├── UnterminatedQuote     a quote opened and never closed
    │   │   └── TextAfterQuote        a quoted value goes on after its closing quote
    │   ├── GatewayConfigError    a trunk's details can't make a configuration (bot.gateway_config)
    │   ├── GroupFull             a route group holds Webex's maximum of trunks (bot.webex.routing)
    │   ├── InvalidRequest        the request's fields have problems (bot.validation)
    │   ├── LocationNotFound      no calling location matches (bot.webex.locations)
    │   └── TrunkNotFound         no trunk matches (bot.webex.trunk_admin)
    ├── NotAllowed            the policy refuses this person this action
    ├── StoreDown             the database stopped answering mid-command (bot.store.errors)
    ├── ConfigError           settings or policy file are wrong (exit code 2 on the CLI)
    │   ├── RefreshTokenRejected  the refresh token is revoked (bot.webex.tokens)
    │   └── StoreUnavailable      the database doesn't answer at start (bot.store.errors)
    └── WebexError            Webex answered with an error, or did not answer
        ├── WebexBadRequest        400, 405, 410, 415, 428: the request itself was refused
        ├── WebexAuthError         401: the admin token is missing, expired or revoked
        ├── WebexForbidden         403: the token lacks the scope or admin role
        ├── WebexNotFound          404
        ├── WebexConflict          409: e.g. a trunk with that name already exists
        ├── WebexRetryable         423, 429 after our retries ran out
        ├── WebexServerError       500, 502, 503, 504 after our retries ran out
        ├── WebexUnreachable       timeout or connection error: Webex did not answer
        │   └── WebexConnectFailed     the connection never opened, nothing sent (bot.webex.http)
        ├── WebexBadResponse       Webex answered 2xx with a body we cannot read
        ├── TrunkNotCreated        a create failed and nothing was created (bot.webex.trunk_create)
        └── TrunkCreateUnknown     a failed create may have made it (bot.webex.trunk_create)

Subclasses defined outside this module name their module; tests/test_errors.py checks that
every BotError subclass in bot/ and commands/ stands here, under its own parent.
"""

from __future__ import annotations


class BotError(Exception):
    """An expected failure; ``user_message`` is safe to post to a space."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class UsageError(BotError):
    """The person's input cannot be used; the sentence says what to type instead."""


class Ambiguity(UsageError):
    """What the person typed matches several things; the sentence asks which one.

    ``key`` names the request's field it answers (``location``, ``trunk``) and ``choices``
    are (label, value) pairs: the router keeps them, and the person's next message in that
    space (a label, or its number) finishes the request with that value.
    """

    def __init__(self, user_message: str, key: str, choices: list[tuple[str, str]]) -> None:
        super().__init__(user_message)
        self.key = key
        self.choices = choices


class CardRefused(UsageError):
    """A card submission we refuse: not one of our live cards, not this space, or used."""


class NotAllowed(BotError):
    """The policy refuses this person this action (or this location, or this org).

    ``reason`` is the policy's own account, for the audit trail (not shown in chat).
    """

    def __init__(self, user_message: str, *, reason: str | None = None) -> None:
        super().__init__(user_message)
        self.reason = reason


class ConfigError(BotError):
    """Settings or the policy file are wrong; one line for the operator."""


class WebexError(BotError):
    """Webex refused a request or did not answer.

    ``description`` and ``error_code`` come from Webex's ``errors[0]`` (or the top-level
    ``message``), ``tracking_id`` from its body or ``TrackingID`` header. They are shown to
    the person as Webex's own words; they never contain our request body.
    """

    def __init__(
        self,
        user_message: str,
        *,
        status: int | None = None,
        description: str | None = None,
        error_code: int | None = None,
        tracking_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(user_message)
        self.status = status
        self.description = description
        self.error_code = error_code
        self.tracking_id = tracking_id
        self.method = method
        self.path = path


class WebexBadRequest(WebexError):
    """400, 405, 410, 415, 428: Webex refused the request as it stands."""


class WebexAuthError(WebexError):
    """401: the credentials are missing, expired or revoked."""


class WebexForbidden(WebexError):
    """403: the identity lacks the scope or the admin role."""


class WebexNotFound(WebexError):
    """404: no such resource (or not visible to this identity)."""


class WebexConflict(WebexError):
    """409: conflicts with an existing object (a duplicate name, an address in use)."""


class WebexRetryable(WebexError):
    """423 or 429 that did not clear within our retry budget."""


class WebexServerError(WebexError):
    """5xx that did not clear within our retry budget (or was not safe to retry)."""


class WebexUnreachable(WebexError):
    """No answer: a timeout or a connection error. The request may or may not have landed."""


class WebexBadResponse(WebexError):
    """A success status with a body that does not match the API description."""
