"""The sandbox's in-memory Webex org: locations, trunk types, trunks, people, tokens, requests.

Tests build a state (``SandboxState.seeded()`` for the demo org, or ``SandboxState()`` for an
empty one), point an ``httpx.AsyncClient`` at it through
:class:`~webexfake.calling.SandboxTransport` or :func:`~webexfake.calling.serve`, and assert
on ``state.trunks`` and ``state.calls(...)``.

Everything that checks-then-commits runs under ``state.lock`` so the state may be shared by a
uvicorn server in another thread and in-process clients.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from webexfake.calling.entities import (
    ACCESS_TOKEN_LIFETIME,
    ADMIN_SCOPES,
    LOCATIONS_READ,
    PEOPLE_READ,
    READ,
    READ_ONLY_SCOPES,
    REFRESH_TOKEN_LIFETIME,
    WRITE,
    DeviceTypeLimits,
    GatewayValues,
    RefreshGrant,
    SandboxDialPlan,
    SandboxLocation,
    SandboxPerson,
    SandboxRouteGroup,
    SandboxTrunk,
    TokenGrant,
)
from webexfake.faults import FaultPlan
from webexfake.ids import random_digits, seeded_id
from webexfake.recorder import RecordedRequest, RequestLog

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "ADMIN_SCOPES",
    "LOCATIONS_READ",
    "PEOPLE_READ",
    "READ",
    "READ_ONLY_SCOPES",
    "REFRESH_TOKEN_LIFETIME",
    "WRITE",
    "DeviceTypeLimits",
    "GatewayValues",
    "RecordedRequest",
    "RefreshGrant",
    "SandboxDialPlan",
    "SandboxLocation",
    "SandboxPerson",
    "SandboxRouteGroup",
    "SandboxState",
    "SandboxTrunk",
    "TokenGrant",
]


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
    route_groups: dict[str, SandboxRouteGroup] = field(default_factory=dict)
    dial_plans: dict[str, SandboxDialPlan] = field(default_factory=dict)
    verified_domains: set[str] = field(default_factory=set)
    people: dict[str, SandboxPerson] = field(default_factory=dict)
    tokens: dict[str, TokenGrant] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    #: Every request received (the recorder both halves of the fake share).
    log: RequestLog = field(default_factory=RequestLog)
    faults: FaultPlan = field(default_factory=FaultPlan)
    #: Page size when a list request has no ``max`` (lower it to exercise Link paging).
    default_page_size: int = 100
    #: Webex's status for a duplicate trunk name is unknown: 409 here, set 400 to test the other.
    duplicate_name_status: int = 409
    #: Webex's answer for a non-calling location is unknown: 400 here (404 is the other guess).
    non_calling_location_status: int = 400
    #: ``responseStatus`` of ``GET …/trunks/{id}``: "list" (what Webex sends, as wxc_sdk's
    #: live-tested model and our webex-api.md say) or "object" (the OpenAPI schema's shape),
    #: so clients can be tried against both. See routes_trunks.details_json.
    response_status_shape: str = "list"
    #: How ``GET trunks?name=`` matches each comma-separated name: "exact" or "contains"
    #: (both case-insensitive). The spec says "matching"; real semantics are unknown.
    trunk_name_filter: str = "exact"
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def seeded(cls) -> SandboxState:
        """The demo org: five calling locations, a warehouse, two trunks, demo tokens."""
        from webexfake.calling.seed import seed_demo_org

        state = cls()
        seed_demo_org(state)
        return state

    # --- building -------------------------------------------------------------------

    def add_location(
        self, name: str, *, calling_enabled: bool = True, **extra: Any
    ) -> SandboxLocation:
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
        person = person_id or self._default_person()
        deadline = None if expires_in is None else time.time() + expires_in
        self.tokens[token] = TokenGrant(frozenset(scopes), person, deadline)
        return token

    def _default_person(self) -> str:
        if not self.people:
            self.add_person("Sandbox Admin", "admin@example.com")
        return next(iter(self.people))

    def revoke_token(self, token: str) -> None:
        """The token answers 401 from now on (an expired or revoked token)."""
        self.tokens.pop(token, None)

    def add_client(self, client_id: str, client_secret: str) -> None:
        self.clients[client_id] = client_secret

    def issue_refresh_token(
        self,
        token: str,
        client_id: str,
        scopes: frozenset[str] = ADMIN_SCOPES,
        *,
        person_id: str | None = None,
    ) -> str:
        person = person_id or self._default_person()
        deadline = time.time() + REFRESH_TOKEN_LIFETIME
        self.refresh_tokens[token] = RefreshGrant(client_id, frozenset(scopes), person, deadline)
        return token

    def add_trunk(self, trunk: SandboxTrunk) -> SandboxTrunk:
        with self.lock:
            self.trunks[trunk.id] = trunk
        return trunk

    def new_trunk_values(self, name: str) -> GatewayValues:
        """Gateway identifiers Webex generates for a new trunk (the spec example's shapes)."""
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:24] or "trunk"
        number = random_digits(4)
        line_number = random_digits(4)
        while line_number == number:
            line_number = random_digits(4)
        base, line = f"{slug}_{number}", f"{slug}_{line_number}"
        host = f"{self.org_gateway_number}.us10.bcld.webex.com"
        # As in the spec's example: the linePort's user part has its own number, unlike the
        # OTG/DTG, pilot user and SIP user name (a gateway config must never swap them).
        return GatewayValues(
            f"{base}_lgu", f"{line}_LGU@{host}", f"{base}_LGU@{host}", f"{base}_LGU"
        )

    # --- lookups --------------------------------------------------------------------

    def location_by_name(self, name: str) -> SandboxLocation | None:
        return next((loc for loc in self.locations.values() if loc.name == name), None)

    def trunk_by_name(self, name: str) -> SandboxTrunk | None:
        folded = name.casefold()
        return next((t for t in self.trunks.values() if t.name.casefold() == folded), None)

    def route_group_by_name(self, name: str) -> SandboxRouteGroup | None:
        folded = name.casefold()
        return next((g for g in self.route_groups.values() if g.name.casefold() == folded), None)

    def add_route_group(self, name: str, trunks: list[tuple[str, int]]) -> SandboxRouteGroup:
        group = SandboxRouteGroup(seeded_id("ROUTE_GROUP", name), name, list(trunks))
        with self.lock:
            self.route_groups[group.id] = group
        return group

    def add_dial_plan(self, name: str, route_id: str, route_type: str) -> SandboxDialPlan:
        plan = SandboxDialPlan(seeded_id("DIAL_PLAN", name), name, route_id, route_type)
        with self.lock:
            self.dial_plans[plan.id] = plan
        return plan

    # --- usage: who names a trunk or a route group ---------------------------------

    def route_groups_using(self, trunk_id: str) -> list[SandboxRouteGroup]:
        return [
            g for g in self.route_groups.values() if any(t == trunk_id for t, _ in g.local_gateways)
        ]

    def dial_plans_using(self, route_type: str, route_id: str) -> list[SandboxDialPlan]:
        return [
            p
            for p in self.dial_plans.values()
            if p.route_type == route_type and p.route_id == route_id
        ]

    def locations_using(self, route_type: str, route_id: str) -> list[SandboxLocation]:
        """Locations whose premises PSTN connection is this trunk or route group."""
        return [loc for loc in self.locations.values() if loc.connection == (route_type, route_id)]

    def trunk_in_use(self, trunk: SandboxTrunk) -> bool:
        return bool(
            trunk.in_use
            or self.route_groups_using(trunk.id)
            or self.dial_plans_using("TRUNK", trunk.id)
            or self.locations_using("TRUNK", trunk.id)
        )

    def route_group_in_use(self, group: SandboxRouteGroup) -> bool:
        return bool(
            self.dial_plans_using("ROUTE_GROUP", group.id)
            or self.locations_using("ROUTE_GROUP", group.id)
        )

    def device_limits(self, trunk_type: str, device_type: str) -> DeviceTypeLimits | None:
        return next(
            (d for d in self.trunk_types.get(trunk_type, []) if d.device_type == device_type), None
        )

    def is_verified_domain(self, domain: str) -> bool:
        return domain.lower().rstrip(".") in {d.lower() for d in self.verified_domains}

    # --- the request log ----------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, oldest first (a copy; see ``log``)."""
        return self.log.entries

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
        """Append one received request to the log (JSON or form bodies decoded)."""
        return self.log.record(method, path, query_string, headers, body, fault=fault)

    def calls(
        self,
        method: str | None = None,
        path_suffix: str | None = None,
        *,
        faulted: bool | None = None,
    ) -> list[RecordedRequest]:
        """Recorded requests by method and path suffix; ``faulted`` filters on having a fault."""
        return self.log.calls(method, path_suffix, faulted=faulted)
