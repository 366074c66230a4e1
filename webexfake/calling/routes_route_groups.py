"""Route groups: ``…/premisePstn/routeGroups`` (call-routing.yml).

List (``routeGroups``: id, name, inUse), create (201 ``{id}``), get (RouteGroupGet: name,
organization, localGateways — no ``id``, as in the spec), put (204; the whole
``localGateways`` list is replaced), delete (204; 409 while a dial plan or a location's PSTN
connection uses it). Their usage is :mod:`webexfake.calling.routes_usage`'s.

A route group holds 1–10 trunks with positive priorities (10 is the commonly cited limit).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.calling.common import (
    INVALID_FIELD,
    MISSING_FIELD,
    check_org,
    json_object,
    paged,
    require,
    sandbox,
)
from webexfake.calling.state import READ, WRITE, SandboxRouteGroup, SandboxState
from webexfake.errors import ApiError
from webexfake.ids import make_id

ROUTE_GROUP_NOT_FOUND = 25107  # invented
ROUTE_GROUP_NAME_EXISTS = 25108  # invented
ROUTE_GROUP_IN_USE = 25109  # invented
MAX_TRUNKS_PER_GROUP = 10


def group_of(request: Request) -> SandboxRouteGroup:
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
        group = group_of(request)
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
        group = group_of(request)
        name = _group_name(state, body, group.id)
        gateways = _gateways(state, body)
        group.name, group.local_gateways = name, gateways
    return Response(status_code=204)


async def delete_route_group(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        group = group_of(request)
        if state.route_group_in_use(group):
            raise ApiError(409, "Route group is in use and cannot be deleted.", ROUTE_GROUP_IN_USE)
        del state.route_groups[group.id]
    return Response(status_code=204)
