"""Locations, people, example passwords and the OAuth refresh grant.

* ``GET /v1/telephony/config/locations``: calling-enabled locations only, ``name`` contains
  (case-insensitive), ``order`` name-asc|name-desc, paged.
* ``GET /v1/locations``: every location, ``name`` contains (case-insensitive), ``id``, paged.
* ``POST /v1/telephony/config/locations/{id}/actions/generatePassword/invoke``: a fresh
  16-character password (letters, digits, one of ``#$%*+-=@^_``) that the sandbox accepts.
* ``GET /v1/people/me``: the token's person.
* ``POST /v1/access_token``: form-encoded refresh grant. The refresh token rotates on every use
  (the old one answers ``invalid_grant``); earlier access tokens stay valid until they expire.
  Errors: 400 ``invalid_request`` / ``unsupported_grant_type`` / ``invalid_grant``, 401
  ``invalid_client`` for a wrong client id or secret (RFC 6749 §5.2).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.calling.common import (
    INVALID_FIELD,
    LOCATION_NOT_FOUND,
    check_org,
    json_object,
    paged,
    require,
    sandbox,
)
from webexfake.calling.state import (
    ACCESS_TOKEN_LIFETIME,
    LOCATIONS_READ,
    PEOPLE_READ,
    READ,
    REFRESH_TOKEN_LIFETIME,
    WRITE,
    RefreshGrant,
    TokenGrant,
)
from webexfake.errors import ApiError
from webexfake.ids import example_password, opaque_token


def _name_filter(request: Request) -> str:
    return (request.query_params.get("name") or "").casefold()


async def telephony_locations(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    needle = _name_filter(request)
    rows = [
        loc
        for loc in state.locations.values()
        if loc.calling_enabled and needle in loc.name.casefold()
    ]
    order = request.query_params.get("order", "name-asc").lower()
    if order not in ("name-asc", "name-desc", "name"):
        raise ApiError(400, f"Invalid order: {order}", INVALID_FIELD)
    rows.sort(key=lambda loc: loc.name.casefold(), reverse=order == "name-desc")
    return paged(request, [loc.telephony_json() for loc in rows], "locations")


async def common_locations(request: Request) -> Response:
    require(request, LOCATIONS_READ, PEOPLE_READ, "spark-admin:device_read")
    check_org(request)
    state = sandbox(request)
    needle = _name_filter(request)
    wanted_id = request.query_params.get("id")
    rows = [
        loc
        for loc in state.locations.values()
        if needle in loc.name.casefold() and (wanted_id is None or loc.id == wanted_id)
    ]
    return paged(request, [loc.common_json(state.org_id) for loc in rows], "items")


async def generate_password(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    await json_object(request, optional=True)
    location = sandbox(request).locations.get(request.path_params["location_id"])
    if location is None or not location.calling_enabled:
        raise ApiError(404, "Location not found.", LOCATION_NOT_FOUND)
    return JSONResponse({"exampleSipPassword": example_password()})


async def people_me(request: Request) -> Response:
    grant = require(request)
    state = sandbox(request)
    person = state.people.get(grant.person_id)
    if person is None:
        raise ApiError(404, "Person not found.")
    return JSONResponse(person.wire(state.org_id))


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def access_token(request: Request) -> Response:
    state = sandbox(request)
    if "x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return _oauth_error(400, "invalid_request", "Use application/x-www-form-urlencoded.")
    form = dict(parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True))
    missing = [
        k for k in ("grant_type", "client_id", "client_secret", "refresh_token") if not form.get(k)
    ]
    if "grant_type" in missing:
        return _oauth_error(400, "invalid_request", "grant_type is required.")
    if form["grant_type"] != "refresh_token":
        return _oauth_error(400, "unsupported_grant_type", "Only refresh_token is supported.")
    if missing:
        return _oauth_error(400, "invalid_request", f"Missing: {', '.join(missing)}.")
    if state.clients.get(form["client_id"]) != form["client_secret"]:
        return _oauth_error(401, "invalid_client", "The client id or secret is not valid.")
    with state.lock:
        grant = state.refresh_tokens.get(form["refresh_token"])
        now = time.time()
        if grant is None or grant.client_id != form["client_id"]:
            return _oauth_error(400, "invalid_grant", "The refresh token is not valid.")
        if grant.expires_at is not None and now >= grant.expires_at:
            return _oauth_error(400, "invalid_grant", "The refresh token has expired.")
        del state.refresh_tokens[form["refresh_token"]]
        new_refresh = opaque_token()
        state.refresh_tokens[new_refresh] = RefreshGrant(
            grant.client_id, grant.scopes, grant.person_id, now + REFRESH_TOKEN_LIFETIME
        )
        new_access = opaque_token()
        state.tokens[new_access] = TokenGrant(
            grant.scopes, grant.person_id, now + ACCESS_TOKEN_LIFETIME
        )
    body: dict[str, Any] = {
        "access_token": new_access,
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "refresh_token": new_refresh,
        "refresh_token_expires_in": REFRESH_TOKEN_LIFETIME,
        "token_type": "Bearer",
    }
    return JSONResponse(body)
