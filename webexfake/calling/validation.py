"""How the sandbox validates trunk bodies (create, modify, FQDN validation).

Known Webex rules: required name/locationId/password/trunkType; ``?`` and ``!`` in a password
→ 400 25015; CERTIFICATE_BASED needs a listed deviceType, address, a verified domain (else 400
25024), a port unless the address is an SRV name (``_sip._…`` / ``_sips._…``), and
maxConcurrentCalls within the device type's limits; an address already used by a trunk → 409
27571. Sandbox choices where Webex is silent: names are 1–64 characters and unique
case-insensitively (``state.duplicate_name_status``, 409 by default); passwords are 8–64
characters; port 1–65535; two trunks collide on the same (address, domain), case-insensitive.
Unknown body fields are ignored, as Webex does.
"""

from __future__ import annotations

import re
from typing import Any

from webexfake.calling.common import (
    ADDRESS_IN_USE,
    DOMAIN_NOT_VERIFIED,
    INVALID_FIELD,
    LOCATION_NOT_CALLING,
    LOCATION_NOT_FOUND,
    MISSING_FIELD,
    PW_RULES_REFUSED,
    TRUNK_NAME_EXISTS,
)
from webexfake.calling.state import SandboxLocation, SandboxState, SandboxTrunk
from webexfake.errors import ApiError
from webexfake.ids import make_id, parse_id

TRUNK_TYPES = ("REGISTERING", "CERTIFICATE_BASED")
P_CHARGE_POLICIES = ("DISABLED", "ASSERTED_IDENTITY", "CONFIGURABLE_CHARGE_NUMBER")
SRV_PREFIXES = ("_sip._", "_sips._")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?$")


def _missing(field: str) -> ApiError:
    return ApiError(400, f"Missing Mandatory field name: {field}", MISSING_FIELD)


def _invalid(field: str, detail: str) -> ApiError:
    return ApiError(400, f"Invalid field value: {field}. {detail}", INVALID_FIELD)


def _string(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid(field, "A string is expected.")
    return value


def _required(body: dict[str, Any], field: str) -> str:
    value = _string(body, field)
    if value is None:
        raise _missing(field)
    return value


def _integer(body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, "A whole number is expected.")
    return value


def check_password(password: str) -> None:
    if "?" in password or "!" in password:
        raise ApiError(400, "Password cannot contain the characters ? or !.", PW_RULES_REFUSED)
    if not 8 <= len(password) <= 64:
        raise ApiError(400, "Password must be 8 to 64 characters long.", PW_RULES_REFUSED)


def check_name(state: SandboxState, name: str, *, exclude_id: str | None = None) -> None:
    if len(name) > 64 or not name.strip():
        raise _invalid("name", "The name must be 1 to 64 characters.")
    existing = state.trunk_by_name(name)
    if existing is not None and existing.id != exclude_id:
        raise ApiError(state.duplicate_name_status, "Trunk name already exists.", TRUNK_NAME_EXISTS)


def check_location(state: SandboxState, location_id: str) -> SandboxLocation:
    parsed = parse_id(location_id)
    if parsed is None or parsed[0] != "LOCATION":
        raise _invalid("locationId", "Not a location id.")
    location = state.locations.get(location_id)
    if location is None:
        raise ApiError(404, "Location not found.", LOCATION_NOT_FOUND)
    if not location.calling_enabled:
        raise ApiError(
            state.non_calling_location_status,
            f"Location {location.name} is not enabled for Webex Calling.",
            LOCATION_NOT_CALLING,
        )
    return location


def _fqdn_key(address: str | None, domain: str | None) -> tuple[str, str] | None:
    if not address or not domain:
        return None
    return address.lower().rstrip("."), domain.lower().rstrip(".")


def check_fqdn(
    state: SandboxState, body: dict[str, Any], *, exclude_id: str | None = None
) -> tuple[str, str, int | None]:
    """address, domain, port of a certificate-based trunk (or an fqdnValidation body)."""
    address = _required(body, "address")
    domain = _required(body, "domain")
    if not _HOST.match(address):
        raise _invalid("address", "Enter an FQDN or an SRV address.")
    if not _HOST.match(domain) or domain.startswith("_"):
        raise _invalid("domain", "Enter a domain name.")
    port = _integer(body, "port")
    if port is None and not address.lower().startswith(SRV_PREFIXES):
        raise _missing("port")
    if port is not None and not 1 <= port <= 65535:
        raise _invalid("port", "The port must be between 1 and 65535.")
    if not state.is_verified_domain(domain):
        raise ApiError(
            400, f"Domain {domain} is not verified in the organization.", DOMAIN_NOT_VERIFIED
        )
    key = _fqdn_key(address, domain)
    for trunk in state.trunks.values():
        if trunk.id != exclude_id and _fqdn_key(trunk.address, trunk.domain) == key:
            raise ApiError(409, f"Address {address} is already used by a trunk.", ADDRESS_IN_USE)
    return address, domain, port


def validate_trunk(state: SandboxState, body: dict[str, Any]) -> None:
    """``POST …/trunks/actions/validate/invoke``: the newer validation (wxc_sdk 1.41; not in our
    OpenAPI copy). Fields ``fqdnAddress``, ``fqdnDomain``, ``fqdnPort``, ``trunkType``,
    ``isRestrictedToDedicatedInstance``, ``peerIdentity``, all optional: the address is checked
    like fqdnValidation's when given (or when the type is CERTIFICATE_BASED)."""
    trunk_type = _string(body, "trunkType")
    if trunk_type is not None and trunk_type not in TRUNK_TYPES:
        raise _invalid("trunkType", f"One of {', '.join(TRUNK_TYPES)}.")
    restricted = body.get("isRestrictedToDedicatedInstance")
    if restricted is not None and not isinstance(restricted, bool):
        raise _invalid("isRestrictedToDedicatedInstance", "true or false is expected.")
    _string(body, "peerIdentity")
    if trunk_type == "CERTIFICATE_BASED" or body.get("fqdnAddress") or body.get("fqdnDomain"):
        renamed = {
            "address": body.get("fqdnAddress"),
            "domain": body.get("fqdnDomain"),
            "port": body.get("fqdnPort"),
        }
        check_fqdn(state, renamed)


def _options(body: dict[str, Any]) -> tuple[bool | None, str | None]:
    dual = body.get("dualIdentitySupportEnabled")
    if dual is not None and not isinstance(dual, bool):
        raise _invalid("dualIdentitySupportEnabled", "true or false is expected.")
    policy = _string(body, "pChargeInfoSupportPolicy")
    if policy is not None and policy not in P_CHARGE_POLICIES:
        raise _invalid("pChargeInfoSupportPolicy", f"One of {', '.join(P_CHARGE_POLICIES)}.")
    return dual, policy


def _calls(state: SandboxState, trunk_type: str, device_type: str, value: int | None) -> int | None:
    limits = state.device_limits(trunk_type, device_type)
    if value is not None and limits is not None:
        low, high = limits.min_concurrent_calls, limits.max_concurrent_calls
        if not low <= value <= high:
            raise _invalid(
                "maxConcurrentCalls", f"It must be between {low} and {high} for {device_type}."
            )
    return value


def validate_create(state: SandboxState, body: dict[str, Any]) -> SandboxTrunk:
    """A new trunk from a TrunkPost body (not stored yet), or an ApiError."""
    name = _required(body, "name")
    location_id = _required(body, "locationId")
    password = _required(body, "password")
    trunk_type = _required(body, "trunkType")
    if trunk_type not in TRUNK_TYPES:
        raise _invalid("trunkType", f"One of {', '.join(TRUNK_TYPES)}.")
    dual, policy = _options(body)
    location = check_location(state, location_id)
    check_name(state, name)
    check_password(password)

    devices = state.trunk_types.get(trunk_type, [])
    device_type = _string(body, "deviceType")
    if device_type is None and trunk_type == "CERTIFICATE_BASED":
        raise _missing("deviceType")
    if device_type is None:
        device_type = devices[0].device_type if devices else "Cisco Unified Border Element"
    elif state.device_limits(trunk_type, device_type) is None:
        listed = ", ".join(d.device_type for d in devices)
        raise _invalid("deviceType", f"Device types for {trunk_type}: {listed}.")
    calls = _calls(state, trunk_type, device_type, _integer(body, "maxConcurrentCalls"))
    address = domain = None
    port = None
    if trunk_type == "CERTIFICATE_BASED":
        if calls is None:
            raise _missing("maxConcurrentCalls")
        address, domain, port = check_fqdn(state, body)
    peer_identity = _string(body, "peerIdentity")
    limits = state.device_limits(trunk_type, device_type)
    gateway = state.new_trunk_values(name)
    return SandboxTrunk(
        id=make_id("TRUNK"),
        name=name,
        location_id=location.id,
        trunk_type=trunk_type,
        password=password,
        device_type=device_type,
        max_concurrent_calls=calls or (limits.max_concurrent_calls if limits else 1000),
        address=address,
        domain=domain,
        port=port,
        dual_identity_support_enabled=bool(dual),
        p_charge_info_support_policy=policy or "DISABLED",
        peer_identity=peer_identity,
        otg_dtg_id=gateway.otg_dtg_id,
        line_port=gateway.line_port,
        pilot_user_id=gateway.pilot_user_id,
        sip_authentication_user_name=gateway.sip_authentication_user_name,
    )


def validate_update(
    state: SandboxState, trunk: SandboxTrunk, body: dict[str, Any]
) -> dict[str, Any]:
    """The attribute changes a TrunkPut body asks for, or an ApiError."""
    name = _required(body, "name")
    password = _required(body, "password")
    dual, policy = _options(body)
    check_name(state, name, exclude_id=trunk.id)
    check_password(password)
    calls = _calls(state, trunk.trunk_type, trunk.device_type, _integer(body, "maxConcurrentCalls"))
    changes: dict[str, Any] = {"name": name, "password": password}
    if dual is not None:
        changes["dual_identity_support_enabled"] = dual
    if policy is not None:
        changes["p_charge_info_support_policy"] = policy
    if calls is not None:
        changes["max_concurrent_calls"] = calls
    return changes
