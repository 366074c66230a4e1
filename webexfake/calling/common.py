"""Shared pieces of the sandbox's routes: error codes and responses, auth, JSON bodies, paging.

The error body and :class:`~webexfake.errors.ApiError` are both halves': :mod:`webexfake.errors`.

Error codes. Only three are known from outside: **25015** (password refused, [reported]),
**25024** (domain not verified) and **27571** (address already used by a trunk) [code: wxc_sdk
live tests]. 25008 "Missing Mandatory field name" follows the wording wxc_sdk users report.
Every other ``errorCode`` below is a sandbox invention: never match on it in product code.
Router-level errors (401, unknown path, 405, bad JSON) carry no ``errorCode``, like Webex's.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.calling.state import SandboxState, TokenGrant
from webexfake.errors import ApiError, error_body
from webexfake.ids import parse_id, tracking_id

MISSING_FIELD = 25008
INVALID_FIELD = 25009  # invented
PW_RULES_REFUSED = 25015
DOMAIN_NOT_VERIFIED = 25024
ADDRESS_IN_USE = 27571
LOCATION_NOT_FOUND = 25101  # invented
LOCATION_NOT_CALLING = 25102  # invented
TRUNK_NAME_EXISTS = 25103  # invented
TRUNK_NOT_FOUND = 25104  # invented
TRUNK_IN_USE = 25105  # invented
FIELD_NOT_MODIFIABLE = 25106  # invented


def tracking_of(request: Request) -> str:
    """The request's ROUTER_ tracking id (set by the middleware; made up if absent)."""
    value = request.scope.get("state", {}).get("tracking_id")
    return value if isinstance(value, str) else tracking_id()


def error_response(request: Request, error: ApiError) -> Response:
    body = error_body(error.description, error.error_code, tracking_of(request))
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def sandbox(request: Request) -> SandboxState:
    state = request.app.state.sandbox
    assert isinstance(state, SandboxState)  # noqa: S101 - set by build_app
    return state


def require(request: Request, *scopes: str) -> TokenGrant:
    """The caller's grant; 401 without a valid bearer token, 403 without one of ``scopes``."""
    state = sandbox(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    grant = state.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if grant is not None and grant.expires_at is not None and time.time() >= grant.expires_at:
        grant = None
    if grant is None:
        raise ApiError(401)
    if scopes and not grant.scopes.intersection(scopes):
        raise ApiError(403, f"The token lacks the required scope: {' or '.join(scopes)}.")
    return grant


def check_org(request: Request) -> None:
    """``orgId``: absent or this org; another org's id is 403, a malformed one 400."""
    org = request.query_params.get("orgId")
    if org is None or org == sandbox(request).org_id:
        return
    parsed = parse_id(org)
    if parsed is None or parsed[0] != "ORGANIZATION":
        raise ApiError(400, f"Invalid orgId: {org}", INVALID_FIELD)
    raise ApiError(403, "The token is not authorized to access this organization.")


async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The JSON object body: 415 for another media type, 400 when it does not parse."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise ApiError(400, "A JSON request body is required.")
    if "json" not in request.headers.get("content-type", "").lower():
        raise ApiError(415, "Content-Type must be application/json.")
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def int_param(request: Request, name: str, default: int, *, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid value for {name}: {raw}", INVALID_FIELD) from None
    if value < minimum:
        raise ApiError(400, f"Invalid value for {name}: {raw}", INVALID_FIELD)
    return value


def paged(request: Request, items: list[Any], key: str) -> Response:
    """One page of ``items`` by ``start``/``max``, with ``Link: <…>; rel="next"`` if more remain."""
    size = int_param(request, "max", sandbox(request).default_page_size, minimum=1)
    start = int_param(request, "start", 0, minimum=0)
    page = items[start : start + size]
    headers: dict[str, str] = {}
    if start + size < len(items):
        url = request.url.include_query_params(start=start + size, max=size)
        headers["Link"] = f'<{url}>; rel="next"'
    return JSONResponse({key: page}, headers=headers)


def csv_values(raw: str | None) -> list[str]:
    return [part.strip().casefold() for part in (raw or "").split(",") if part.strip()]
