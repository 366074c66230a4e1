"""The Webex HTTP boundary: statuses, retries, tracking IDs, paging, and no leaked token.

Webex is an ``httpx.MockTransport`` answering from a script; ``sleep`` is a recorder, so
nothing here really waits.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

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
from bot.webex.errors import WebexConnectFailed, user_sentence
from bot.webex.http import DEFAULT_TIMEOUT, WebexHttp
from bot.webex.retry import RetryPolicy, parse_retry_after

BASE = "https://webexapis.test/v1"
TOKEN = "ADMIN-TOKEN-s3cr3t-value"
ERROR_BODY = {
    "message": "top-level message",
    "errors": [{"description": "Webex says no", "errorCode": 25015}],
    "trackingId": "ROUTER_abc",
}
Answer = httpx.Response | type[Exception] | Exception


class Script:
    """Fake Webex: answers in order (the last one repeats) and records every request."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, type):
            # httpx (h11) can quote a header in its message: ours quotes the token.
            raise answer(f"boom Authorization: Bearer {TOKEN}", request=request)  # type: ignore[call-arg]
        if isinstance(answer, Exception):
            raise answer
        return answer


MakeHttp = Callable[..., tuple[WebexHttp, Script, list[float]]]


@pytest.fixture
async def make_http() -> AsyncIterator[MakeHttp]:
    """Build a WebexHttp over a scripted fake; returns (http, script, sleeps)."""
    clients: list[httpx.AsyncClient] = []

    def build(
        *answers: Answer,
        retry: RetryPolicy | None = None,
        on_unauthorized: Callable[[], Awaitable[None]] | None = None,
        token: Callable[[], Awaitable[str]] | None = None,
        client_timeout: httpx.Timeout | None = None,
    ) -> tuple[WebexHttp, Script, list[float]]:
        script = Script(*answers)
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        async def static_token() -> str:
            return TOKEN

        kwargs: dict[str, Any] = {} if client_timeout is None else {"timeout": client_timeout}
        client = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(script), **kwargs)
        clients.append(client)
        http = WebexHttp(
            client,
            token_provider=token or static_token,
            on_unauthorized=on_unauthorized,
            sleep=sleep,
            retry=retry,
        )
        return http, script, sleeps

    yield build
    for client in clients:
        await client.aclose()


def webex_error(status: int, body: Any = ERROR_BODY, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


NO_RETRY = RetryPolicy(throttle_attempts=1, failure_attempts=1)

# --- every status of Webex's table -----------------------------------------------------

STATUS_TABLE = [
    (400, WebexBadRequest),
    (401, WebexAuthError),
    (403, WebexForbidden),
    (404, WebexNotFound),
    (405, WebexBadRequest),
    (409, WebexConflict),
    (410, WebexBadRequest),
    (415, WebexBadRequest),
    (423, WebexRetryable),
    (428, WebexBadRequest),
    (429, WebexRetryable),
    (500, WebexServerError),
    (502, WebexServerError),
    (503, WebexServerError),
    (504, WebexServerError),
]


@pytest.mark.parametrize(
    ("status", "error_class"), STATUS_TABLE, ids=[str(s) for s, _ in STATUS_TABLE]
)
async def test_status_maps_to_error_and_sentence(
    make_http: MakeHttp, status: int, error_class: type[WebexError]
) -> None:
    """Each documented status becomes its error class with its sentence and Webex's words."""
    http, _, _ = make_http(webex_error(status), retry=NO_RETRY)
    with pytest.raises(error_class) as caught:
        await http.request("GET", "/telephony/config/locations")
    err = caught.value
    assert type(err) is error_class
    assert err.user_message == replies.WEBEX_STATUS[status]
    assert (err.status, err.description, err.error_code) == (status, "Webex says no", 25015)
    assert err.tracking_id == "ROUTER_abc"
    assert (err.method, err.path) == ("GET", "/v1/telephony/config/locations")


OTHER_STATUSES = [
    (302, WebexBadResponse, replies.WEBEX_UNEXPECTED_STATUS),
    (418, WebexBadRequest, replies.WEBEX_OTHER_4XX),
    (451, WebexBadRequest, replies.WEBEX_OTHER_4XX),
    (501, WebexServerError, replies.WEBEX_OTHER_5XX),
    (599, WebexServerError, replies.WEBEX_OTHER_5XX),
]


@pytest.mark.parametrize(
    ("status", "error_class", "template"), OTHER_STATUSES, ids=[str(s[0]) for s in OTHER_STATUSES]
)
async def test_status_outside_the_table_still_maps(
    make_http: MakeHttp, status: int, error_class: type[WebexError], template: str
) -> None:
    """A status Webex does not document still becomes a typed error naming the status."""
    http, _, _ = make_http(webex_error(status), retry=NO_RETRY)
    with pytest.raises(error_class) as caught:
        await http.request("POST", "/x")
    assert caught.value.user_message == template.format(status=status)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 206], ids=str)
async def test_success_statuses_are_returned(make_http: MakeHttp, status: int) -> None:
    """Every success status Webex uses comes back as the response."""
    http, _, _ = make_http(httpx.Response(status))
    response = await http.request("GET", "/x")
    assert response.status_code == status


# --- error bodies of every shape -------------------------------------------------------

BODY_SHAPES: list[tuple[str, bytes, dict[str, str], str | None, int | None, str | None]] = [
    (
        "errors-list",
        b'{"errors":[{"description":"bad name","errorCode":25015}],"trackingId":"ROUTER_1"}',
        {},
        "bad name",
        25015,
        "ROUTER_1",
    ),
    (
        "message-only+header",
        b'{"message":"just a message"}',
        {"trackingid": "ROUTER_hdr"},
        "just a message",
        None,
        "ROUTER_hdr",
    ),
    ("top-level-code", b'{"message":"m","errorCode":4003}', {}, "m", 4003, None),
    (
        "code-as-string",
        b'{"errors":[{"description":"d","errorCode":"27571"}]}',
        {},
        "d",
        27571,
        None,
    ),
    ("html", b"<html><body>502 Bad Gateway</body></html>", {"trackingid": "T9"}, None, None, "T9"),
    ("empty", b"", {}, None, None, None),
    ("json-list", b"[1, 2]", {}, None, None, None),
    (
        "wrong-types",
        b'{"errors":"x","message":5,"trackingId":7,"errorCode":true}',
        {},
        None,
        None,
        None,
    ),
    ("errors-null-item", b'{"errors":[null],"message":"fallback"}', {}, "fallback", None, None),
    (
        "blank-description",
        b'{"errors":[{"description":"  "}],"message":"m2"}',
        {},
        "m2",
        None,
        None,
    ),
    ("not-utf8", b"\xff\xfe\xfa", {}, None, None, None),
    ("too-deep", b"[" * 100_000, {}, None, None, None),
]


@pytest.mark.parametrize(
    ("body", "headers", "description", "code", "tracking"),
    [s[1:] for s in BODY_SHAPES],
    ids=[s[0] for s in BODY_SHAPES],
)
async def test_error_body_parsed_defensively(
    make_http: MakeHttp,
    body: bytes,
    headers: dict[str, str],
    description: str | None,
    code: int | None,
    tracking: str | None,
) -> None:
    """Any error body yields what it can: description, code, tracking ID, or ours."""
    http, _, _ = make_http(httpx.Response(400, content=body, headers=headers))
    with pytest.raises(WebexBadRequest) as caught:
        await http.request("GET", "/x")
    err = caught.value
    assert (err.description, err.error_code) == (description, code)
    if tracking is None:  # falls back to the TrackingID we sent
        assert err.tracking_id is not None
        assert err.tracking_id.startswith("TRUNKBOT_")
    else:
        assert err.tracking_id == tracking


async def test_long_description_is_truncated(make_http: MakeHttp) -> None:
    """A runaway description is cut so the chat message stays short."""
    http, _, _ = make_http(webex_error(400, {"message": "x" * 5000}))
    with pytest.raises(WebexBadRequest) as caught:
        await http.request("GET", "/x")
    assert caught.value.description is not None
    assert len(caught.value.description) <= 301


# --- 429 / 423: Retry-After ------------------------------------------------------------

RETRY_AFTER = [
    ("2", 2.0),
    ("0", 0.0),
    (None, 5.0),
    ("120", 60.0),
    ("999999999", 60.0),
    ("soon", 5.0),
    ("-3", 5.0),
    ("1e9", 5.0),
    ("", 5.0),
    ("nan", 5.0),
    ("Wed, 21 Oct 2099 07:28:00 GMT", 60.0),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
]


@pytest.mark.parametrize("status", [429, 423], ids=str)
@pytest.mark.parametrize(("header", "expected"), RETRY_AFTER, ids=[repr(r[0]) for r in RETRY_AFTER])
async def test_throttled_then_ok_waits_retry_after(
    make_http: MakeHttp, status: int, header: str | None, expected: float
) -> None:
    """429/423 waits Retry-After (missing/malformed → 5 s, capped at 60 s), then retries."""
    headers = {} if header is None else {"Retry-After": header}
    http, script, sleeps = make_http(webex_error(status, **headers), httpx.Response(200, json={}))
    response = await http.request("GET", "/x")
    assert response.status_code == 200
    assert sleeps == [expected]
    assert len(script.requests) == 2


async def test_throttled_post_is_retried(make_http: MakeHttp) -> None:
    """A POST answered 429 was not processed by Webex, so it is sent again."""
    http, script, sleeps = make_http(
        webex_error(429, **{"Retry-After": "1"}), httpx.Response(201, json={"id": "T1"})
    )
    assert (await http.post_json("/trunks", {"name": "a"})) == {"id": "T1"}
    assert [r.method for r in script.requests] == ["POST", "POST"]
    assert sleeps == [1.0]


async def test_throttling_gives_up_after_bounded_attempts(make_http: MakeHttp) -> None:
    """Endless 429s end as WebexRetryable after four tries and three waits."""
    http, script, sleeps = make_http(webex_error(429, **{"Retry-After": "3"}))
    with pytest.raises(WebexRetryable) as caught:
        await http.request("POST", "/x")
    assert caught.value.user_message == replies.WEBEX_STATUS[429]
    assert len(script.requests) == 4
    assert sleeps == [3.0, 3.0, 3.0]


async def test_throttling_respects_total_wait_budget(make_http: MakeHttp) -> None:
    """Waits stop once the next one would exceed the total budget a person can bear."""
    http, script, sleeps = make_http(
        webex_error(429, **{"Retry-After": "60"}), retry=RetryPolicy(max_total_wait=100)
    )
    with pytest.raises(WebexRetryable):
        await http.request("GET", "/x")
    assert sleeps == [60.0]
    assert len(script.requests) == 2


def test_retry_after_http_date_is_relative_to_now() -> None:
    """An HTTP-date Retry-After waits until that moment."""
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Tue, 01 Jan 2030 12:00:07 GMT", now=now) == 7.0


# --- 5xx, timeouts, dropped connections ------------------------------------------------

FAILURES: list[tuple[str, Answer, type[BotError]]] = [
    ("503", webex_error(503), WebexServerError),
    ("500", webex_error(500), WebexServerError),
    ("504", webex_error(504), WebexServerError),
    ("read-timeout", httpx.ReadTimeout, WebexUnreachable),
    ("connect-error", httpx.ConnectError, WebexConnectFailed),
    ("connection-reset", httpx.ReadError, WebexUnreachable),
    ("remote-protocol", httpx.RemoteProtocolError, WebexUnreachable),
]


@pytest.mark.parametrize(
    ("failure", "error_class"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
async def test_get_retried_after_failure_then_ok(
    make_http: MakeHttp, failure: Answer, error_class: type[BotError]
) -> None:
    """A GET is safe to repeat: one failure, a short backoff, then the answer."""
    http, script, sleeps = make_http(failure, httpx.Response(200, json={"ok": True}))
    assert await http.get_json("/x") == {"ok": True}
    assert len(script.requests) == 2
    assert sleeps == [0.5]


async def test_get_gives_up_after_bounded_failures(make_http: MakeHttp) -> None:
    """A GET that keeps failing ends after three tries with growing backoff."""
    http, script, sleeps = make_http(webex_error(503))
    with pytest.raises(WebexServerError):
        await http.request("GET", "/x")
    assert len(script.requests) == 3
    assert sleeps == [0.5, 1.0]


async def test_5xx_retry_after_is_honoured_for_safe_calls(make_http: MakeHttp) -> None:
    """A 503 with Retry-After waits that long (capped) before the safe retry."""
    http, _, sleeps = make_http(webex_error(503, **{"Retry-After": "7"}), httpx.Response(204))
    await http.request("GET", "/x")
    assert sleeps == [7.0]


@pytest.mark.parametrize(
    ("failure", "error_class"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
async def test_post_never_retried_on_failure(
    make_http: MakeHttp, failure: Answer, error_class: type[BotError]
) -> None:
    """A POST may have landed: after a 5xx, timeout or reset it is sent exactly once."""
    http, script, sleeps = make_http(failure, httpx.Response(201, json={"id": "dup"}))
    with pytest.raises(error_class):
        await http.request("POST", "/telephony/config/premisePstn/trunks", json={"name": "a"})
    assert [r.method for r in script.requests] == ["POST"]
    assert sleeps == []


async def test_post_marked_safe_is_retried(make_http: MakeHttp) -> None:
    """``retry_5xx=True`` lets a side-effect-free POST retry a 503."""
    http, script, _ = make_http(webex_error(503), httpx.Response(200, json={"a": 1}))
    assert await http.post_json("/x", {}, retry_5xx=True) == {"a": 1}
    assert len(script.requests) == 2


async def test_get_marked_unsafe_is_not_retried(make_http: MakeHttp) -> None:
    """``retry_5xx=False`` turns the GET retry off."""
    http, script, _ = make_http(webex_error(503), httpx.Response(200))
    with pytest.raises(WebexServerError):
        await http.request("GET", "/x", retry_5xx=False)
    assert len(script.requests) == 1


# --- every httpx exception -------------------------------------------------------------

HTTPX_TABLE: list[tuple[type[Exception], type[BotError], str]] = [
    (httpx.ConnectTimeout, WebexConnectFailed, replies.WEBEX_TIMEOUT),
    (httpx.ReadTimeout, WebexUnreachable, replies.WEBEX_TIMEOUT),
    (httpx.WriteTimeout, WebexUnreachable, replies.WEBEX_TIMEOUT),
    (httpx.PoolTimeout, WebexConnectFailed, replies.WEBEX_TIMEOUT),
    (httpx.ConnectError, WebexConnectFailed, replies.WEBEX_CONNECT),
    (httpx.ReadError, WebexUnreachable, replies.WEBEX_DROPPED),
    (httpx.WriteError, WebexUnreachable, replies.WEBEX_DROPPED),
    (httpx.CloseError, WebexUnreachable, replies.WEBEX_DROPPED),
    (httpx.RemoteProtocolError, WebexUnreachable, replies.WEBEX_DROPPED),
    (httpx.LocalProtocolError, ConfigError, replies.WEBEX_CLIENT_CONFIG),
    (httpx.ProxyError, WebexConnectFailed, replies.WEBEX_PROXY),
    (httpx.UnsupportedProtocol, ConfigError, replies.WEBEX_CLIENT_CONFIG),
    (httpx.DecodingError, WebexBadResponse, replies.WEBEX_BAD_RESPONSE),
    (httpx.TooManyRedirects, WebexBadResponse, replies.WEBEX_BAD_RESPONSE),
]


@pytest.mark.parametrize(
    ("exc_class", "error_class", "sentence"), HTTPX_TABLE, ids=[t[0].__name__ for t in HTTPX_TABLE]
)
async def test_httpx_exception_maps_to_bot_error(
    make_http: MakeHttp, exc_class: type[Exception], error_class: type[BotError], sentence: str
) -> None:
    """Each httpx exception becomes its BotError, its own text (and the token) dropped."""
    http, _, _ = make_http(exc_class, retry=NO_RETRY)
    with pytest.raises(error_class) as caught:
        await http.request("POST", "/x")
    assert type(caught.value) is error_class
    assert caught.value.user_message == sentence
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def _all_subclasses(cls: type[Exception]) -> list[type[Exception]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


# HTTPStatusError comes only from raise_for_status, which the boundary never calls.
EVERY_HTTPX_ERROR = [c for c in _all_subclasses(httpx.HTTPError) if c is not httpx.HTTPStatusError]


def test_mapping_table_covers_every_concrete_httpx_error() -> None:
    """The table above names every concrete httpx request error there is."""
    bases = {httpx.HTTPError, httpx.RequestError, httpx.TransportError}
    bases |= {httpx.TimeoutException, httpx.NetworkError, httpx.ProtocolError}
    concrete = {c for c in EVERY_HTTPX_ERROR if c not in bases and c.__module__.startswith("httpx")}
    assert concrete <= {row[0] for row in HTTPX_TABLE}


@pytest.mark.parametrize("exc_class", EVERY_HTTPX_ERROR, ids=lambda c: c.__name__)
async def test_every_httpx_error_becomes_a_bot_error(
    make_http: MakeHttp, exc_class: type[Exception]
) -> None:
    """No httpx exception, base class or future subclass, escapes the boundary."""

    http, _, _ = make_http(exc_class(f"Bearer {TOKEN}"), retry=NO_RETRY)
    with pytest.raises(BotError) as caught:
        await http.request("GET", "/x")
    assert TOKEN not in str(caught.value)


# --- 401 and the token refresh ---------------------------------------------------------


async def test_401_refreshes_once_then_retries(make_http: MakeHttp) -> None:
    """On 401 the token is refreshed once and the call repeated with the new token."""
    tokens = iter(["old-token", "new-token"])
    current = {"token": next(tokens)}
    refreshes: list[int] = []

    async def provider() -> str:
        return current["token"]

    async def refresh() -> None:
        refreshes.append(1)
        current["token"] = next(tokens)

    http, script, _ = make_http(
        webex_error(401),
        httpx.Response(200, json={"ok": 1}),
        on_unauthorized=refresh,
        token=provider,
    )
    assert await http.get_json("/x") == {"ok": 1}
    assert refreshes == [1]
    auth = [r.headers["Authorization"] for r in script.requests]
    assert auth == ["Bearer old-token", "Bearer new-token"]


async def test_401_twice_is_an_auth_error(make_http: MakeHttp) -> None:
    """A refreshed token that is still refused ends as WebexAuthError after one refresh."""
    refreshes: list[int] = []

    async def refresh() -> None:
        refreshes.append(1)

    http, script, _ = make_http(webex_error(401), on_unauthorized=refresh)
    with pytest.raises(WebexAuthError):
        await http.request("POST", "/x")
    assert refreshes == [1]
    assert len(script.requests) == 2


async def test_401_without_refresh_hook_fails_at_once(make_http: MakeHttp) -> None:
    """Without ``on_unauthorized`` a 401 is final."""
    http, script, _ = make_http(webex_error(401))
    with pytest.raises(WebexAuthError):
        await http.request("GET", "/x")
    assert len(script.requests) == 1


# --- headers, logs, secrets ------------------------------------------------------------


async def test_tracking_id_and_token_sent_and_kept_across_retries(make_http: MakeHttp) -> None:
    """Every request carries a TRUNKBOT_ TrackingID (the same on retries) and the token."""
    http, script, _ = make_http(webex_error(503), httpx.Response(200))
    await http.request("GET", "/x")
    ids = {r.headers["TrackingID"] for r in script.requests}
    assert len(ids) == 1
    assert ids.pop().startswith("TRUNKBOT_")
    assert script.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_each_call_gets_its_own_tracking_id(make_http: MakeHttp) -> None:
    """Two calls, two TrackingIDs."""
    http, script, _ = make_http(httpx.Response(200))
    await http.request("GET", "/x")
    await http.request("GET", "/x")
    assert script.requests[0].headers["TrackingID"] != script.requests[1].headers["TrackingID"]


LEAKS: list[tuple[str, Answer]] = [
    ("timeout", httpx.ReadTimeout),
    ("local-protocol", httpx.LocalProtocolError),
    ("401", webex_error(401)),
    ("description-echoes-token", webex_error(400, {"message": f"bad token {TOKEN}"})),
    ("html-500", httpx.Response(500, content=f"<pre>{TOKEN}</pre>".encode())),
    ("bad-json-200", httpx.Response(200, content=f"{{{TOKEN}".encode())),
]


@pytest.mark.parametrize("answer", [leak[1] for leak in LEAKS], ids=[leak[0] for leak in LEAKS])
async def test_token_never_in_errors_or_logs(
    make_http: MakeHttp, caplog: pytest.LogCaptureFixture, answer: Answer
) -> None:
    """The admin token appears in no exception text, sentence, attribute or log line."""
    caplog.set_level(logging.DEBUG)
    http, _, _ = make_http(answer)
    with pytest.raises(BotError) as caught:
        await http.get_json("/x", {"orgId": "ORG"})
    err = caught.value
    shown = [str(err), repr(err), user_sentence(err), caplog.text]
    if isinstance(err, WebexError):
        shown += [str(err.description), str(err.tracking_id)]
    assert all(TOKEN not in text for text in shown)


async def test_request_logged_at_debug_without_query_or_body(
    make_http: MakeHttp, caplog: pytest.LogCaptureFixture
) -> None:
    """One DEBUG event per request: method, path, status, duration, trackingId — no more."""
    caplog.set_level(logging.DEBUG, logger="bot.webex.http")
    http, _, _ = make_http(httpx.Response(201, json={"id": "T"}, headers={"trackingid": "WX_1"}))
    await http.post_json("/trunks", {"password": "pw-SECRET"}, {"orgId": "ORG-SECRET"})
    records = [r for r in caplog.records if r.name == "bot.webex.http"]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.DEBUG
    message = record.getMessage()
    assert "POST /v1/trunks → 201" in message
    assert "WX_1" in message
    assert "duration_ms" in record.__dict__
    assert "pw-SECRET" not in caplog.text
    assert "ORG-SECRET" not in caplog.text
    assert TOKEN not in caplog.text


# --- bodies and paging -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content", [b"not json", b"[1,2]", b'"text"', b"\xff"], ids=["text", "list", "string", "bytes"]
)
async def test_unreadable_success_body_is_bad_response(make_http: MakeHttp, content: bytes) -> None:
    """A 2xx whose body is not a JSON object becomes WebexBadResponse with a safe sentence."""
    http, _, _ = make_http(httpx.Response(200, content=content))
    with pytest.raises(WebexBadResponse) as caught:
        await http.get_json("/x")
    assert caught.value.user_message == replies.WEBEX_BAD_RESPONSE


async def test_empty_success_body_reads_as_empty_object(make_http: MakeHttp) -> None:
    """A 204 reads as ``{}``."""
    http, _, _ = make_http(httpx.Response(204))
    assert await http.post_json("/x", {}) == {}


def page(items: list[dict[str, Any]], next_url: str | None = None) -> httpx.Response:
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return httpx.Response(200, json={"locations": items}, headers=headers)


async def test_paging_follows_next_links_across_three_pages(make_http: MakeHttp) -> None:
    """All items of three pages come back in order; the next links carry their own query."""
    http, script, _ = make_http(
        page([{"id": "1"}, {"id": "2"}], f"{BASE}/telephony/config/locations?start=2&max=2"),
        page([{"id": "3"}, {"id": "4"}], "/v1/telephony/config/locations?start=4&max=2"),
        page([{"id": "5"}]),
    )
    items = await http.get_pages(
        "/telephony/config/locations", {"orgId": "O", "max": 2}, "locations"
    )
    assert [i["id"] for i in items] == ["1", "2", "3", "4", "5"]
    assert [str(r.url.params) for r in script.requests] == [
        "orgId=O&max=2",
        "start=2&max=2",
        "start=4&max=2",
    ]


BAD_PAGES: list[tuple[str, httpx.Response]] = [
    ("other-host", page([{"id": "1"}], "https://evil.test/v1/steal")),
    ("other-scheme", page([{"id": "1"}], "http://webexapis.test/v1/x")),
    ("loop", page([{"id": "1"}], f"{BASE}/same")),
    ("items-not-list", httpx.Response(200, json={"locations": "x"})),
    ("item-not-object", httpx.Response(200, json={"locations": [1]})),
    ("key-missing", httpx.Response(200, json={"items": []})),
]


@pytest.mark.parametrize("answer", [b[1] for b in BAD_PAGES], ids=[b[0] for b in BAD_PAGES])
async def test_bad_pages_are_refused(make_http: MakeHttp, answer: httpx.Response) -> None:
    """A page we can't trust — foreign next link, a loop, a bad item list — is refused, and
    the token never goes to another host."""
    http, script, _ = make_http(answer)
    with pytest.raises(WebexBadResponse):
        await http.get_pages("/same", None, "locations")
    assert all(r.url.host == "webexapis.test" and r.url.scheme == "https" for r in script.requests)
    assert len(script.requests) <= 2


async def test_absolute_url_to_another_host_is_refused(make_http: MakeHttp) -> None:
    """The token is never sent to a host other than the base URL's."""
    http, script, _ = make_http(httpx.Response(200))
    with pytest.raises(ValueError, match="another host"):
        await http.request("GET", "https://evil.test/x")
    assert script.requests == []


# --- timeouts and the rendered sentence ------------------------------------------------


async def test_default_timeout_replaces_httpx_five_seconds(make_http: MakeHttp) -> None:
    """A client left at httpx's 5 s default gets our longer default per request."""
    http, script, _ = make_http(httpx.Response(200))
    await http.request("GET", "/x")
    assert script.requests[0].extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()


async def test_client_timeout_is_respected(make_http: MakeHttp) -> None:
    """A timeout the caller set on the client is kept."""
    http, script, _ = make_http(httpx.Response(200), client_timeout=httpx.Timeout(12.0))
    await http.request("GET", "/x")
    assert script.requests[0].extensions["timeout"] == httpx.Timeout(12.0).as_dict()


SENTENCES: list[tuple[str, BotError, str]] = [
    (
        "full",
        WebexBadRequest("Webex refused.", description="Name *bad* <@all>", tracking_id="R_1"),
        "Webex refused. Webex said: “Name \\*bad\\* \\<@all\\>” (Webex tracking ID `R_1`)",
    ),
    (
        "no-description",
        WebexServerError("Webex broke.", tracking_id="R2"),
        "Webex broke. (Webex tracking ID `R2`)",
    ),
    ("bare", WebexUnreachable("No answer."), "No answer."),
    ("not-webex", ConfigError("Bad settings."), "Bad settings."),
]


@pytest.mark.parametrize(
    ("err", "expected"), [s[1:] for s in SENTENCES], ids=[s[0] for s in SENTENCES]
)
def test_user_sentence_renders_webex_words_escaped(err: BotError, expected: str) -> None:
    """The person sees our sentence, Webex's description escaped, and the tracking ID."""
    assert user_sentence(err) == expected
