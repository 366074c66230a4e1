"""``build_app(state)``: the sandbox's Starlette app, a fake of the Webex REST API under ``/v1``.

Routes (shapes from the Webex OpenAPI descriptions):

========  ==================================================================  ==============
GET       /v1/telephony/config/locations                                      calling only
GET       /v1/locations                                                       all locations
POST      /v1/telephony/config/locations/{id}/actions/generatePassword/invoke
GET/PUT   /v1/telephony/config/locations/{id}                                 PSTN connection
GET       /v1/locations/{id}
GET/POST  /v1/telephony/config/premisePstn/trunks
GET       /v1/telephony/config/premisePstn/trunks/trunkTypes
POST      /v1/telephony/config/premisePstn/trunks/actions/validate/invoke
POST      /v1/telephony/config/premisePstn/trunks/actions/fqdnValidation/invoke  deprecated
GET/PUT/  /v1/telephony/config/premisePstn/trunks/{trunkId}
DELETE
GET       /v1/telephony/config/premisePstn/trunks/{trunkId}/usage             and usageDialPlan,
                                                                              usagePstnConnection,
                                                                              usageRouteGroup,
                                                                              usageCallToExtension
GET/POST  /v1/telephony/config/premisePstn/routeGroups
GET/PUT/  /v1/telephony/config/premisePstn/routeGroups/{routeGroupId}
DELETE
GET       /v1/telephony/config/premisePstn/routeGroups/{routeGroupId}/usage   and usageDialPlan,
                                                                              usagePstnConnection,
                                                                              usageCallToExtension,
                                                                              usageRouteList
GET       /v1/telephony/config/premisePstn/dialPlans
GET       /v1/people/me
POST      /v1/access_token                                                    refresh grant
========  ==================================================================  ==============

Every error is ``{"message", "errors": [{"description", "errorCode"?}], "trackingId"}`` with a
``TrackingID`` header; unknown paths answer 404, a wrong method 405 (with ``Allow``), a body
that is not JSON 415 (wrong media type) or 400 (does not parse).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from webexfake.calling import routes_org as org
from webexfake.calling import routes_route_groups as route_groups
from webexfake.calling import routes_routing as routing
from webexfake.calling import routes_trunks as trunks
from webexfake.calling import routes_usage as usage
from webexfake.calling.common import (
    error_response,
)
from webexfake.calling.middleware import SandboxMiddleware
from webexfake.calling.state import SandboxState
from webexfake.errors import ApiError

Endpoint = Callable[[Request], Awaitable[Response]]
TRUNKS = "/v1/telephony/config/premisePstn/trunks"
ROUTE_GROUPS = "/v1/telephony/config/premisePstn/routeGroups"
DIAL_PLANS = "/v1/telephony/config/premisePstn/dialPlans"
LOCATIONS = "/v1/telephony/config/locations"


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)  # noqa: S101 - registered for ApiError only
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    description = {404: "The requested resource could not be found."}.get(exc.status_code)
    return error_response(
        request, ApiError(exc.status_code, description, headers=dict(exc.headers or {}))
    )


def _route(path: str, **handlers: Endpoint) -> Route:
    """One route for several methods, so a 405's ``Allow`` lists them all."""

    async def dispatch(request: Request) -> Response:
        return await handlers[request.method if request.method != "HEAD" else "GET"](request)

    return Route(path, dispatch, methods=list(handlers))


def _usage_routes(base: str, **lists: Endpoint) -> list[Route]:
    """``GET {base}/{name}`` for each usage endpoint."""
    return [Route(f"{base}/{name}", endpoint, methods=["GET"]) for name, endpoint in lists.items()]


def build_app(state: SandboxState) -> Starlette:
    """The ASGI app serving ``state``; mount it at the origin (paths include ``/v1``)."""
    routes = [
        Route(LOCATIONS, org.telephony_locations, methods=["GET"]),
        Route(
            LOCATIONS + "/{location_id}/actions/generatePassword/invoke",
            org.generate_password,
            methods=["POST"],
        ),
        _route(
            LOCATIONS + "/{location_id}",
            GET=routing.telephony_location,
            PUT=routing.update_telephony_location,
        ),
        Route("/v1/locations", org.common_locations, methods=["GET"]),
        Route("/v1/locations/{location_id}", routing.common_location, methods=["GET"]),
        Route("/v1/people/me", org.people_me, methods=["GET"]),
        Route("/v1/access_token", org.access_token, methods=["POST"]),
        Route(TRUNKS + "/trunkTypes", trunks.trunk_types, methods=["GET"]),
        Route(TRUNKS + "/actions/fqdnValidation/invoke", trunks.validate_fqdn, methods=["POST"]),
        Route(TRUNKS + "/actions/validate/invoke", trunks.validate, methods=["POST"]),
        _route(TRUNKS, GET=trunks.list_trunks, POST=trunks.create_trunk),
        _route(
            TRUNKS + "/{trunk_id}",
            GET=trunks.get_trunk,
            PUT=trunks.update_trunk,
            DELETE=trunks.delete_trunk,
        ),
        *_usage_routes(TRUNKS + "/{trunk_id}", **usage.endpoints("TRUNK")),
        _route(
            ROUTE_GROUPS, GET=route_groups.list_route_groups, POST=route_groups.create_route_group
        ),
        _route(
            ROUTE_GROUPS + "/{group_id}",
            GET=route_groups.get_route_group,
            PUT=route_groups.update_route_group,
            DELETE=route_groups.delete_route_group,
        ),
        *_usage_routes(ROUTE_GROUPS + "/{group_id}", **usage.endpoints("ROUTE_GROUP")),
        Route(DIAL_PLANS, routing.list_dial_plans, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SandboxMiddleware, state=state)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.sandbox = state
    return app
