"""The trunk request a person asked for — read from chat or card fields, every problem
collected, each field checked by :mod:`bot.validation.field_checks` — and its API body."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot import replies
from bot.grammar import KEYS, Fields, canonical_key, suggest_key
from bot.validation import field_checks as checks
from bot.validation.problems import (
    InvalidRequest,
    Problem,
    fail,
    ordered,
    request_message,
    translate,
)
from bot.validation.rules import (
    CERTIFICATE_ONLY_KEYS,
    DEVICE_MAX,
    FIELD_OF_KEY,
    LOCATION_MAX,
    NAME_MAX,
    PCHARGE_WORD,
    ROUTE_GROUP_MAX,
    parse_trunk_type,
)
from bot.webex.models import DeviceType, PChargeInfoSupportPolicy, TrunkCreate, TrunkType

#: The optional settings of a request, by grammar key, in the grammar's order: every key but
#: what names the trunk, where it goes, its type, its password and its org
#: (:meth:`TrunkRequest.settings`).
SETTING_KEYS = tuple(k for k in KEYS if k not in {"name", "location", "type", "password", "org"})


class TrunkRequest(BaseModel):
    """What a person asked for, validated; the location is not resolved yet.

    Build it with :meth:`from_fields` from chat or card input. Constructing it directly
    validates the same way but raises pydantic's ValidationError (inputs hidden).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str
    location: str
    trunk_type: TrunkType = TrunkType.REGISTERING
    password: SecretStr | None = None  # None: Webex generates one
    device_type: str | None = None
    address: str | None = None
    domain: str | None = None
    port: int | None = None
    max_calls: int | None = None
    dual_identity: bool | None = None
    org_id: str | None = None
    p_charge: PChargeInfoSupportPolicy | None = None
    # The route group to put the new trunk in right after the create (made if missing).
    route_group: str | None = None
    keys_as_typed: dict[str, str] = Field(default_factory=dict, repr=False)

    def key_as_typed(self, key: str) -> str:
        """How the person wrote canonical ``key`` (``maxConcurrentCalls``), else ``key``."""
        return self.keys_as_typed.get(key, key)

    def settings(self, device_type: str | None) -> dict[str, object]:
        """The optional settings it asks for, by the grammar's keys and with its words
        (``device`` is the device type checked against Webex's list): what the store, the
        audit trail and the confirm and approval cards keep and show. Never a password."""
        values = (
            device_type,
            self.address,
            self.domain,
            self.port,
            self.max_calls,
            self.dual_identity,
            None if self.p_charge is None else PCHARGE_WORD[self.p_charge],
            self.route_group,
        )
        return {k: v for k, v in zip(SETTING_KEYS, values, strict=True) if v is not None}

    @property
    def certificate_based(self) -> bool:
        return self.trunk_type is TrunkType.CERTIFICATE_BASED

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: object) -> object:
        return checks.text(v, "name", NAME_MAX, required=True)

    @field_validator("location", mode="before")
    @classmethod
    def _location(cls, v: object) -> object:
        return checks.text(v, "location", LOCATION_MAX, required=True)

    @field_validator("device_type", mode="before")
    @classmethod
    def _device(cls, v: object) -> object:
        return checks.text(v, "device", DEVICE_MAX, required=False)

    @field_validator("route_group", mode="before")
    @classmethod
    def _route_group(cls, v: object) -> object:
        return checks.text(v, "route-group", ROUTE_GROUP_MAX, required=False)

    @field_validator("trunk_type", mode="before")
    @classmethod
    def _trunk_type(cls, v: object) -> object:
        return checks.trunk_type(v)

    @field_validator("password", mode="before")
    @classmethod
    def _password(cls, v: object) -> object:
        return checks.password(v)

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, v: object) -> object:
        return checks.port(v)

    @field_validator("max_calls", mode="before")
    @classmethod
    def _max_calls(cls, v: object) -> object:
        return checks.max_calls(v)

    @field_validator("dual_identity", mode="before")
    @classmethod
    def _dual_identity(cls, v: object) -> object:
        return checks.yes_no(v, "dual-identity")

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, v: object) -> object:
        return checks.address(v)

    @field_validator("domain", mode="before")
    @classmethod
    def _domain(cls, v: object) -> object:
        return checks.domain(v)

    @field_validator("org_id", mode="before")
    @classmethod
    def _org(cls, v: object) -> object:
        return checks.org(v)

    @field_validator("p_charge", mode="before")
    @classmethod
    def _p_charge(cls, v: object) -> object:
        return checks.p_charge(v)

    @model_validator(mode="after")
    def _registering_takes_no_certificate_fields(self) -> TrunkRequest:
        if not self.certificate_based:
            extra = [k for k in CERTIFICATE_ONLY_KEYS if getattr(self, FIELD_OF_KEY[k]) is not None]
            if extra:
                fail("certificate_only", extra[0], keys=[self.key_as_typed(k) for k in extra])
        return self

    @classmethod
    def from_fields(
        cls,
        fields: Mapping[str, str],
        *,
        ignore_unknown: bool = False,
        ignore_empty: bool = False,
    ) -> TrunkRequest:
        """Validate chat (or card) fields; raise :class:`InvalidRequest` with every problem.

        Keys may be canonical, aliases or API names in any case (a :class:`Fields` from
        :func:`bot.grammar.parse_args` also tells how each key was typed). Cards pass
        ``ignore_unknown`` for their own extra inputs and ``ignore_empty`` because an
        untouched input arrives as "".
        """
        typed_map = fields.typed if isinstance(fields, Fields) else {}
        problems: list[Problem] = []
        data: dict[str, object] = {}
        typed: dict[str, str] = {}
        for raw_key, raw_value in fields.items():
            as_typed = typed_map.get(raw_key, raw_key)
            canon = canonical_key(raw_key)
            if canon is None:
                if not ignore_unknown:
                    msg = replies.unknown_key(as_typed, suggest_key(as_typed), KEYS)
                    problems.append(Problem(None, as_typed, "unknown_key", msg))
                continue
            if canon in typed:
                msg = replies.repeated_key(typed[canon], as_typed)
                problems.append(Problem(canon, as_typed, "repeated_key", msg))
                continue
            if raw_value is None:  # a card may send null for an untouched input
                continue
            value = raw_value if isinstance(raw_value, str) else str(raw_value)
            if ignore_empty and not value.strip():
                continue
            typed[canon] = as_typed
            data[FIELD_OF_KEY[canon]] = value

        # Certificate-only fields on a registering trunk, decided from the raw fields so it
        # is reported together with every other problem (pydantic skips after-validators
        # when a field failed).
        raw_type = data.get("trunk_type")
        trunk_type = parse_trunk_type(raw_type) if isinstance(raw_type, str) else None
        if raw_type is None or trunk_type is TrunkType.REGISTERING:
            extra = [k for k in CERTIFICATE_ONLY_KEYS if k in typed and _given(data, k)]
            if extra:
                msg = replies.certificate_only([typed[k] for k in extra])
                problems.extend(Problem(k, typed[k], "certificate_only", msg) for k in extra)

        try:
            req = cls.model_validate({**data, "keys_as_typed": typed})
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False, include_context=True)
            problems.extend(translate(e, typed) for e in errors if e["type"] != "certificate_only")
        else:
            if not problems:
                return req
        raise InvalidRequest(ordered(problems), request_message(problems, data)) from None


def _given(data: Mapping[str, object], key: str) -> bool:
    value = data.get(FIELD_OF_KEY[key])
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def to_create_body(
    req: TrunkRequest, *, location_id: str, password: SecretStr, device: DeviceType | None
) -> TrunkCreate:
    """The ``POST /premisePstn/trunks`` body for a checked request.

    ``device`` is what :func:`check_certificate` returned; ``password`` is the typed one or
    the one Webex generated. Unset optional fields are left out of the body.
    """
    if device is None and (req.device_type is not None or req.certificate_based):
        raise ValueError("to_create_body needs the device type from check_certificate")
    return TrunkCreate(
        name=req.name,
        location_id=location_id,
        password=password,
        trunk_type=req.trunk_type,
        dual_identity_support_enabled=req.dual_identity,
        device_type=device.device_type if device is not None else None,
        address=req.address,
        domain=req.domain,
        port=req.port,
        max_concurrent_calls=req.max_calls,
        p_charge_info_support_policy=req.p_charge,
    )
