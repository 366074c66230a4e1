"""The records a SandboxState holds: locations, device limits, trunks, people, and grants.

Each knows its own Webex wire shape where it has one. Scope names and token lifetimes live
here too, so routes and seeds share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

READ = "spark-admin:telephony_config_read"
WRITE = "spark-admin:telephony_config_write"
LOCATIONS_READ = "spark-admin:locations_read"
PEOPLE_READ = "spark:people_read"
#: What a full administrator's token (or the demo service app) carries.
ADMIN_SCOPES: frozenset[str] = frozenset({READ, WRITE, LOCATIONS_READ, PEOPLE_READ})
#: A read-only administrator: every write answers 403.
READ_ONLY_SCOPES: frozenset[str] = frozenset({READ, LOCATIONS_READ, PEOPLE_READ})

ACCESS_TOKEN_LIFETIME = 1_209_599  # ≈ 14 days, as Webex reports it
REFRESH_TOKEN_LIFETIME = 7_775_999  # ≈ 90 days


@dataclass
class SandboxLocation:
    id: str
    name: str
    calling_enabled: bool = True
    time_zone: str = "UTC"
    city: str = ""
    country: str = "US"
    address1: str = "1 Main Street"
    postal_code: str = "00000"
    main_number: str | None = None
    routing_prefix: str | None = None
    #: The premises PSTN connection: ("TRUNK" | "ROUTE_GROUP", id), or None when not set.
    connection: tuple[str, str] | None = None
    announcement_language: str = "en_us"
    #: A PSTN subscription (cloud-connected PSTN): then ``subscriptionId`` is returned, no
    #: ``connection``, and the API can't set one (only premises TRUNK / ROUTE_GROUP).
    pstn_subscription_id: str | None = None

    def telephony_json(self) -> dict[str, Any]:
        """A row of ``GET /telephony/config/locations`` (ListLocationObject)."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "callingLineId": {"name": self.name, "phoneNumber": self.main_number},
            "e911SetupRequired": False,
            "enforceOutsideDialDigit": False,
        }
        if self.routing_prefix:
            body["routingPrefix"] = self.routing_prefix
        return body

    def details_json(self, org_gateway_number: str) -> dict[str, Any]:
        """``GET /telephony/config/locations/{id}`` (GetTelephonyLocationObject). ``connection``
        is required by the schema but absent here while none is set: a location without a
        premises PSTN has nothing to name (wxc_sdk's model makes it optional)."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "announcementLanguage": self.announcement_language,
            "callingLineId": {"name": self.name, "phoneNumber": self.main_number or ""},
            "externalCallerIdName": self.name,
            "userLimit": 500000,
            "outsideDialDigit": "9",
            "enforceOutsideDialDigit": False,
            "routingPrefix": self.routing_prefix or "",
            "defaultDomain": f"{org_gateway_number}.us10.bcld.webex.com",
        }
        if self.connection is not None:
            body["connection"] = {"type": self.connection[0], "id": self.connection[1]}
        if self.pstn_subscription_id is not None:
            body["subscriptionId"] = self.pstn_subscription_id
        return body

    def common_json(self, org_id: str) -> dict[str, Any]:
        """An item of ``GET /locations``."""
        return {
            "id": self.id,
            "name": self.name,
            "orgId": org_id,
            "address": {
                "address1": self.address1,
                "city": self.city,
                "postalCode": self.postal_code,
                "country": self.country,
            },
            "timeZone": self.time_zone,
            "preferredLanguage": "en_us",
        }


@dataclass(frozen=True)
class DeviceTypeLimits:
    device_type: str
    min_concurrent_calls: int
    max_concurrent_calls: int

    def wire(self) -> dict[str, Any]:
        return {
            "deviceType": self.device_type,
            "minConcurrentCalls": self.min_concurrent_calls,
            "maxConcurrentCalls": self.max_concurrent_calls,
        }


@dataclass
class SandboxTrunk:
    id: str
    name: str
    location_id: str
    trunk_type: str
    password: str
    device_type: str
    otg_dtg_id: str
    line_port: str
    pilot_user_id: str
    sip_authentication_user_name: str
    max_concurrent_calls: int
    address: str | None = None
    domain: str | None = None
    port: int | None = None
    dual_identity_support_enabled: bool = False
    p_charge_info_support_policy: str = "DISABLED"
    status: str = "OFFLINE"
    #: In use by something the sandbox does not model (call-to-extension settings); route
    #: groups, dial plans and PSTN connections that name the trunk count without it.
    in_use: bool = False
    is_restricted_to_dedicated_instance: bool = False
    #: Peer identity for certificate-based trunks (TLS peer verification), as created.
    peer_identity: str | None = None
    #: When True, GET details answers 206 with ``responseStatus`` (25013/25014) like Webex can.
    partial: bool = False


@dataclass
class SandboxRouteGroup:
    id: str
    name: str
    #: (trunk id, priority), in the order given; Webex replaces the whole list on PUT.
    local_gateways: list[tuple[str, int]]


@dataclass
class SandboxDialPlan:
    id: str
    name: str
    route_id: str
    route_type: str  # "TRUNK" | "ROUTE_GROUP"

    def wire(self, route_name: str) -> dict[str, Any]:
        """A row of ``GET /premisePstn/dialPlans`` (DialPlan)."""
        return {
            "id": self.id,
            "name": self.name,
            "routeId": self.route_id,
            "routeName": route_name,
            "routeType": self.route_type,
        }


class GatewayValues(NamedTuple):
    otg_dtg_id: str
    line_port: str
    pilot_user_id: str
    sip_authentication_user_name: str


@dataclass
class SandboxPerson:
    id: str
    email: str
    display_name: str
    first_name: str
    last_name: str
    type: str = "person"

    def wire(self, org_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "emails": [self.email],
            "displayName": self.display_name,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "orgId": org_id,
            "type": self.type,
            "status": "active",
            "created": "2024-01-15T09:00:00.000Z",
        }


@dataclass
class TokenGrant:
    scopes: frozenset[str]
    person_id: str
    expires_at: float | None = None  # time.time() deadline; None never expires


@dataclass
class RefreshGrant:
    client_id: str
    scopes: frozenset[str]
    person_id: str
    expires_at: float | None = None
