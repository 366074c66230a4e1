"""Who routes calls through a trunk or a route group: ``…/{id}/usage`` and its lists.

One set of handlers serves both targets (call-routing.yml), since Webex asks the same
questions of each:

* ``usage``: the counts (LocalGatewayUsageCount for a trunk, with ``routeGroupCount``; the
  route group's, with ``routeListCount``, always 0: the sandbox has no route lists);
* ``usageDialPlan`` (``dialPlans``; a trunk's filters by ``name``), ``usagePstnConnection``
  (``locations``), ``usageCallToExtension`` (``locations``; the sandbox models no
  call-to-extension settings, so it is always empty);
* a trunk's ``usageRouteGroup`` (``routeGroup``: id, name, inUse); a route group's
  ``usageRouteList`` (``routeGroupUsageRouteListGet``, always empty).

An unknown trunk or route group is the same 404 as for its GET.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.calling.common import check_org, csv_values, paged, require, sandbox
from webexfake.calling.routes_route_groups import group_of
from webexfake.calling.routes_trunks import trunk_of
from webexfake.calling.state import READ, SandboxState

Target = Literal["TRUNK", "ROUTE_GROUP"]
Endpoint = Callable[[Request], Awaitable[Response]]


def _id_name(item_id: str, name: str) -> dict[str, str]:
    return {"id": item_id, "name": name}


def _target_id(request: Request, kind: Target) -> str:
    """The id the path names (404 when unknown); the caller holds the state's lock."""
    return trunk_of(request).id if kind == "TRUNK" else group_of(request).id


def _counts(state: SandboxState, kind: Target, target: str) -> dict[str, int]:
    counts = {
        "pstnConnectionCount": len(state.locations_using(kind, target)),
        "callToExtensionCount": 0,
        "dialPlanCount": len(state.dial_plans_using(kind, target)),
    }
    if kind == "TRUNK":
        counts["routeGroupCount"] = len(state.route_groups_using(target))
    else:
        counts["routeListCount"] = 0
    return counts


def endpoints(kind: Target) -> dict[str, Endpoint]:
    """``{path segment: handler}`` for the usage of a trunk or a route group."""

    async def usage(request: Request) -> Response:
        require(request, READ)
        check_org(request)
        state = sandbox(request)
        with state.lock:
            body = _counts(state, kind, _target_id(request, kind))
        return JSONResponse(body)

    async def dial_plans(request: Request) -> Response:
        require(request, READ)
        check_org(request)
        state = sandbox(request)
        with state.lock:
            plans = state.dial_plans_using(kind, _target_id(request, kind))
        names = csv_values(request.query_params.get("name")) if kind == "TRUNK" else None
        rows = [_id_name(p.id, p.name) for p in plans if not names or p.name.casefold() in names]
        return paged(request, rows, "dialPlans")

    async def pstn(request: Request) -> Response:
        require(request, READ)
        check_org(request)
        state = sandbox(request)
        with state.lock:
            locations = state.locations_using(kind, _target_id(request, kind))
        return paged(request, [_id_name(loc.id, loc.name) for loc in locations], "locations")

    def always_empty(key: str) -> Endpoint:
        async def handler(request: Request) -> Response:
            require(request, READ)
            check_org(request)
            with sandbox(request).lock:
                _target_id(request, kind)
            return paged(request, [], key)

        return handler

    async def route_groups(request: Request) -> Response:
        require(request, READ)
        check_org(request)
        state = sandbox(request)
        with state.lock:
            groups = state.route_groups_using(_target_id(request, kind))
            rows: list[dict[str, Any]] = [
                {"id": g.id, "name": g.name, "inUse": state.route_group_in_use(g)} for g in groups
            ]
        return paged(request, rows, "routeGroup")

    lists: dict[str, Endpoint] = {
        "usage": usage,
        "usageDialPlan": dial_plans,
        "usagePstnConnection": pstn,
        "usageCallToExtension": always_empty("locations"),
    }
    if kind == "TRUNK":
        lists["usageRouteGroup"] = route_groups
    else:
        lists["usageRouteList"] = always_empty("routeGroupUsageRouteListGet")
    return lists
