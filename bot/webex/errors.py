"""Webex's answers as :class:`~bot.errors.BotError`: the error boundary of the REST client.

Each status of Webex's error table (and any other status), each httpx exception, and a
success answer whose body can't be read becomes a typed :class:`~bot.errors.WebexError`
carrying a sentence from :mod:`bot.replies`, plus Webex's description, error code and
tracking ID. Nothing here keeps a header, a body or a token. :mod:`bot.webex.http` (the
transport) raises what these functions build.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot import replies
from bot.errors import (
    BotError,
    ConfigError,
    WebexAuthError,
    WebexBadRequest,
    WebexBadResponse,
    WebexConflict,
    WebexError,
    WebexForbidden,
    WebexNotFound,
    WebexRetryable,
    WebexServerError,
    WebexUnreachable,
)
from bot.replies import esc

JSONObject = dict[str, Any]
_DESCRIPTION_MAX = 300


class WebexConnectFailed(WebexUnreachable):
    """The connection could not be opened (connect/pool timeout, refused, proxy): nothing
    was sent, so even a POST certainly did not land."""


_STATUS_CLASS: dict[int, type[WebexError]] = {
    400: WebexBadRequest,
    401: WebexAuthError,
    403: WebexForbidden,
    404: WebexNotFound,
    405: WebexBadRequest,
    409: WebexConflict,
    410: WebexBadRequest,
    415: WebexBadRequest,
    423: WebexRetryable,
    428: WebexBadRequest,
    429: WebexRetryable,
    500: WebexServerError,
    502: WebexServerError,
    503: WebexServerError,
    504: WebexServerError,
}


def _text(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    return text if len(text) <= _DESCRIPTION_MAX else text[:_DESCRIPTION_MAX] + "…"


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _error_details(response: httpx.Response) -> tuple[str | None, int | None, str | None]:
    """Webex's ``(description, errorCode, trackingId)`` from an error body of any shape."""
    try:
        body: object = response.json()
    except (ValueError, RecursionError):  # not JSON, empty, HTML, bad encoding, too deep
        body = None
    description = code = tracking = None
    if isinstance(body, dict):
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else None
        if isinstance(first, dict):
            description = _text(first.get("description"))
            code = _int(first.get("errorCode"))
        description = description or _text(body.get("message"))
        code = code if code is not None else _int(body.get("errorCode"))
        tracking = _text(body.get("trackingId"))
    return description, code, tracking or _text(response.headers.get("trackingid"))


def error_for_status(
    response: httpx.Response, *, method: str, tracking_id: str | None = None
) -> WebexError:
    """The typed error for a non-success answer (any status, any body)."""
    status = response.status_code
    cls = _STATUS_CLASS.get(status)
    sentence = replies.WEBEX_STATUS.get(status)
    if cls is None or sentence is None:
        if 400 <= status < 500:
            cls, template = WebexBadRequest, replies.WEBEX_OTHER_4XX
        elif 500 <= status < 600:
            cls, template = WebexServerError, replies.WEBEX_OTHER_5XX
        else:
            cls, template = WebexBadResponse, replies.WEBEX_UNEXPECTED_STATUS
        sentence = template.format(status=status)
    description, code, tracking = _error_details(response)
    return cls(
        sentence,
        status=status,
        description=description,
        error_code=code,
        tracking_id=tracking or tracking_id,
        method=method,
        path=response.request.url.path,
    )


def error_for_exception(
    exc: httpx.HTTPError, *, method: str, path: str, tracking_id: str | None = None
) -> BotError:
    """The typed error for an httpx exception; its text (which may quote a header) is
    dropped."""
    kind: type[WebexError]
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        kind, sentence = WebexConnectFailed, replies.WEBEX_TIMEOUT
    elif isinstance(exc, httpx.TimeoutException):
        kind, sentence = WebexUnreachable, replies.WEBEX_TIMEOUT
    elif isinstance(exc, httpx.ProxyError):
        kind, sentence = WebexConnectFailed, replies.WEBEX_PROXY
    elif isinstance(exc, httpx.ConnectError):
        kind, sentence = WebexConnectFailed, replies.WEBEX_CONNECT
    elif isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
        # Our side cannot form the request (a bad API URL, a token with a newline): nothing
        # was sent, and retrying will not help. The operator has to fix a setting.
        return ConfigError(replies.WEBEX_CLIENT_CONFIG)
    elif isinstance(exc, httpx.DecodingError | httpx.TooManyRedirects):
        kind, sentence = WebexBadResponse, replies.WEBEX_BAD_RESPONSE
    else:  # ReadError, WriteError, CloseError, RemoteProtocolError, any future TransportError
        kind, sentence = WebexUnreachable, replies.WEBEX_DROPPED
    return kind(sentence, method=method, path=path, tracking_id=tracking_id)


def bad_response(response: httpx.Response, tracking_id: str | None = None) -> WebexBadResponse:
    """A success status whose body we cannot use (never pydantic's or json's text)."""
    return WebexBadResponse(
        replies.WEBEX_BAD_RESPONSE,
        status=response.status_code,
        tracking_id=_text(response.headers.get("trackingid")) or tracking_id,
        method=response.request.method,
        path=response.request.url.path,
    )


def json_object(response: httpx.Response) -> JSONObject:
    """The JSON object of a success answer; ``{}`` for an empty body (204)."""
    if not response.content:
        return {}
    try:
        body: object = response.json()
    except (ValueError, RecursionError):
        raise bad_response(response) from None
    if not isinstance(body, dict):
        raise bad_response(response)
    return body


def user_sentence(err: BotError) -> str:
    """The whole failure a person sees: our sentence, Webex's words, the tracking ID."""
    parts = [err.user_message]
    if isinstance(err, WebexError):
        if err.description:
            parts.append(replies.WEBEX_SAID.format(description=esc(err.description)))
        if err.tracking_id:
            parts.append(
                replies.WEBEX_TRACKING_ID.format(tracking_id=replies.code(err.tracking_id))
            )
    return " ".join(parts)
