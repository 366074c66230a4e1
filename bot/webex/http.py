"""The one door to Webex REST: the token, a TrackingID, retries.

Every call to Webex goes through :meth:`WebexHttp.request`. It returns only successful
answers (200, 201, 202, 204, 206); everything else — each status of Webex's error table,
any other status, and every httpx exception — leaves as a :class:`~bot.errors.BotError`
built by :mod:`bot.webex.errors` (the error boundary: status or exception → typed error
and sentence). Nothing that leaves here (exception, log line, sentence) holds a header, a
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
import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from bot import replies
from bot.errors import WebexBadResponse, WebexUnreachable
from bot.webex.errors import (
    JSONObject,
    bad_response,
    error_for_exception,
    error_for_status,
    json_object,
)
from bot.webex.retry import RetryPolicy, parse_retry_after

__all__ = ["DEFAULT_TIMEOUT", "Params", "WebexHttp"]

log = logging.getLogger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
UnauthorizedHook = Callable[[], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SUCCESS = frozenset({200, 201, 202, 204, 206})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
THROTTLED = frozenset({423, 429})
_HTTPX_DEFAULT_TIMEOUT = httpx.Timeout(5.0)

#: Told of every Webex call made: (method, URL path, HTTP status or 0 for no answer, seconds).
#: The metrics (bot.transports.metrics) count them; observers must be quick and not raise.
CALL_OBSERVERS: list[Callable[[str, str, int, float], None]] = []
#: Told of every wait a 429/423's ``Retry-After`` made a call take (seconds).
WAIT_OBSERVERS: list[Callable[[float], None]] = []


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, which reads a response's cookies only when it sets some.

    httpx runs every response through ``http.cookiejar`` (a ``urllib`` request built to
    ask it), ~3% of the bot's CPU in a burst (py-spy, bench/e2e.py) for Webex REST, which
    sets none; a response without ``Set-Cookie`` leaves the jar as it was either way."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


_PROCESS_TAG = uuid.uuid4().hex[:12]
_CALLS = itertools.count(1)


def _tracking_suffix() -> str:
    """Unique per call and per process: a random tag drawn at start and a counter (a uuid4
    per call read the OS's random source each time, ~2% of the bot's CPU in a burst)."""
    return f"{_PROCESS_TAG}-{next(_CALLS):x}"


def _observe_call(method: str, path: str, status: int, seconds: float) -> None:
    for observer in CALL_OBSERVERS:
        observer(method, path, status, seconds)


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
        if type(client.cookies) is httpx.Cookies:  # httpx has no setting for its jar's class
            cookies = _Cookies()
            cookies.jar = client.cookies.jar  # the same jar: cookies set on it stay
            client._cookies = cookies
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
        #: Called with the wait Webex asked for on every 429/423 this identity gets: a bulk
        #: job slows down for everyone's sake (commands.bulk).
        self.throttle_listeners: list[Callable[[float], None]] = []

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
        files: Any = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one call (retrying as the module docstring says); a success answer or a
        BotError. ``path`` is relative to the base URL (or an absolute URL on its host)."""
        method = method.upper()
        url = httpx.URL(path)
        if url.is_absolute_url and not self.same_origin(url):
            raise ValueError("refusing to send the admin token to another host")
        safe = method in SAFE_METHODS if retry_5xx is None else retry_5xx
        tracking_id = f"{self._tracking_prefix}_{_tracking_suffix()}"
        policy = self.retry
        refreshed, throttled, failures, waited = False, 0, 0, 0.0
        while True:
            delay: float | None = None
            token = await self._token_provider()
            try:
                response = await self._send(
                    method, url, params, json, token, tracking_id, files=files, data=data
                )
            except httpx.HTTPError as exc:
                error = error_for_exception(
                    exc, method=method, path=url.path, tracking_id=tracking_id
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
                    wait = parse_retry_after(
                        retry_after,
                        default=policy.default_retry_after,
                        cap=policy.max_retry_after,
                    )
                    for listener in list(self.throttle_listeners):
                        listener(wait)
                    if throttled < policy.throttle_attempts:
                        delay = wait
                        for waited_for in WAIT_OBSERVERS:
                            waited_for(wait)
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
                url.path,
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
        url: httpx.URL,
        params: Params | None,
        body: Any,
        token: str,
        tracking_id: str,
        *,
        files: Any = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "TrackingID": tracking_id,
            "Accept": "application/json",
        }
        started = time.perf_counter()
        url_path = url.path  # logged without the query string
        try:
            response = await self._client.request(
                method,
                url,
                params=params,
                json=body,
                files=files,
                data=data,
                headers=headers,
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            _observe_call(method, url_path, 0, time.perf_counter() - started)
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
        _observe_call(method, url_path, response.status_code, duration_ms / 1000)
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
