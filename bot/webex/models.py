"""Pydantic models of the Webex payloads we send and read (camelCase on the wire).

Field names and required fields follow the OpenAPI descriptions of the trunk and location
APIs (call-routing.yml, location-call-settings.yml). Models we *read* ignore unknown
fields, since Webex adds fields without notice; models we *send* forbid them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A Webex payload we read: camelCase aliases, unknown fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class TrunkType(StrEnum):
    REGISTERING = "REGISTERING"
    CERTIFICATE_BASED = "CERTIFICATE_BASED"


class PChargeInfoSupportPolicy(StrEnum):
    DISABLED = "DISABLED"
    ASSERTED_IDENTITY = "ASSERTED_IDENTITY"
    CONFIGURABLE_CHARGE_NUMBER = "CONFIGURABLE_CHARGE_NUMBER"


class IdName(WireModel):
    id: str
    name: str = ""


class Location(WireModel):
    """A calling-enabled location (``GET /telephony/config/locations``)."""

    id: str
    name: str


class DeviceType(WireModel):
    device_type: str
    min_concurrent_calls: int | None = None
    max_concurrent_calls: int | None = None


class TrunkTypeInfo(WireModel):
    trunk_type: TrunkType
    device_types: list[DeviceType] = Field(default_factory=list)


class TrunkSummary(WireModel):
    """One row of ``GET /telephony/config/premisePstn/trunks``."""

    id: str
    name: str
    location: IdName | None = None
    in_use: bool | None = None
    # A plain string: one trunk of a type Webex adds later must not break listing.
    trunk_type: str | None = None
    is_restricted_to_dedicated_instance: bool | None = None


class OutboundProxy(WireModel):
    """``outboundProxy`` of a trunk: Webex documents it as an object with optional parts."""

    service_type: str | None = None
    id: str | None = None
    status: str | None = None
    outbound_proxy: str | None = None
    srv_prefix: str | None = None
    cname_records: list[dict[str, Any]] | None = None
    attachment_updated: bool | None = None


class ResponseStatus(WireModel):
    """Partial-data markers on a 206 answer (codes 25013 / 25014)."""

    code: int | None = None
    type: str | None = None
    summary_english: str | None = None
    detail: list[str] | None = None
    tracking_id: str | None = None


class TrunkDetails(WireModel):
    """``GET /telephony/config/premisePstn/trunks/{trunkId}`` (200, or 206 with partial data)."""

    id: str = ""  # not in the GET body; filled in from the path by the client
    name: str
    customer: IdName | None = None
    location: IdName | None = None
    otg_dtg_id: str | None = None
    line_port: str | None = None
    locations_using_trunk: list[IdName] = Field(default_factory=list)
    pilot_user_id: str | None = None
    outbound_proxy: OutboundProxy | None = None
    sip_authentication_user_name: str | None = None
    status: str | None = None
    error_codes: list[str] | None = None
    # A list in wxc_sdk's live-tested models and Webex's examples, one object in the
    # OpenAPI schema: both are read as a list.
    response_status: list[ResponseStatus] | None = None
    dual_identity_support_enabled: bool | None = None
    trunk_type: str | None = None
    device_type: str | None = None
    address: str | None = None
    domain: str | None = None
    port: int | None = None
    max_concurrent_calls: int | None = None
    is_restricted_to_dedicated_instance: bool | None = None
    p_charge_info_support_policy: str | None = None
    partial: bool = False  # True when Webex answered 206
    organization: IdName | None = None  # wxc_sdk's name for what the OpenAPI calls customer

    @field_validator("response_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("status", mode="before")
    @classmethod
    def _status_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def online(self) -> bool | None:
        """In service (registered / reachable), not, or unknown (None)."""
        if self.status == "ONLINE":
            return True
        if self.status == "OFFLINE":
            return False
        return None

    @property
    def is_registering(self) -> bool:
        return (self.trunk_type or "").upper() == TrunkType.REGISTERING.value


class TrunkUsage(WireModel):
    """``GET …/trunks/{id}/usage``: how many things route calls through the trunk."""

    pstn_connection_count: int = 0
    call_to_extension_count: int = 0
    dial_plan_count: int = 0
    route_group_count: int = 0

    @property
    def total(self) -> int:
        return (
            self.pstn_connection_count
            + self.call_to_extension_count
            + self.dial_plan_count
            + self.route_group_count
        )


class TrunkUpdate(BaseModel):
    """The body of ``PUT …/trunks/{trunkId}`` (TrunkPut): Webex requires ``name`` and
    ``password`` on every modify; the rest is left as it is when absent."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: str
    password: SecretStr
    dual_identity_support_enabled: bool | None = None
    max_concurrent_calls: int | None = None

    def wire(self) -> dict[str, Any]:
        body = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        body["password"] = self.password.get_secret_value()
        return body


class TrunkCreate(BaseModel):
    """The body of ``POST /telephony/config/premisePstn/trunks`` (TrunkPost).

    The password is a SecretStr so that repr, logs and validation errors never show it;
    :meth:`wire` reveals it only for the request body.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: str
    location_id: str
    password: SecretStr
    trunk_type: TrunkType
    dual_identity_support_enabled: bool | None = None
    device_type: str | None = None
    address: str | None = None
    domain: str | None = None
    port: int | None = None
    max_concurrent_calls: int | None = None
    p_charge_info_support_policy: PChargeInfoSupportPolicy | None = Field(
        default=None, alias="pChargeInfoSupportPolicy"
    )

    def wire(self) -> dict[str, Any]:
        """The JSON body Webex expects, password included, unset fields left out."""
        body = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        body["password"] = self.password.get_secret_value()
        return body
