"""The sandbox's in-memory Webex org: locations, trunk types, trunks, people, tokens, requests.

Tests build a state (``SandboxState.seeded()`` for the demo org, or ``SandboxState()`` for an
empty one), point an ``httpx.AsyncClient`` at it through :class:`~bot.sandbox.SandboxTransport`
or :func:`~bot.sandbox.serve`, and assert on ``state.trunks`` and ``state.calls(...)``.

Everything that checks-then-commits runs under ``state.lock`` so the state may be shared by a
uvicorn server in another thread and in-process clients.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from bot.sandbox.faults import FaultPlan
from bot.sandbox.ids import make_id, random_digits, seeded_id

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
    in_use: bool = False
    is_restricted_to_dedicated_instance: bool = False
    #: When True, GET details answers 206 with ``responseStatus`` (25013/25014) like Webex can.
    partial: bool = False


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


@dataclass
class RecordedRequest:
    """One request the sandbox received (also those a network fault stopped)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    body: bytes = b""
    status: int | None = None  # None when no response reached the client
    fault: str | None = None  # the FaultKind applied to it, if any


@dataclass
class SandboxState:
    """An in-memory Webex org. ``SandboxState()`` is empty; ``seeded()`` is the demo org."""

    org_name: str = "Sandbox Org"
    org_id: str = field(default_factory=lambda: seeded_id("ORGANIZATION", "Sandbox Org"))
    #: Eight digits in every trunk's linePort host, like Webex's per-org gateway number.
    org_gateway_number: str = field(default_factory=lambda: random_digits(8))
    locations: dict[str, SandboxLocation] = field(default_factory=dict)
    trunk_types: dict[str, list[DeviceTypeLimits]] = field(default_factory=dict)
    trunks: dict[str, SandboxTrunk] = field(default_factory=dict)
    verified_domains: set[str] = field(default_factory=set)
    people: dict[str, SandboxPerson] = field(default_factory=dict)
    tokens: dict[str, TokenGrant] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: FaultPlan = field(default_factory=FaultPlan)
    #: Page size when a list request has no ``max`` (lower it to exercise Link paging).
    default_page_size: int = 100
    #: Webex's status for a duplicate trunk name is unknown: 409 here, set 400 to test the other.
    duplicate_name_status: int = 409
    #: Webex's answer for a non-calling location is unknown: 400 here (404 is the other guess).
    non_calling_location_status: int = 400
    #: How ``GET trunks?name=`` matches each comma-separated name: "exact" or "contains"
    #: (both case-insensitive). The spec says "matching"; real semantics are unknown.
    trunk_name_filter: str = "exact"
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def seeded(cls) -> SandboxState:
        """The demo org: five calling locations, a warehouse, two trunks, demo tokens."""
        from bot.sandbox.seed import seed_demo_org  # noqa: PLC0415 - seed imports this module

        state = cls()
        seed_demo_org(state)
        return state

    # --- building -------------------------------------------------------------------

    def add_location(self, name: str, *, calling_enabled: bool = True, **extra: Any) -> SandboxLocation:
        location = SandboxLocation(
            id=seeded_id("LOCATION", name), name=name, calling_enabled=calling_enabled, **extra
        )
        self.locations[location.id] = location
        return location

    def add_person(self, display_name: str, email: str, *, type: str = "person") -> SandboxPerson:
        first, _, last = display_name.partition(" ")
        person = SandboxPerson(seeded_id("PEOPLE", email), email, display_name, first, last, type)
        self.people[person.id] = person
        return person

    def issue_token(
        self,
        token: str,
        scopes: frozenset[str] = ADMIN_SCOPES,
        *,
        person_id: str | None = None,
        expires_in: float | None = None,
    ) -> str:
        """Make ``token`` a valid bearer token (for the first person unless one is named)."""
        person = person_id or next(iter(self.people), "") or self.add_person("Sandbox Admin", "admin@example.com").id
        deadline = None if expires_in is None else time.time() + expires_in
        self.tokens[token] = TokenGrant(frozenset(scopes), person, deadline)
        return token

    def revoke_token(self, token: str) -> None:
        """The token answers 401 from now on (an expired or revoked token)."""
        self.tokens.pop(token, None)

    def add_client(self, client_id: str, client_secret: str) -> None:
        self.clients[client_id] = client_secret

    def issue_refresh_token(
        self, token: str, client_id: str, scopes: frozenset[str] = ADMIN_SCOPES, *, person_id: str | None = None
    ) -> str:
        person = person_id or next(iter(self.people), "")
        deadline = time.time() + REFRESH_TOKEN_LIFETIME
        self.refresh_tokens[token] = RefreshGrant(client_id, frozenset(scopes), person, deadline)
        return token

    def add_trunk(self, trunk: SandboxTrunk) -> SandboxTrunk:
        with self.lock:
            self.trunks[trunk.id] = trunk
        return trunk

    def new_trunk_values(self, name: str) -> dict[str, str]:
        """Gateway identifiers Webex generates for a new trunk (the spec example's shapes)."""
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:24] or "trunk"
        base = f"{slug}_{random_digits(4)}"
        host = f"{self.org_gateway_number}.us10.bcld.webex.com"
        return {
            "otg_dtg_id": f"{base}_lgu",
            "line_port": f"{base}_LGU@{host}",
            "pilot_user_id": f"{base}_LGU@{host}",
            "sip_authentication_user_name": f"{base}_LGU",
        }

    # --- lookups --------------------------------------------------------------------

    def location_by_name(self, name: str) -> SandboxLocation | None:
        return next((loc for loc in self.locations.values() if loc.name == name), None)

    def trunk_by_name(self, name: str) -> SandboxTrunk | None:
        folded = name.casefold()
        return next((t for t in self.trunks.values() if t.name.casefold() == folded), None)

    def device_limits(self, trunk_type: str, device_type: str) -> DeviceTypeLimits | None:
        return next((d for d in self.trunk_types.get(trunk_type, []) if d.device_type == device_type), None)

    def is_verified_domain(self, domain: str) -> bool:
        return domain.lower().rstrip(".") in {d.lower() for d in self.verified_domains}

    # --- the request log ----------------------------------------------------------

    def record(
        self,
        method: str,
        path: str,
        query_string: bytes,
        headers: dict[str, str],
        body: bytes,
        *,
        fault: str | None = None,
    ) -> RecordedRequest:
        """Append one received request to ``requests`` (JSON or form bodies decoded)."""
        content_type = headers.get("content-type", "")
        parsed: Any = None
        form: dict[str, str] | None = None
        if body and "json" in content_type:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        elif body and "x-www-form-urlencoded" in content_type:
            form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        query = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
        entry = RecordedRequest(method.upper(), path, query, headers, parsed, form, body, fault=fault)
        with self.lock:
            self.requests.append(entry)
        return entry

    def calls(
        self, method: str | None = None, path_suffix: str | None = None, *, faulted: bool | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests by method and path suffix; ``faulted`` True/False filters on a fault."""
        with self.lock:
            found = list(self.requests)
        return [
            r
            for r in found
            if (method is None or r.method == method.upper())
            and (path_suffix is None or r.path.endswith(path_suffix))
            and (faulted is None or (r.fault is not None) == faulted)
        ]
