"""The fake's calling API, read by a real client no one here wrote: Cisco's wxc_sdk.

wxc_sdk's models are live-tested against Webex, so a body it can't parse is a body the fake
invented. The test serves the seeded demo org over HTTP and drives it with
``WebexSimpleApi(tokens=…)``, whose base URL is the session's ``BASE`` (a class attribute of
``wxc_sdk.rest.RestSession``, set per instance here). wxc_sdk is synchronous (requests), so the
scenario runs in a thread while the server runs on the test's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxServer, SandboxState, seeded_id, serve

wxc_sdk = pytest.importorskip("wxc_sdk")

from wxc_sdk import WebexSimpleApi  # noqa: E402
from wxc_sdk.common import RouteType  # noqa: E402
from wxc_sdk.rest import RestError  # noqa: E402
from wxc_sdk.telephony.location import PSTNConnection, TelephonyLocation  # noqa: E402
from wxc_sdk.telephony.prem_pstn.route_group import RGTrunk, RouteGroup  # noqa: E402
from wxc_sdk.telephony.prem_pstn.trunk import TrunkType  # noqa: E402

LONDON_TRUNK = seeded_id("TRUNK", "London-LGW-1")
LONDON = seeded_id("LOCATION", "London HQ")
MADRID = seeded_id("LOCATION", "Madrid")
CUBE = "Cisco Unified Border Element"


@pytest.fixture
async def server() -> AsyncIterator[tuple[SandboxServer, SandboxState]]:
    state = SandboxState.seeded()
    async with await serve(state) as running:
        yield running, state


def api_for(base_url: str) -> WebexSimpleApi:
    api = WebexSimpleApi(tokens=DEMO_ADMIN_TOKEN, retry_429=False)
    api.session.BASE = base_url  # type: ignore[misc]  # the documented class attribute, per instance
    api.session.trust_env = False  # no proxy between the test and 127.0.0.1
    return api


def status_of(call: Any) -> int:
    with pytest.raises(RestError) as caught:
        call()
    return int(caught.value.response.status_code)


def trunks_and_types(api: WebexSimpleApi, state: SandboxState) -> None:
    trunk_api = api.telephony.prem_pstn.trunk
    listed = {t.name: t for t in trunk_api.list()}
    assert set(listed) == {"London-LGW-1", "NY-SBC-1"}
    assert listed["London-LGW-1"].in_use is True
    assert listed["NY-SBC-1"].in_use is False
    types = {t.trunk_type: t for t in trunk_api.trunk_types()}
    assert set(types) == {TrunkType.registering, TrunkType.certificate_base}
    assert [d.device_type for d in types[TrunkType.registering].device_types] == [CUBE]

    details = trunk_api.details(LONDON_TRUNK)
    assert details.trunk_id == LONDON_TRUNK
    assert details.organization.customer_id == state.org_id
    assert details.organization.name == state.org_name
    assert details.location.id == LONDON
    assert details.response_status == []
    assert details.port
    assert details.port > 0
    assert details.line_port.split("@", 1)[0] != details.sip_authentication_user_name


def create_and_validate(api: WebexSimpleApi) -> tuple[str, str]:
    trunk_api = api.telephony.prem_pstn.trunk
    password = api.telephony.location.generate_password(MADRID)
    registering = trunk_api.create(name="Madrid-LGW-2", location_id=MADRID, password=password)
    details = trunk_api.details(registering)
    assert (details.name, details.trunk_type, details.port) == ("Madrid-LGW-2", "REGISTERING", 8934)

    sbc = trunk_api.create(
        name="Madrid-SBC-9",
        location_id=MADRID,
        password=api.telephony.location.generate_password(MADRID),
        trunk_type=TrunkType.certificate_base,
        device_type=CUBE,  # type: ignore[arg-type]  # wxc_sdk's hint; the API takes the name
        address="sbc9.sbc.example.com",
        domain="sbc.example.com",
        port=5061,
        max_concurrent_calls=300,
        peer_identity="sbc9.sbc.example.com",
    )
    sbc_details = trunk_api.details(sbc)
    assert sbc_details.peer_identity == "sbc9.sbc.example.com"
    assert (sbc_details.address, sbc_details.port) == ("sbc9.sbc.example.com", 5061)

    # The non-deprecated validation, and the deprecated one the product still falls back to.
    trunk_api.validate_a_trunk(
        fqdn_address="sbc7.sbc.example.com",
        fqdn_domain="sbc.example.com",
        fqdn_port=5061,
        trunk_type=TrunkType.certificate_base,
        peer_identity="sbc7.sbc.example.com",
    )
    trunk_api.validate_a_trunk(trunk_type=TrunkType.registering)
    unverified = "sbc7.unverified.example.org"
    assert (
        status_of(lambda: trunk_api.validate_a_trunk(unverified, "unverified.example.org", 5061))
        == 400
    )
    in_use = "sbc9.sbc.example.com"
    assert status_of(lambda: trunk_api.validate_a_trunk(in_use, "sbc.example.com", 5061)) == 409
    trunk_api.validate_fqdn_and_domain("sbc7.sbc.example.com", "sbc.example.com", 5061)
    return registering, sbc


def usage_of_the_seeded_trunk(api: WebexSimpleApi) -> None:
    trunk_api = api.telephony.prem_pstn.trunk
    usage = trunk_api.usage(LONDON_TRUNK)
    assert (usage.pstn_connection_count, usage.route_group_count) == (1, 1)
    assert (usage.dial_plan_count, usage.call_to_extension_count) == (0, 0)
    assert [g.name for g in trunk_api.usage_route_group(LONDON_TRUNK)] == ["EU-LGWs"]
    assert [loc.name for loc in trunk_api.usage_location_pstn(LONDON_TRUNK)] == ["London HQ"]
    assert list(trunk_api.usage_dial_plan(LONDON_TRUNK)) == []
    assert list(trunk_api.usage_call_to_extension(LONDON_TRUNK)) == []


def route_groups_and_dial_plans(api: WebexSimpleApi, registering: str, sbc: str) -> str:
    rg_api = api.telephony.prem_pstn.route_group
    assert [(g.name, g.in_use) for g in rg_api.list()] == [("EU-LGWs", True)]
    group = RouteGroup(name="Madrid-RG", local_gateways=[RGTrunk(trunk_id=registering, priority=1)])
    rg_id = rg_api.create(group)
    read = rg_api.details(rg_id)
    assert read.name == "Madrid-RG"
    assert read.organization is not None
    assert [(t.trunk_id, t.name, t.location_id, t.priority) for t in read.local_gateways or []] == [
        (registering, "Madrid-LGW-2", MADRID, 1)
    ]
    # PUT replaces the whole list: send the existing member with the new one.
    members = [RGTrunk(trunk_id=registering, priority=1), RGTrunk(trunk_id=sbc, priority=2)]
    rg_api.update(rg_id, RouteGroup(name="Madrid-RG", local_gateways=members))
    assert [t.trunk_id for t in rg_api.details(rg_id).local_gateways or []] == [registering, sbc]
    usage = rg_api.usage(rg_id)
    assert (usage.pstn_connection_count, usage.dial_plan_count, usage.route_list_count) == (0, 0, 0)
    assert list(rg_api.usage_route_lists(rg_id)) == []
    assert list(rg_api.usage_location_pstn(rg_id)) == []

    plans = list(api.telephony.prem_pstn.dial_plan.list())
    assert [(p.name, p.route_type, p.route_name) for p in plans] == [
        ("EU-Dial-Plan", RouteType.route_group, "EU-LGWs")
    ]
    eu = next(g for g in rg_api.list() if g.name == "EU-LGWs")
    assert [p.name for p in rg_api.usage_dial_plan(eu.rg_id)] == ["EU-Dial-Plan"]  # type: ignore[arg-type]
    assert status_of(lambda: rg_api.delete_route_group(eu.rg_id)) == 409  # type: ignore[arg-type]
    throwaway = rg_api.create(
        RouteGroup(name="Spare", local_gateways=[RGTrunk(trunk_id=sbc, priority=1)])
    )
    rg_api.delete_route_group(throwaway)
    assert status_of(lambda: rg_api.details(throwaway)) == 404
    return rg_id


def locations_and_pstn(api: WebexSimpleApi, rg_id: str, registering: str) -> None:
    everything = {loc.name for loc in api.locations.list()}
    assert "Warehouse" in everything
    assert api.locations.details(MADRID).name == "Madrid"
    calling = {loc.name for loc in api.telephony.location.list()}
    assert calling == everything - {"Warehouse"}
    london = api.telephony.location.details(LONDON)
    assert london.connection is not None
    assert (london.connection.type, london.connection.id) == (RouteType.trunk, LONDON_TRUNK)
    assert api.telephony.location.details(MADRID).connection is None

    connection = PSTNConnection(type=RouteType.route_group, id=rg_id)
    api.telephony.location.update(MADRID, TelephonyLocation(connection=connection))
    madrid = api.telephony.location.details(MADRID)
    assert madrid.connection is not None
    assert (madrid.connection.type, madrid.connection.id) == (RouteType.route_group, rg_id)
    assert [loc.name for loc in api.telephony.prem_pstn.route_group.usage_location_pstn(rg_id)] == [
        "Madrid"
    ]
    cloud = TelephonyLocation(connection=PSTNConnection(type=RouteType.cisco_pstn, id="x"))
    assert status_of(lambda: api.telephony.location.update(MADRID, cloud)) == 400
    # The trunk is now in use through the route group: it can't be deleted.
    assert api.telephony.prem_pstn.trunk.usage(registering).route_group_count == 1
    assert status_of(lambda: api.telephony.prem_pstn.trunk.delete_trunk(registering)) == 409


def modify_and_delete(api: WebexSimpleApi, registering: str) -> None:
    trunk_api = api.telephony.prem_pstn.trunk
    password = api.telephony.location.generate_password(MADRID)
    trunk_api.update(registering, name="Madrid-LGW-2b", password=password, max_concurrent_calls=500)
    details = trunk_api.details(registering)
    assert (details.name, details.max_concurrent_calls) == ("Madrid-LGW-2b", 500)
    url = trunk_api.ep(registering)
    assert status_of(lambda: api.session.rest_put(url, json={"name": "no-password"})) == 400
    assert status_of(lambda: trunk_api.delete_trunk(LONDON_TRUNK)) == 409
    spare = trunk_api.create(
        name="Spare-LGW",
        location_id=MADRID,
        password=api.telephony.location.generate_password(MADRID),
    )
    trunk_api.delete_trunk(spare)
    assert status_of(lambda: trunk_api.details(spare)) == 404


def partial_details(api: WebexSimpleApi, state: SandboxState) -> None:
    """A 206 with ``responseStatus`` (25013): wxc_sdk reads the list the fake serves."""
    state.trunks[LONDON_TRUNK].partial = True
    details = api.telephony.prem_pstn.trunk.details(LONDON_TRUNK)
    assert [(s.code, s.response_status_type) for s in details.response_status] == [(25013, "ERROR")]
    assert details.outbound_proxy is None


async def test_wxc_sdk_reads_the_fake(server: tuple[SandboxServer, SandboxState]) -> None:
    running, state = server
    api = api_for(running.base_url)

    def scenario() -> None:
        trunks_and_types(api, state)
        registering, sbc = create_and_validate(api)
        usage_of_the_seeded_trunk(api)
        rg_id = route_groups_and_dial_plans(api, registering, sbc)
        locations_and_pstn(api, rg_id, registering)
        modify_and_delete(api, registering)
        partial_details(api, state)

    await asyncio.to_thread(scenario)


async def test_response_status_as_the_openapi_schema_says(
    server: tuple[SandboxServer, SandboxState],
) -> None:
    """``response_status_shape = "object"`` serves the schema's one object (for the product's
    defensive parsing); the default is the list Webex sends, which wxc_sdk reads above."""
    running, state = server
    state.response_status_shape = "object"
    state.trunks[LONDON_TRUNK].partial = True
    headers = {"Authorization": f"Bearer {DEMO_ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=running.base_url, headers=headers) as http:
        response = await http.get(f"/telephony/config/premisePstn/trunks/{LONDON_TRUNK}")
        assert response.status_code == 206
        assert response.json()["responseStatus"]["code"] == 25013
        ny = await http.get(
            f"/telephony/config/premisePstn/trunks/{seeded_id('TRUNK', 'NY-SBC-1')}"
        )
        assert "responseStatus" not in ny.json()  # nothing to report: no key, as the schema allows
