"""``/v1/telephony/config/premisePstn/trunks``: list, create, get, modify, delete, trunkTypes,
fqdnValidation. Bodies follow call-routing.yml (Trunk, TrunkPost, TrunkGet, TrunkPut).

List filters (sandbox decisions where the spec says only "matching"): ``name`` and
``locationName`` are comma-separated lists; each entry matches a whole name, case-insensitively
(``state.trunk_name_filter = "contains"`` switches ``name`` to substring matching). ``order`` is
``name`` or ``locationName`` with ``-asc``/``-desc``, several joined by ``|`` or ``,``; the
default is by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.calling.common import (
    INVALID_FIELD,
    TRUNK_IN_USE,
    TRUNK_NOT_FOUND,
    check_org,
    csv_values,
    json_object,
    paged,
    require,
    sandbox,
    tracking_of,
)
from webexfake.calling.state import READ, WRITE, SandboxState, SandboxTrunk
from webexfake.calling.validation import (
    TRUNK_TYPES,
    check_fqdn,
    validate_create,
    validate_trunk,
    validate_update,
)
from webexfake.errors import ApiError

_SORT_FIELDS = {"name": "name", "locationname": "locationName"}


def _location_json(state: SandboxState, location_id: str) -> dict[str, str]:
    location = state.locations.get(location_id)
    return {"id": location_id, "name": location.name if location else ""}


def summary_json(state: SandboxState, trunk: SandboxTrunk) -> dict[str, Any]:
    """A row of the trunk list (Trunk)."""
    return {
        "id": trunk.id,
        "name": trunk.name,
        "location": _location_json(state, trunk.location_id),
        "inUse": state.trunk_in_use(trunk),
        "trunkType": trunk.trunk_type,
        "isRestrictedToDedicatedInstance": trunk.is_restricted_to_dedicated_instance,
    }


#: The port a registering trunk reports: [unknown] which one Webex fills in (the spec requires
#: ``port``, its example says 5000); the sandbox reports the outbound proxy's SIP-TLS port, the
#: one the gateway connects to, never 0.
REGISTERING_PORT = 8934


def details_json(state: SandboxState, trunk: SandboxTrunk, tracking: str) -> dict[str, Any]:
    """The GET body (TrunkGet), never the password.

    Both ``customer`` (required by the OpenAPI schema) and ``id`` + ``organization`` (required
    by wxc_sdk's TrunkDetail, which is live-tested against Webex) are present.

    ``responseStatus``: the schema says one object, wxc_sdk's model (live-tested) a list. We
    serve a list by default — what Webex evidently sends, so a real client parses us — and the
    schema's object with ``state.response_status_shape = "object"``, so the product's parsing
    can be tried against both; an empty list (or no key) when there is nothing to report.
    """
    location = _location_json(state, trunk.location_id)
    proxy_host = "peer1.us10.sipconnect.bcld.webex.com"
    organization = {"id": state.org_id, "name": state.org_name}
    # Its own location, then any other location whose PSTN connection is this trunk.
    using = [location] + [
        {"id": loc.id, "name": loc.name}
        for loc in state.locations_using("TRUNK", trunk.id)
        if loc.id != trunk.location_id
    ]
    body: dict[str, Any] = {
        "id": trunk.id,
        "name": trunk.name,
        "customer": organization,
        "organization": organization,
        "location": location,
        "otgDtgId": trunk.otg_dtg_id,
        "linePort": trunk.line_port,
        "locationsUsingTrunk": using,
        "pilotUserId": trunk.pilot_user_id,
        "outboundProxy": {
            "sipAccessServiceType": "Local Gateway",
            "dnsType": "SRV",
            "outboundProxy": proxy_host,
            "srvPrefix": "_sips._tcp.",
            "cnameRecords": [{"host": proxy_host, "ttl": 300, "port": REGISTERING_PORT}],
            "attachmentUpdated": False,
        },
        "sipAuthenticationUserName": trunk.sip_authentication_user_name,
        "status": trunk.status,
        "errorCodes": [],
        "responseStatus": [],
        "dualIdentitySupportEnabled": trunk.dual_identity_support_enabled,
        "trunkType": trunk.trunk_type,
        "deviceType": trunk.device_type,
        "maxConcurrentCalls": trunk.max_concurrent_calls,
        "isRestrictedToDedicatedInstance": trunk.is_restricted_to_dedicated_instance,
        "pChargeInfoSupportPolicy": trunk.p_charge_info_support_policy,
    }
    if trunk.trunk_type == "CERTIFICATE_BASED":
        body.update(address=trunk.address, domain=trunk.domain, port=trunk.port)
    else:
        body["port"] = REGISTERING_PORT
    if trunk.peer_identity is not None:
        body["peerIdentity"] = trunk.peer_identity
    if trunk.partial:
        # "will not be set if the response has no body": null, which wxc_sdk (whose model
        # requires the key) reads; clients must handle it missing as well.
        body["outboundProxy"] = None
        body["status"] = "UNKNOWN"
        body["responseStatus"] = [
            {
                "code": 25013,
                "type": "ERROR",
                "summaryEnglish": "CPAPI: Error retrieving outboundproxy.",
                "detail": ["OCI-P GroupOutboundProxyGetRequest: [Error 26088] not configured."],
                "trackingId": f"CPAPI_{tracking.removeprefix('ROUTER_')}_0",
            }
        ]
    if state.response_status_shape == "object":
        statuses = body.pop("responseStatus")
        if statuses:
            body["responseStatus"] = statuses[0]
    return body


def trunk_of(request: Request) -> SandboxTrunk:
    """The trunk the path names, or 404."""
    trunk = sandbox(request).trunks.get(request.path_params["trunk_id"])
    if trunk is None:
        raise ApiError(404, "Trunk not found.", TRUNK_NOT_FOUND)
    return trunk


def _sort_key(state: SandboxState, field: str) -> Any:
    if field == "name":
        return lambda t: t.name.casefold()
    return lambda t: _location_json(state, t.location_id)["name"].casefold()


def _ordered(
    state: SandboxState, trunks: list[SandboxTrunk], order: str | None
) -> list[SandboxTrunk]:
    specs = [s.strip() for s in (order or "name-asc").replace("|", ",").split(",") if s.strip()]
    for spec in reversed(specs):  # stable sorts, last key first
        field, _, direction = spec.partition("-")
        key = _SORT_FIELDS.get(field.lower())
        if key is None or direction.lower() not in ("", "asc", "desc"):
            raise ApiError(400, f"Invalid order: {spec}", INVALID_FIELD)
        trunks = sorted(trunks, key=_sort_key(state, key), reverse=direction.lower() == "desc")
    return trunks


async def list_trunks(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    params = request.query_params
    names, location_names = csv_values(params.get("name")), csv_values(params.get("locationName"))
    trunk_type = params.get("trunkType")
    if trunk_type is not None and trunk_type not in TRUNK_TYPES:
        raise ApiError(400, f"Invalid trunkType: {trunk_type}", INVALID_FIELD)
    with state.lock:
        trunks = list(state.trunks.values())

    def wanted(trunk: SandboxTrunk) -> bool:
        name = trunk.name.casefold()
        if names and not any(
            n == name or (state.trunk_name_filter == "contains" and n in name) for n in names
        ):
            return False
        location = _location_json(state, trunk.location_id)["name"].casefold()
        if location_names and location not in location_names:
            return False
        return trunk_type is None or trunk.trunk_type == trunk_type

    rows = _ordered(state, [t for t in trunks if wanted(t)], params.get("order"))
    return paged(request, [summary_json(state, t) for t in rows], "trunks")


async def create_trunk(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    body = await json_object(request)
    state = sandbox(request)
    with state.lock:  # check-then-commit in one step: two racing creates cannot both pass
        trunk = validate_create(state, body)
        state.add_trunk(trunk)
    return JSONResponse({"id": trunk.id}, status_code=201)


async def get_trunk(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    trunk = trunk_of(request)
    body = details_json(state, trunk, tracking_of(request))
    return JSONResponse(body, status_code=206 if trunk.partial else 200)


async def update_trunk(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    body = await json_object(request)
    state = sandbox(request)
    with state.lock:
        trunk = trunk_of(request)
        changes = validate_update(state, trunk, body)
        state.trunks[trunk.id] = dataclasses.replace(trunk, **changes)
    return Response(status_code=204)


async def delete_trunk(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    state = sandbox(request)
    with state.lock:
        trunk = trunk_of(request)
        if state.trunk_in_use(trunk):
            raise ApiError(409, "Trunk is in use and cannot be deleted.", TRUNK_IN_USE)
        del state.trunks[trunk.id]
    return Response(status_code=204)


async def trunk_types(request: Request) -> Response:
    require(request, READ)
    check_org(request)
    state = sandbox(request)
    body = [
        {"trunkType": kind, "deviceTypes": [d.wire() for d in devices]}
        for kind, devices in state.trunk_types.items()
    ]
    return JSONResponse({"trunkTypes": body})


async def validate_fqdn(request: Request) -> Response:
    require(request, WRITE)
    check_org(request)
    body = await json_object(request)
    state = sandbox(request)
    with state.lock:
        check_fqdn(state, body)
    return Response(status_code=204)


async def validate(request: Request) -> Response:
    """``POST …/trunks/actions/validate/invoke`` (the non-deprecated validation)."""
    require(request, WRITE)
    check_org(request)
    body = await json_object(request, optional=True)
    state = sandbox(request)
    with state.lock:
        validate_trunk(state, body)
    return Response(status_code=204)
