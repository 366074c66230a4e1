"""The one door to Webex REST: the token, a TrackingID, retries, and the error boundary.

Every call to Webex goes through :meth:`WebexHttp.request`. It returns only successful
answers (200, 201, 202, 204, 206); everything else — each status of Webex's error table,
any other status, and every httpx exception — leaves as a :class:`~bot.errors.BotError`
carrying a sentence from :mod:`bot.replies`, plus Webex's description, error code and
tracking ID. Nothing that leaves here (exception, log line, sentence) holds a header, a
body or the token.

Retries, and why (stamina's rule: retry only what is safe to repeat):

* 429 and 423: Webex did not process the request, so any method is retried after
  ``Retry-After`` (missing → 5 s, malformed → 5 s, capped at 60 s, as wxc_sdk does; a
  malformed value once crashed webexpythonsdk, issue #181).
* 5xx, timeouts, dropped connections: only GET/HEAD/OPTIONS, or a call marked
  ``retry_5xx=True`` by a caller who knows it is side-effect free. A POST may have landed
  (a trunk create, say), so it is never repeated: the caller decides (see calling.py).
* 401: ``on_unauthorized`` (refresh a service-app token) once, then one more try.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
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

log = logging.getLogger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
UnauthorizedHook = Callable[[], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int]
JSONObject = dict[str, Any]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SUCCESS = frozenset({200, 201, 202, 204, 206})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
THROTTLED = frozenset({423, 429})
_HTTPX_DEFAULT_TIMEOUT = httpx.Timeout(5.0)
_DESCRIPTION_MAX = 300


class WebexConnectFailed(WebexUnreachable):
    """The connection could not be opened (connect/pool timeout, refused, proxy): nothing
    was sent, so even a POST certainly did not land."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop; tests shrink them, production keeps the defaults."""

    throttle_attempts: int = 4  # tries in all while Webex answers 429/423
    default_retry_after: float = 5.0
    max_retry_after: float = 60.0
    failure_attempts: int = 3  # tries in all for a safe call on 5xx / no answer
    backoff_base: float = 0.5
    backoff_max: float = 4.0
    max_total_wait: float = 120.0  # a person is waiting in the chat


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

_SECONDS = re.compile(r"\d{1,9}(?:\.\d{1,6})?")


def parse_retry_after(
    value: str | None,
    *,
    default: float = 5.0,
    cap: float = 60.0,
    now: datetime | None = None,
) -> float:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    Missing or malformed ("soon", "-3", "1e9") gives ``default``; the result is capped.
    """
    if value is None:
        return min(default, cap)
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return min(float(text), cap)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return min(default, cap)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), cap)


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


class WebexHttp:
    """One identity's way to Webex over a shared ``httpx.AsyncClient`` (base URL set by the
    caller, e.g. ``https://webexapis.com/v1``; swap its transport in tests)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        token_provider: TokenProvider,
        *,
        on_unauthorized: UnauthorizedHook | None = None,
        sleep: Sleep = asyncio.sleep,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        tracking_prefix: str = "TRUNKBOT",
    ) -> None:
        self._client = client
        self._token_provider = token_provider
        self._on_unauthorized = on_unauthorized
        self.sleep = sleep
        self.retry = retry or RetryPolicy()
        # httpx's own default (5 s for everything) is short for a trunk create; a timeout
        # the caller set on the client is respected.
        if timeout is None:
            same = client.timeout == _HTTPX_DEFAULT_TIMEOUT
            timeout = DEFAULT_TIMEOUT if same else client.timeout
        self._timeout = timeout
        self._tracking_prefix = tracking_prefix

    def same_origin(self, url: httpx.URL) -> bool:
        """True for a URL on the client's own host: the only place the token may go."""
        base = self._client.base_url
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        retry_5xx: bool | None = None,
    ) -> httpx.Response:
        """Send one call (retrying as the module docstring says); a success answer or a
        BotError. ``path`` is relative to the base URL (or an absolute URL on its host)."""
        method = method.upper()
        if httpx.URL(path).is_absolute_url and not self.same_origin(httpx.URL(path)):
            raise ValueError("refusing to send the admin token to another host")
        safe = method in SAFE_METHODS if retry_5xx is None else retry_5xx
        tracking_id = f"{self._tracking_prefix}_{uuid.uuid4()}"
        policy = self.retry
        refreshed, throttled, failures, waited = False, 0, 0, 0.0
        while True:
            delay: float | None = None
            token = await self._token_provider()
            try:
                response = await self._send(method, path, params, json, token, tracking_id)
            except httpx.HTTPError as exc:
                error = error_for_exception(
                    exc, method=method, path=httpx.URL(path).path, tracking_id=tracking_id
                )
                failures += 1
                retryable = safe and isinstance(error, WebexUnreachable)
                if retryable and failures < policy.failure_attempts:
                    delay = self._backoff(failures)
                if delay is None or waited + delay > policy.max_total_wait:
                    # "from None": httpx's text can quote a header (h11 does), keep it out.
                    raise error from None
            else:
                status = response.status_code
                if status in SUCCESS:
                    return response
                if status == 401 and self._on_unauthorized is not None and not refreshed:
                    refreshed = True
                    await self._on_unauthorized()
                    continue
                retry_after = response.headers.get("retry-after")
                if status in THROTTLED:
                    throttled += 1
                    if throttled < policy.throttle_attempts:
                        delay = parse_retry_after(
                            retry_after,
                            default=policy.default_retry_after,
                            cap=policy.max_retry_after,
                        )
                elif status >= 500 and safe:
                    failures += 1
                    if failures < policy.failure_attempts:
                        delay = self._backoff(failures)
                        if retry_after is not None:
                            delay = parse_retry_after(
                                retry_after, default=delay, cap=policy.max_retry_after
                            )
                if delay is None or waited + delay > policy.max_total_wait:
                    error = error_for_status(response, method=method, tracking_id=tracking_id)
                    if token and error.description and token in error.description:
                        error.description = error.description.replace(token, "••••")
                    raise error
            waited += delay
            log.debug(
                "webex.retry %s %s in %.1f s (TrackingID %s)",
                method,
                httpx.URL(path).path,
                delay,
                tracking_id,
                extra={"method": method, "delay_s": delay, "tracking_id": tracking_id},
            )
            await self.sleep(delay)

    def _backoff(self, failures: int) -> float:
        return float(min(self.retry.backoff_max, self.retry.backoff_base * 2 ** (failures - 1)))

    async def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: Any,
        token: str,
        tracking_id: str,
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "TrackingID": tracking_id,
            "Accept": "application/json",
        }
        started = time.perf_counter()
        url_path = httpx.URL(path).path  # logged without the query string
        try:
            response = await self._client.request(
                method, path, params=params, json=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            log.debug(
                "webex.request %s %s failed: %s after %.0f ms (TrackingID %s)",
                method,
                url_path,
                type(exc).__name__,
                (time.perf_counter() - started) * 1000,
                tracking_id,
                extra={"method": method, "error": type(exc).__name__, "tracking_id": tracking_id},
            )
            raise
        duration_ms = (time.perf_counter() - started) * 1000
        webex_tracking = response.headers.get("trackingid", tracking_id)
        log.debug(
            "webex.request %s %s → %d in %.0f ms (trackingId %s)",
            method,
            response.request.url.path,
            response.status_code,
            duration_ms,
            webex_tracking,
            extra={
                "method": method,
                "url_path": response.request.url.path,
                "status": response.status_code,
                "duration_ms": round(duration_ms),
                "tracking_id": webex_tracking,
            },
        )
        return response

    async def get_json(
        self, path: str, params: Params | None = None, *, retry_5xx: bool | None = None
    ) -> JSONObject:
        """GET a JSON object."""
        return json_object(await self.request("GET", path, params=params, retry_5xx=retry_5xx))

    async def post_json(
        self,
        path: str,
        json: Any = None,
        params: Params | None = None,
        *,
        retry_5xx: bool | None = None,
    ) -> JSONObject:
        """POST and read the JSON object answered (``{}`` for 204). Not retried on 5xx
        unless ``retry_5xx=True``."""
        response = await self.request("POST", path, params=params, json=json, retry_5xx=retry_5xx)
        return json_object(response)

    async def get_pages(
        self, path: str, params: Params | None, item_key: str, *, max_pages: int = 500
    ) -> list[JSONObject]:
        """Every item of a list, following ``Link: <…>; rel="next"`` on the same host."""
        items: list[JSONObject] = []
        url, page_params = path, params
        seen: set[str] = set()
        for _ in range(max_pages):
            response = await self.request("GET", url, params=page_params)
            page = json_object(response).get(item_key)
            if not isinstance(page, list) or not all(isinstance(i, dict) for i in page):
                raise bad_response(response)
            items.extend(page)
            link = response.links.get("next", {}).get("url")
            if not link:
                return items
            try:
                next_url = response.request.url.join(link)
            except httpx.InvalidURL:
                raise bad_response(response) from None
            # A next link to another host would carry our admin token there; a repeated one
            # would loop forever.
            if not self.same_origin(next_url) or str(next_url) in seen:
                raise bad_response(response)
            seen.add(str(next_url))
            url, page_params = str(next_url), None
        raise WebexBadResponse(replies.WEBEX_BAD_RESPONSE, method="GET", path=path)
