"""Call routing around trunks: dial plans and a location's PSTN connection.

Shapes from call-routing.yml and location-call-settings.yml:

* ``GET …/dialPlans`` (``dialPlans``).
* ``GET/PUT /telephony/config/locations/{id}``: Webex Calling details; PUT sets the premises
  PSTN ``connection`` (``TRUNK`` or ``ROUTE_GROUP`` only, as the API allows) and answers 204.
  A location with a PSTN subscription (cloud-connected PSTN) shows ``subscriptionId`` and no
  ``connection`` ("only returned for local PSTN types"), and refuses a new one with 400.
* ``GET /locations/{id}``: one location of the org (every location, calling or not).

Route groups are :mod:`webexfake.calling.routes_route_groups`; who uses a trunk or a route
group is :mod:`webexfake.calling.routes_usage`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.calling.common import (
    INVALID_FIELD,
    LOCATION_NOT_FOUND,
    MISSING_FIELD,
    check_org,
    json_object,
    paged,
    require,
    sandbox,
)
from webexfake.calling.entities import LOCATIONS_READ, PEOPLE_READ
from webexfake.calling.state import READ, WRITE, SandboxLocation, SandboxState
from webexfake.errors import ApiError

ROUTE_TYPES = ("TRUNK", "ROUTE_GROUP")


# --- dial plans ----------------------------------------------------------------------------


def _route_name(state: SandboxState, route_type: str, route_id: str) -> str:
    if route_type == "TRUNK":
        trunk = state.trunks.get(route_id)
        return trunk.name if trunk else ""
    group = state.route_groups.get(route_id)
    return group.name if group else ""


async def list_dial_plans(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    params = request.query_params
    wanted = (params.get("dialPlanName") or "").casefold()
    with state.lock:
        rows = [
            p.wire(_route_name(state, p.route_type, p.route_id))
            for p in sorted(state.dial_plans.values(), key=lambda p: p.name.casefold())
            if wanted in p.name.casefold()
        ]
    if params.get("routeGroupName"):
        rows = [r for r in rows if r["routeType"] == "ROUTE_GROUP"]
        rows = [r for r in rows if params["routeGroupName"].casefold() in r["routeName"].casefold()]
    if params.get("trunkName"):
        rows = [r for r in rows if r["routeType"] == "TRUNK"]
        rows = [r for r in rows if params["trunkName"].casefold() in r["routeName"].casefold()]
    return paged(request, rows, "dialPlans")


# --- locations -----------------------------------------------------------------------------


def _location(request: Request, *, calling: bool) -> SandboxLocation:
    location = sandbox(request).locations.get(str(request.path_params["location_id"]))
    if location is None or (calling and not location.calling_enabled):
        raise ApiError(404, "Location not found.", LOCATION_NOT_FOUND)
    return location


async def telephony_location(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    return JSONResponse(_location(request, calling=True).details_json(state.org_gateway_number))


async def update_telephony_location(request: Request) -> Response:
    """Only ``connection`` changes anything here (and ``announcementLanguage``); other fields
    of PutTelephonyLocationObject are accepted and ignored."""
    require(request, WRITE)
    check_org(request)
    body = await json_object(request)
    state = sandbox(request)
    with state.lock:
        location = _location(request, calling=True)
        connection = body.get("connection")
        if connection is not None:
            if not isinstance(connection, dict):
                raise ApiError(400, "Invalid field value: connection.", INVALID_FIELD)
            if location.pstn_subscription_id is not None:
                raise ApiError(
                    400,
                    "Connection details can only be modified to and from local PSTN types "
                    "of TRUNK and ROUTE_GROUP.",
                    INVALID_FIELD,
                )
            kind, target = connection.get("type"), connection.get("id")
            if kind not in ROUTE_TYPES:
                raise ApiError(
                    400,
                    "Only a TRUNK or a ROUTE_GROUP connection can be set through the API.",
                    INVALID_FIELD,
                )
            if not isinstance(target, str) or not target:
                raise ApiError(400, "Missing Mandatory field name: connection.id", MISSING_FIELD)
            known = state.trunks if kind == "TRUNK" else state.route_groups
            if target not in known:
                raise ApiError(400, f"Invalid {kind} id: {target}", INVALID_FIELD)
            location.connection = (str(kind), target)
        language = body.get("announcementLanguage")
        if isinstance(language, str) and language:
            location.announcement_language = language
    return Response(status_code=204)


async def common_location(request: Request) -> Response:
    require(request, LOCATIONS_READ, PEOPLE_READ, "spark-admin:device_read")
    check_org(request)
    state = sandbox(request)
    return JSONResponse(_location(request, calling=False).common_json(state.org_id))
