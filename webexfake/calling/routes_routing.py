"""Call routing around trunks: usage, route groups, dial plans, a location's PSTN connection.

Shapes from call-routing.yml and location-call-settings.yml:

* ``GET …/trunks/{id}/usage`` (LocalGatewayUsageCount) and its lists ``usageDialPlan``
  (``dialPlans``), ``usagePstnConnection`` (``locations``), ``usageRouteGroup`` (``routeGroup``),
  ``usageCallToExtension`` (``locations``; the sandbox models no call-to-extension settings, so
  it is always empty).
* ``…/routeGroups``: list (``routeGroups``: id, name, inUse), create (201 ``{id}``), get
  (RouteGroupGet: name, organization, localGateways — no ``id``, as in the spec), put (204; the
  whole ``localGateways`` list is replaced), delete (204; 409 while a dial plan or a location's
  PSTN connection uses it), usage (counts) and its lists.
* ``GET …/dialPlans`` (``dialPlans``).
* ``GET/PUT /telephony/config/locations/{id}``: Webex Calling details; PUT sets the premises
  PSTN ``connection`` (``TRUNK`` or ``ROUTE_GROUP`` only, as the API allows) and answers 204.
  A location with a PSTN subscription (cloud-connected PSTN) shows ``subscriptionId`` and no
  ``connection`` ("only returned for local PSTN types"), and refuses a new one with 400.
* ``GET /locations/{id}``: one location of the org (every location, calling or not).

A route group holds 1–10 trunks with positive priorities (10 is the commonly cited limit).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.calling.common import (
    INVALID_FIELD,
    LOCATION_NOT_FOUND,
    MISSING_FIELD,
    TRUNK_NOT_FOUND,
    ApiError,
    check_org,
    csv_values,
    json_object,
    paged,
    require,
    sandbox,
)
from webexfake.calling.entities import LOCATIONS_READ, PEOPLE_READ
from webexfake.calling.state import READ, WRITE, SandboxLocation, SandboxRouteGroup, SandboxState
from webexfake.ids import make_id

ROUTE_GROUP_NOT_FOUND = 25107  # invented
ROUTE_GROUP_NAME_EXISTS = 25108  # invented
ROUTE_GROUP_IN_USE = 25109  # invented
MAX_TRUNKS_PER_GROUP = 10
ROUTE_TYPES = ("TRUNK", "ROUTE_GROUP")


def _id_name(item_id: str, name: str) -> dict[str, str]:
    return {"id": item_id, "name": name}


# --- trunk usage ---------------------------------------------------------------------------


def _trunk_id(request: Request) -> str:
    trunk_id = str(request.path_params["trunk_id"])
    if trunk_id not in sandbox(request).trunks:
        raise ApiError(404, "Trunk not found.", TRUNK_NOT_FOUND)
    return trunk_id


async def trunk_usage(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        trunk_id = _trunk_id(request)
        body = {
            "pstnConnectionCount": len(state.locations_using("TRUNK", trunk_id)),
            "callToExtensionCount": 0,
            "dialPlanCount": len(state.dial_plans_using("TRUNK", trunk_id)),
            "routeGroupCount": len(state.route_groups_using(trunk_id)),
        }
    return JSONResponse(body)


async def trunk_usage_dial_plans(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        plans = state.dial_plans_using("TRUNK", _trunk_id(request))
    names = csv_values(request.query_params.get("name"))
    rows = [_id_name(p.id, p.name) for p in plans if not names or p.name.casefold() in names]
    return paged(request, rows, "dialPlans")


async def trunk_usage_pstn(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        locations = state.locations_using("TRUNK", _trunk_id(request))
    return paged(request, [_id_name(loc.id, loc.name) for loc in locations], "locations")


async def trunk_usage_route_groups(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        groups = state.route_groups_using(_trunk_id(request))
        rows = [{"id": g.id, "name": g.name, "inUse": state.route_group_in_use(g)} for g in groups]
    return paged(request, rows, "routeGroup")


async def trunk_usage_call_to_extension(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    with sandbox(request).lock:
        _trunk_id(request)
    return paged(request, [], "locations")


# --- route groups --------------------------------------------------------------------------


def _group(request: Request) -> SandboxRouteGroup:
    group = sandbox(request).route_groups.get(str(request.path_params["group_id"]))
    if group is None:
        raise ApiError(404, "Route group not found.", ROUTE_GROUP_NOT_FOUND)
    return group


def _gateways(state: SandboxState, body: dict[str, Any]) -> list[tuple[str, int]]:
    raw = body.get("localGateways")
    if raw is None:
        raise ApiError(400, "Missing Mandatory field name: localGateways", MISSING_FIELD)
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "A route group needs at least one trunk.", INVALID_FIELD)
    if len(raw) > MAX_TRUNKS_PER_GROUP:
        raise ApiError(
            400, f"A route group holds at most {MAX_TRUNKS_PER_GROUP} trunks.", INVALID_FIELD
        )
    gateways: list[tuple[str, int]] = []
    for item in raw:
        trunk_id = item.get("id") if isinstance(item, dict) else None
        priority = item.get("priority") if isinstance(item, dict) else None
        if not isinstance(trunk_id, str) or trunk_id not in state.trunks:
            raise ApiError(400, f"Invalid local gateway: {trunk_id}", INVALID_FIELD)
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
            raise ApiError(400, "A priority is a positive whole number.", INVALID_FIELD)
        if any(trunk_id == known for known, _ in gateways):
            raise ApiError(400, f"Trunk {trunk_id} is listed twice.", INVALID_FIELD)
        gateways.append((trunk_id, priority))
    return gateways


def _group_name(state: SandboxState, body: dict[str, Any], exclude_id: str | None) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Missing Mandatory field name: name", MISSING_FIELD)
    if len(name) > 64:
        raise ApiError(400, "The name must be 1 to 64 characters.", INVALID_FIELD)
    existing = state.route_group_by_name(name)
    if existing is not None and existing.id != exclude_id:
        raise ApiError(409, "Route group name already exists.", ROUTE_GROUP_NAME_EXISTS)
    return name


async def list_route_groups(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    needle = (request.query_params.get("name") or "").casefold()
    with state.lock:
        groups = sorted(state.route_groups.values(), key=lambda g: g.name.casefold())
        rows = [
            {"id": g.id, "name": g.name, "inUse": state.route_group_in_use(g)}
            for g in groups
            if needle in g.name.casefold()
        ]
    if request.query_params.get("order", "").lower().endswith("desc"):
        rows.reverse()
    return paged(request, rows, "routeGroups")


async def create_route_group(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    body = await json_object(request)
    state = sandbox(request)
    with state.lock:
        name = _group_name(state, body, None)
        group = SandboxRouteGroup(make_id("ROUTE_GROUP"), name, _gateways(state, body))
        state.route_groups[group.id] = group
    return JSONResponse({"id": group.id}, status_code=201)


async def get_route_group(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        group = _group(request)
        members = []
        for trunk_id, priority in group.local_gateways:
            trunk = state.trunks.get(trunk_id)
            member: dict[str, Any] = {"id": trunk_id, "priority": priority}
            if trunk is not None:
                member.update(name=trunk.name, locationId=trunk.location_id)
                location = state.locations.get(trunk.location_id)
                if location is not None:
                    member["locationName"] = location.name
            members.append(member)
    body = {
        "name": group.name,
        "organization": {"id": state.org_id, "name": state.org_name},
        "localGateways": members,
    }
    return JSONResponse(body)


async def update_route_group(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    body = await json_object(request)
    state = sandbox(request)
    with state.lock:
        group = _group(request)
        name = _group_name(state, body, group.id)
        gateways = _gateways(state, body)
        group.name, group.local_gateways = name, gateways
    return Response(status_code=204)


async def delete_route_group(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        group = _group(request)
        if state.route_group_in_use(group):
            raise ApiError(409, "Route group is in use and cannot be deleted.", ROUTE_GROUP_IN_USE)
        del state.route_groups[group.id]
    return Response(status_code=204)


async def route_group_usage(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        group = _group(request)
        body = {
            "pstnConnectionCount": len(state.locations_using("ROUTE_GROUP", group.id)),
            "callToExtensionCount": 0,
            "dialPlanCount": len(state.dial_plans_using("ROUTE_GROUP", group.id)),
            "routeListCount": 0,
        }
    return JSONResponse(body)


async def route_group_usage_pstn(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        locations = state.locations_using("ROUTE_GROUP", _group(request).id)
    return paged(request, [_id_name(loc.id, loc.name) for loc in locations], "locations")


async def route_group_usage_dial_plans(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        plans = state.dial_plans_using("ROUTE_GROUP", _group(request).id)
    return paged(request, [_id_name(p.id, p.name) for p in plans], "dialPlans")


async def route_group_usage_call_to_extension(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    with sandbox(request).lock:
        _group(request)
    return paged(request, [], "locations")


async def route_group_usage_route_lists(request: Request) -> Response:
    """Always empty: the sandbox has no route lists (the key is the spec's)."""
    require(request, READ)
    check_org(request)
    with sandbox(request).lock:
        _group(request)
    return paged(request, [], "routeGroupUsageRouteListGet")


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
