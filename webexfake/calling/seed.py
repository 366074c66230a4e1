"""The demo org behind ``SandboxState.seeded()`` and ``trunkbot sandbox``.

Ids are stable across runs (uuid5 of the object's kind and name, see ``ids.seeded_id``), so
``seeded_id("LOCATION", "London HQ")`` is London's id in every seeded state.

* Calling-enabled locations: London HQ, Paris Office, Palo Alto, New York, Madrid ("Pa" matches
  both Paris Office and Palo Alto). In ``/v1/locations`` only: Warehouse (not calling-enabled).
* Trunk types: REGISTERING with Cisco Unified Border Element (250–1000, the spec example's
  numbers); CERTIFICATE_BASED with Cisco Unified Border Element 250–1000, Oracle ACME SBC
  10–1000, AudioCodes SBC 10–500, Ribbon SBC 10–1000.
* Verified domains: example.com, sbc.example.com.
* Trunks: "London-LGW-1" (REGISTERING, London HQ, ONLINE) and "NY-SBC-1" (CERTIFICATE_BASED,
  New York, address sbc1.sbc.example.com, domain sbc.example.com, port 5061).
* London-LGW-1 is in use: London HQ's PSTN connection, and a member of the route group
  "EU-LGWs", which the dial plan "EU-Dial-Plan" routes to. NY-SBC-1 is in use by nothing.
* Tokens: DEMO_ADMIN_TOKEN (full admin), DEMO_READ_ONLY_TOKEN (no write scope) — both for
  "Sandbox Admin" / "Read Only Admin"; the service app DEMO_CLIENT_ID / DEMO_CLIENT_SECRET with
  DEMO_REFRESH_TOKEN (rotated on first use).
"""

from __future__ import annotations

from webexfake.calling.state import (
    ADMIN_SCOPES,
    READ_ONLY_SCOPES,
    DeviceTypeLimits,
    SandboxState,
    SandboxTrunk,
)
from webexfake.ids import seeded_id

# Demo credentials for a fake server: they open nothing anywhere else.
DEMO_ADMIN_TOKEN = "U2FuZGJveERlbW9BZG1pblRva2Vu_SBX1_0d5c7a4e-demo-4ad0-8c1e-sandbox00001"  # noqa: S105
DEMO_READ_ONLY_TOKEN = "U2FuZGJveERlbW9SZWFkT25seQ_SBX1_0d5c7a4e-demo-4ad0-8c1e-sandbox00002"  # noqa: S105
DEMO_CLIENT_ID = "Csandbox0demo0service0app0client0id"
DEMO_CLIENT_SECRET = "sandbox-demo-client-secret"  # noqa: S105
DEMO_REFRESH_TOKEN = "U2FuZGJveERlbW9SZWZyZXNo_SBX1_0d5c7a4e-demo-4ad0-8c1e-sandbox00003"  # noqa: S105

CUBE = "Cisco Unified Border Element"
TRUNK_TYPES: dict[str, list[DeviceTypeLimits]] = {
    "REGISTERING": [DeviceTypeLimits(CUBE, 250, 1000)],
    "CERTIFICATE_BASED": [
        DeviceTypeLimits(CUBE, 250, 1000),
        DeviceTypeLimits("Oracle ACME SBC", 10, 1000),
        DeviceTypeLimits("AudioCodes SBC", 10, 500),
        DeviceTypeLimits("Ribbon SBC", 10, 1000),
    ],
}

_LOCATIONS: list[tuple[str, bool, str, str, str, str]] = [
    # name, calling-enabled, time zone, city, country, main number
    ("London HQ", True, "Europe/London", "London", "GB", "+442071234567"),
    ("Paris Office", True, "Europe/Paris", "Paris", "FR", "+33142345678"),
    ("Palo Alto", True, "America/Los_Angeles", "Palo Alto", "US", "+16505550100"),
    ("New York", True, "America/New_York", "New York", "US", "+12125550100"),
    ("Madrid", True, "Europe/Madrid", "Madrid", "ES", "+34912345678"),
    ("Warehouse", False, "America/Chicago", "Joliet", "US", ""),
]


def seed_demo_org(state: SandboxState) -> None:
    """Fill an empty state with the demo org described in the module docstring."""
    state.org_name = "Sandbox Org"
    state.org_id = seeded_id("ORGANIZATION", state.org_name)
    state.org_gateway_number = "40462196"
    for name, calling, tz, city, country, number in _LOCATIONS:
        state.add_location(
            name,
            calling_enabled=calling,
            time_zone=tz,
            city=city,
            country=country,
            main_number=number or None,
        )
    state.trunk_types = {kind: list(devices) for kind, devices in TRUNK_TYPES.items()}
    state.verified_domains = {"example.com", "sbc.example.com"}

    admin = state.add_person("Sandbox Admin", "admin@example.com")
    reader = state.add_person("Read Only Admin", "readonly@example.com")
    state.issue_token(DEMO_ADMIN_TOKEN, ADMIN_SCOPES, person_id=admin.id)
    state.issue_token(DEMO_READ_ONLY_TOKEN, READ_ONLY_SCOPES, person_id=reader.id)
    state.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    state.issue_refresh_token(DEMO_REFRESH_TOKEN, DEMO_CLIENT_ID, ADMIN_SCOPES, person_id=admin.id)

    london = seeded_id("LOCATION", "London HQ")
    new_york = seeded_id("LOCATION", "New York")
    host = f"{state.org_gateway_number}.us10.bcld.webex.com"
    state.add_trunk(
        SandboxTrunk(
            id=seeded_id("TRUNK", "London-LGW-1"),
            name="London-LGW-1",
            location_id=london,
            trunk_type="REGISTERING",
            password="Seeded#Passw0rd1",  # noqa: S106 - a fake trunk in a fake org
            device_type=CUBE,
            otg_dtg_id="london_lgw_1_4817_lgu",
            line_port=f"london_lgw_1_5306_LGU@{host}",
            pilot_user_id=f"london_lgw_1_4817_LGU@{host}",
            sip_authentication_user_name="london_lgw_1_4817_LGU",
            max_concurrent_calls=1000,
            status="ONLINE",
        )
    )
    state.add_trunk(
        SandboxTrunk(
            id=seeded_id("TRUNK", "NY-SBC-1"),
            name="NY-SBC-1",
            location_id=new_york,
            trunk_type="CERTIFICATE_BASED",
            password="Seeded#Passw0rd2",  # noqa: S106
            device_type=CUBE,
            otg_dtg_id="ny_sbc_1_2290_lgu",
            line_port=f"ny_sbc_1_7731_LGU@{host}",
            pilot_user_id=f"ny_sbc_1_2290_LGU@{host}",
            sip_authentication_user_name="ny_sbc_1_2290_LGU",
            max_concurrent_calls=500,
            address="sbc1.sbc.example.com",
            domain="sbc.example.com",
            port=5061,
            status="ONLINE",
        )
    )
    # London-LGW-1 is in use three ways: London's PSTN connection, a route group, a dial plan.
    london_trunk = seeded_id("TRUNK", "London-LGW-1")
    state.locations[london].connection = ("TRUNK", london_trunk)
    europe = state.add_route_group("EU-LGWs", [(london_trunk, 1)])
    state.add_dial_plan("EU-Dial-Plan", europe.id, "ROUTE_GROUP")
