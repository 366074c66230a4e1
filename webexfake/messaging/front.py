"""The fake's front layer: latency, injected faults and the request log around every route,
calling-API requests forwarded to the calling half, and Webex-shaped error bodies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from webexfake.errors import STATUS_MESSAGES, ApiError, error_body
from webexfake.faults import Fault, FaultKind
from webexfake.ids import tracking_id

if TYPE_CHECKING:
    from .server import FakeWebex


#: Where the front layer leaves the websocket's transport in the scope (best effort).
TRANSPORT_KEY = "fake_webex.transport"


def error_response(
    status: int,
    description: str,
    *,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A Webex error body with a fresh tracking id."""
    tid = tracking_id()
    body = error_body(description, None, tid, message)
    return JSONResponse(body, status_code=status, headers={"TrackingID": tid, **(headers or {})})


async def _api_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)  # noqa: S101 - an invariant of the fake
    return error_response(exc.status, exc.description, message=exc.message, headers=exc.headers)


async def _http_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - an invariant of the fake
    worded = exc.status_code in (404, 405)  # else starlette's detail says more
    description = STATUS_MESSAGES[exc.status_code] if worded else str(exc.detail)
    return error_response(exc.status_code, description)


#: The app's handlers for the errors a route raises.
EXCEPTION_HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    ApiError: _api_error_handler,
    HTTPException: _http_error_handler,
}


class Front:
    """The outer ASGI layer: request log, injected latency and faults, the calling API mount."""

    def __init__(
        self,
        fake: FakeWebex,
        app: ASGIApp,
        extra_app: ASGIApp | None,
        extra_prefixes: tuple[str, ...],
    ) -> None:
        self.fake = fake
        self.app = app
        self.extra_app = extra_app
        self.extra_prefixes = extra_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] == "websocket":
            # uvicorn's ASGI ``send`` is a bound method of its protocol object, which owns the
            # transport; keep it so drop_connections(abrupt=True) can cut the TCP connection.
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            await self.app({**scope, TRANSPORT_KEY: transport}, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        calling = self.fake.calling is not None and self.extra_app is not None
        if calling and self._for_extra_app(scope):
            assert self.extra_app is not None  # noqa: S101 - checked above
            await self.extra_app(scope, receive, send)  # its middleware records, applies faults
            return
        method: str = scope["method"]
        path: str = scope["path"]
        body = bytearray()
        status = 0

        async def receive_tee() -> AsgiMessage:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def send_tap(message: AsgiMessage) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        fault: Fault | None = None
        try:
            delay = self.fake.faults.take_latency(method, path)
            if delay > 0:
                await asyncio.sleep(delay)
            fault = self.fake.faults.take(method, path, (FaultKind.STATUS,))
            if fault is not None and fault.status is not None:
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                response = error_response(
                    fault.status,
                    fault.description or f"Injected failure ({fault.status}).",
                    headers=headers,
                )
                await response(scope, receive_tee, send_tap)
            elif self.extra_app is not None and self._for_extra_app(scope):
                await self.extra_app(scope, receive_tee, send_tap)
            else:
                await self.app(scope, receive_tee, send_tap)
        finally:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.fake.log.record(
                method,
                path,
                scope.get("query_string", b""),
                headers,
                bytes(body),
                fault=fault.kind if fault is not None else None,
                status=status,
            )

    def _for_extra_app(self, scope: Scope) -> bool:
        """The calling paths, and any ``/v1`` call with a token the fake does not know (the
        calling app's admin or service-app tokens, e.g. its ``/v1/people/me``)."""
        path: str = scope["path"]
        if path.startswith(self.extra_prefixes):
            return True
        if not path.startswith("/v1/"):
            return False
        for key, value in scope["headers"]:
            if key.lower() == b"authorization":
                known = self.fake.records.person_for_authorization(value.decode("latin-1"))
                return known is None
        return False

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.extra_app is not None:
            await self.extra_app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
