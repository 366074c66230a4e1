"""Webex's error answers, for both halves of the fake: the wording per status, the body
(``{"message", "errors": [{"description", "errorCode"?}], "trackingId"}``) and the exception a
route raises to send one."""

from __future__ import annotations

from typing import Any

STATUS_MESSAGES: dict[int, str] = {
    400: "The request was invalid or cannot be otherwise served.",
    401: "The request requires a valid access token set in the Authorization request header.",
    403: "The request is understood, but it has been refused or access is not allowed.",
    404: "The requested resource could not be found.",
    405: "The request was made to a resource using an HTTP request method that is not supported.",
    409: "The request could not be processed because it conflicts with some established rule.",
    410: "The requested resource is no longer available.",
    415: "The request was made to a resource without specifying a supported media type.",
    423: "The requested resource is temporarily unavailable.",
    428: "Precondition required.",
    429: "Too many requests have been sent in a given amount of time.",
    500: "Something went wrong on the server.",
    502: "The server received an invalid response from an upstream server.",
    503: "Server is overloaded with requests. Try again later.",
    504: "An upstream server failed to respond on time.",
}


class ApiError(Exception):
    """Raised by a route of either half; rendered as a Webex error body by its app's exception
    handler. ``description`` defaults to Webex's wording for ``status``; ``message`` (the
    body's top-level one) to ``description``."""

    def __init__(
        self,
        status: int,
        description: str | None = None,
        error_code: int | None = None,
        *,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        described = description or STATUS_MESSAGES.get(status, "Error")
        super().__init__(described)
        self.status = status
        self.description = described
        self.error_code = error_code
        self.message = message or described
        self.headers = headers or {}


def error_body(
    description: str, error_code: int | None, tracking: str, message: str | None = None
) -> dict[str, Any]:
    """``{"message", "errors": [{"description", "errorCode"?}], "trackingId"}``."""
    item: dict[str, Any] = {"description": description}
    if error_code is not None:
        item["errorCode"] = error_code
    return {"message": message or description, "errors": [item], "trackingId": tracking}
