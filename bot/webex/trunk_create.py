"""What a trunk create's failure means: nothing was created (:class:`TrunkNotCreated`), or
it may have been (:class:`TrunkCreateUnknown`: look before trying again), and a create that
errored yet made its trunk (:class:`CreateOutcome` ``recovered``). The POST itself and the
look-up by name that decides between them are :meth:`bot.webex.calling.CallingClient.create_trunk`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from bot import replies
from bot.errors import WebexError, WebexServerError, WebexUnreachable
from bot.webex.errors import WebexConnectFailed


class TrunkNotCreated(WebexError):
    """The create failed and nothing was created (never sent, or not found afterwards).

    Carries the original error's status, description and tracking ID; ``original`` is it.
    """

    nothing_created = True
    created_unknown = False

    def __init__(self, user_message: str, original: WebexError) -> None:
        super().__init__(user_message, **_fields_of(original))
        self.original = original


class TrunkCreateUnknown(WebexError):
    """The create failed and we could not tell whether the trunk exists: check first."""

    nothing_created = False
    created_unknown = True

    def __init__(
        self, user_message: str, original: WebexError, lookup_error: WebexError | None = None
    ) -> None:
        super().__init__(user_message, **_fields_of(original))
        self.original = original
        self.lookup_error = lookup_error


@dataclass(frozen=True)
class CreateOutcome:
    """A created trunk; ``recovered`` when the create errored yet the trunk exists."""

    trunk_id: str
    recovered: bool = False


def _fields_of(err: WebexError) -> dict[str, Any]:
    return {
        "status": err.status,
        "description": err.description,
        "error_code": err.error_code,
        "tracking_id": err.tracking_id,
        "method": err.method,
        "path": err.path,
    }


def cause_of(err: WebexError) -> str:
    if isinstance(err, WebexConnectFailed):
        return replies.CREATE_CAUSE_NOT_SENT
    if isinstance(err, WebexUnreachable):
        return replies.CREATE_CAUSE_NO_ANSWER
    if isinstance(err, WebexServerError):
        return replies.CREATE_CAUSE_SERVER
    return replies.CREATE_CAUSE_UNREADABLE


def redact(err: WebexError, secret: SecretStr) -> None:
    """Webex's description is shown in chat: make sure it never echoes the password."""
    value = secret.get_secret_value()
    if value and err.description and value in err.description:
        err.description = err.description.replace(value, "••••")
