"""The sandbox fake of Webex: routes, validation, auth, paging, faults, tokens, real HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.webex.models import Location, TrunkDetails, TrunkSummary, TrunkType, TrunkTypeInfo
from webexfake.calling import (
    DEMO_ADMIN_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_READ_ONLY_TOKEN,
    DEMO_REFRESH_TOKEN,
    INJECTABLE_STATUSES,
    SandboxState,
    SandboxTransport,
    make_id,
    parse_id,
    seeded_id,
    serve,
)

BASE = "https://webexapis.com/v1"
TRUNKS = "/telephony/config/premisePstn/trunks"
FQDN = TRUNKS + "/actions/fqdnValidation/invoke"
MADRID = seeded_id("LOCATION", "Madrid")
WAREHOUSE = seeded_id("LOCATION", "Warehouse")
GOOD_PASSWORD = "Str0ng#Passw0rd"


def registering(**overrides: Any) -> dict[str, Any]:
    body = {"name": "Madrid-LGW", "locationId": MADRID, "password": GOOD_PASSWORD}
    return {**body, "trunkType": "REGISTERING", **overrides}


def certificate(**overrides: Any) -> dict[str, Any]:
    body = registering(name="Madrid-SBC", trunkType="CERTIFICATE_BASED")
    body |= {"deviceType": "AudioCodes SBC", "address": "sbc2.example.com", "domain": "example.com"}
    return {**body, "port": 5061, "maxConcurrentCalls": 100, **overrides}


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


@pytest.fixture
def state() -> SandboxState:
    return SandboxState.seeded()


@pytest.fixture
async def client(state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {DEMO_ADMIN_TOKEN}"}
    transport = SandboxTransport(state)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as c:
        yield c


def assert_webex_error(response: httpx.Response, status: int, code: int | None = None) -> str:
    """Check the Webex error shape and return errors[0].description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["trackingId"].startswith("ROUTER_")
    assert body["trackingId"] == response.headers["TrackingID"]
    assert body["message"]
    assert body["errors"][0].get("errorCode") == code
    return str(body["errors"][0]["description"])


# --- ids -----------------------------------------------------------------------------


def test_ids_round_trip_and_seeded_ids_are_stable() -> None:
    """make_id/parse_id round-trip url-safe unpadded base64; seeded ids never change."""
    trunk = make_id("TRUNK", "0b5e6c1a-1111-4222-8333-944445555666")
    assert "=" not in trunk
    assert parse_id(trunk) == ("TRUNK", "0b5e6c1a-1111-4222-8333-944445555666")
    assert parse_id("not-an-id") is None
    assert seeded_id("LOCATION", "Madrid") == SandboxState.seeded().location_by_name("Madrid").id  # type: ignore[union-attr]


# --- create and read -----------------------------------------------------------------


async def test_create_registering_then_details(
    client: httpx.AsyncClient, state: SandboxState
) -> None:
    """A registering trunk is created (201 + id) and its details match the spec's TrunkGet."""
    response = await client.post(TRUNKS, json=registering())
    assert response.status_code == 201
    trunk_id = response.json()["id"]
    assert parse_id(trunk_id)[0] == "TRUNK"  # type: ignore[index]
    posts = state.calls("POST", "/premisePstn/trunks")
    assert len(posts) == 1
    assert posts[0].json == registering()

    details = await client.get(f"{TRUNKS}/{trunk_id}")
    assert details.status_code == 200
    body = details.json()
    assert "password" not in body
    model = TrunkDetails.model_validate(body)
    assert model.name == "Madrid-LGW"
    assert model.location is not None
    assert model.location.name == "Madrid"
    assert model.customer is not None
    assert model.customer.id == state.org_id
    assert model.line_port
    assert model.line_port.endswith(".bcld.webex.com")
    assert "_LGU@" in model.line_port
    assert model.otg_dtg_id
    assert model.otg_dtg_id.endswith("_lgu")
    assert model.sip_authentication_user_name
    assert model.pilot_user_id
    assert [loc.name for loc in model.locations_using_trunk] == ["Madrid"]
    assert model.trunk_type == "REGISTERING"
    assert model.device_type == "Cisco Unified Border Element"
    assert model.p_charge_info_support_policy == "DISABLED"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(certificate(), id="fqdn-with-port"),
        pytest.param(
            certificate(address="_sips._tcp.sbc.example.com", port=None), id="srv-without-port"
        ),
        pytest.param(certificate(deviceType="Ribbon SBC", maxConcurrentCalls=10), id="device-min"),
        pytest.param(certificate(maxConcurrentCalls=500), id="device-max"),
        pytest.param(certificate(domain="sbc.example.com"), id="other-verified-domain"),
    ],
)
async def test_create_certificate_accepted(
    client: httpx.AsyncClient, state: SandboxState, body: dict[str, Any]
) -> None:
    """Valid certificate-based bodies are created and read back with address, domain, port."""
    body = {k: v for k, v in body.items() if v is not None}
    response = await client.post(TRUNKS, json=body)
    assert response.status_code == 201, response.text
    details = (await client.get(f"{TRUNKS}/{response.json()['id']}")).json()
    assert details["address"] == body["address"]
    assert details["domain"] == body["domain"]
    assert details.get("port") == body.get("port")
    assert details["maxConcurrentCalls"] == body["maxConcurrentCalls"]
    assert len(state.trunks) == 3


REFUSED = [
    ("missing-name", without(registering(), "name"), 400, 25008, "name"),
    ("missing-password", without(registering(), "password"), 400, 25008, "password"),
    ("missing-location", without(registering(), "locationId"), 400, 25008, "locationId"),
    ("missing-type", without(registering(), "trunkType"), 400, 25008, "trunkType"),
    ("bad-type", registering(trunkType="SIP"), 400, 25009, "trunkType"),
    ("password-question", registering(password="Passw0rd?123"), 400, 25015, "?"),
    ("password-bang", registering(password="Passw0rd!123"), 400, 25015, "!"),
    ("password-short", registering(password="Ab1#"), 400, 25015, "8"),
    ("duplicate-name", registering(name="London-LGW-1"), 409, 25103, "already exists"),
    ("duplicate-name-case", registering(name="LONDON-lgw-1"), 409, 25103, "already exists"),
    ("unknown-location", registering(locationId=make_id("LOCATION")), 404, 25101, "not found"),
    ("malformed-location", registering(locationId="Madrid"), 400, 25009, "locationId"),
    ("non-calling-location", registering(locationId=WAREHOUSE), 400, 25102, "Webex Calling"),
    ("cert-no-device", without(certificate(), "deviceType"), 400, 25008, "deviceType"),
    ("cert-bad-device", certificate(deviceType="Asterisk"), 400, 25009, "deviceType"),
    ("cert-no-address", without(certificate(), "address"), 400, 25008, "address"),
    ("cert-no-domain", without(certificate(), "domain"), 400, 25008, "domain"),
    ("cert-fqdn-no-port", without(certificate(), "port"), 400, 25008, "port"),
    ("cert-port-range", certificate(port=70000), 400, 25009, "port"),
    ("cert-no-calls", without(certificate(), "maxConcurrentCalls"), 400, 25008, "maxConcurrent"),
    ("cert-calls-low", certificate(maxConcurrentCalls=5), 400, 25009, "between 10 and 500"),
    ("cert-calls-high", certificate(maxConcurrentCalls=501), 400, 25009, "between 10 and 500"),
    ("cert-domain-unverified", certificate(domain="acme.corp"), 400, 25024, "not verified"),
    (
        "cert-address-used",
        certificate(address="sbc1.sbc.example.com", domain="sbc.example.com"),
        409,
        27571,
        "already used",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSED],
)
async def test_create_refused(
    client: httpx.AsyncClient,
    state: SandboxState,
    body: dict[str, Any],
    status: int,
    code: int,
    fragment: str,
) -> None:
    """Invalid create bodies get Webex's status, errorCode and a description; nothing commits."""
    response = await client.post(TRUNKS, json=body)
    assert fragment in assert_webex_error(response, status, code)
    assert len(state.trunks) == 2


@pytest.mark.parametrize(
    ("knob", "value", "body", "status"),
    [
        pytest.param(
            "duplicate_name_status", 400, registering(name="London-LGW-1"), 400, id="dup-400"
        ),
        pytest.param(
            "non_calling_location_status",
            404,
            registering(locationId=WAREHOUSE),
            404,
            id="noncalling-404",
        ),
    ],
)
async def test_unknown_webex_answers_are_switchable(
    client: httpx.AsyncClient,
    state: SandboxState,
    knob: str,
    value: int,
    body: dict[str, Any],
    status: int,
) -> None:
    """Statuses Webex does not document can be switched to the other plausible answer."""
    setattr(state, knob, value)
    assert_webex_error(
        await client.post(TRUNKS, json=body), status, 25103 if "dup" in knob else 25102
    )


async def test_trunk_types_shape(client: httpx.AsyncClient) -> None:
    """trunkTypes lists both types with device types and call limits."""
    response = await client.get(TRUNKS + "/trunkTypes")
    assert response.status_code == 200
    infos = [TrunkTypeInfo.model_validate(t) for t in response.json()["trunkTypes"]]
    by_type = {i.trunk_type: {d.device_type: d for d in i.device_types} for i in infos}
    assert set(by_type[TrunkType.REGISTERING]) == {"Cisco Unified Border Element"}
    cert = by_type[TrunkType.CERTIFICATE_BASED]
    assert set(cert) >= {
        "Cisco Unified Border Element",
        "Oracle ACME SBC",
        "AudioCodes SBC",
        "Ribbon SBC",
    }
    assert (
        cert["AudioCodes SBC"].min_concurrent_calls,
        cert["AudioCodes SBC"].max_concurrent_calls,
    ) == (10, 500)


async def test_update_and_delete(client: httpx.AsyncClient, state: SandboxState) -> None:
    """PUT needs name and password (204); DELETE answers 204, then the trunk is 404."""
    trunk_id = (await client.post(TRUNKS, json=registering())).json()["id"]
    refused = await client.put(f"{TRUNKS}/{trunk_id}", json={"name": "Renamed"})
    assert_webex_error(refused, 400, 25008)
    renamed = await client.put(
        f"{TRUNKS}/{trunk_id}", json={"name": "Renamed", "password": "An0ther#Pass"}
    )
    assert renamed.status_code == 204
    assert state.trunks[trunk_id].name == "Renamed"
    assert (await client.delete(f"{TRUNKS}/{trunk_id}")).status_code == 204
    assert_webex_error(await client.get(f"{TRUNKS}/{trunk_id}"), 404, 25104)
    in_use = seeded_id("TRUNK", "London-LGW-1")
    assert_webex_error(await client.delete(f"{TRUNKS}/{in_use}"), 409, 25105)


async def test_partial_details_answer_206(client: httpx.AsyncClient, state: SandboxState) -> None:
    """A trunk flagged partial answers 206 with a responseStatus list (code 25013)."""
    trunk_id = seeded_id("TRUNK", "NY-SBC-1")
    state.trunks[trunk_id].partial = True
    response = await client.get(f"{TRUNKS}/{trunk_id}")
    assert response.status_code == 206
    assert TrunkDetails.model_validate(response.json()).response_status[0].code == 25013  # type: ignore[index]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        pytest.param({}, ["London-LGW-1", "NY-SBC-1"], id="all-by-name"),
        pytest.param(
            {"name": "ny-sbc-1, London-LGW-1"}, ["London-LGW-1", "NY-SBC-1"], id="names-exact"
        ),
        pytest.param({"name": "London"}, [], id="name-is-not-contains"),
        pytest.param({"locationName": "New York"}, ["NY-SBC-1"], id="location-name"),
        pytest.param({"trunkType": "REGISTERING"}, ["London-LGW-1"], id="trunk-type"),
        pytest.param({"order": "name-desc"}, ["NY-SBC-1", "London-LGW-1"], id="order-desc"),
    ],
)
async def test_list_trunk_filters(
    client: httpx.AsyncClient, params: dict[str, str], names: list[str]
) -> None:
    """The trunk list filters by exact names, location names and type, and orders."""
    response = await client.get(TRUNKS, params=params)
    assert response.status_code == 200
    rows = [TrunkSummary.model_validate(t) for t in response.json()["trunks"]]
    assert [r.name for r in rows] == names


# --- locations and paging -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "key", "name", "expected"),
    [
        pytest.param(
            "/telephony/config/locations",
            "locations",
            None,
            {"London HQ", "Paris Office", "Palo Alto", "New York", "Madrid"},
            id="calling-only",
        ),
        pytest.param(
            "/locations",
            "items",
            None,
            {"London HQ", "Paris Office", "Palo Alto", "New York", "Madrid", "Warehouse"},
            id="all",
        ),
        pytest.param(
            "/telephony/config/locations",
            "locations",
            "Pa",
            {"Paris Office", "Palo Alto"},
            id="calling-pa-ambiguous",
        ),
        pytest.param(
            "/locations", "items", "pa", {"Paris Office", "Palo Alto"}, id="all-pa-ambiguous"
        ),
        pytest.param(
            "/telephony/config/locations", "locations", "ware", set(), id="warehouse-not-calling"
        ),
        pytest.param("/locations", "items", "WARE", {"Warehouse"}, id="warehouse-listed"),
    ],
)
async def test_locations(
    client: httpx.AsyncClient, path: str, key: str, name: str | None, expected: set[str]
) -> None:
    """Telephony locations are calling-enabled only; /locations lists all; name is contains."""
    response = await client.get(path, params={"name": name} if name else {})
    assert response.status_code == 200
    rows = [Location.model_validate(r) for r in response.json()[key]]
    assert {r.name for r in rows} == expected


@pytest.mark.parametrize(
    ("path", "key"),
    [
        pytest.param("/telephony/config/locations", "locations", id="telephony-locations"),
        pytest.param("/locations", "items", id="locations"),
        pytest.param(TRUNKS, "trunks", id="trunks"),
    ],
)
async def test_paging_follows_link_next(
    client: httpx.AsyncClient, state: SandboxState, path: str, key: str
) -> None:
    """Lists page by Link rel=next (default page size too) and the pages add up to the list."""
    for n in range(3):
        await client.post(TRUNKS, json=registering(name=f"Extra-{n}"))
    everything = (await client.get(path, params={"max": 1000})).json()[key]
    state.default_page_size = 2
    url: str | None = f"{BASE}{path}"
    seen: list[dict[str, Any]] = []
    while url:
        response = await client.get(url)
        page = response.json()[key]
        assert len(page) <= 2
        seen += page
        url = response.links.get("next", {}).get("url")
    assert seen == everything
    assert len(seen) > 2


# --- auth -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "authorization", "status"),
    [
        pytest.param("GET", TRUNKS, None, 401, id="no-header"),
        pytest.param("GET", TRUNKS, "Bearer nope", 401, id="unknown-token"),
        pytest.param("GET", TRUNKS, f"Basic {DEMO_ADMIN_TOKEN}", 401, id="not-bearer"),
        pytest.param("POST", TRUNKS, f"Bearer {DEMO_READ_ONLY_TOKEN}", 403, id="read-only-create"),
        pytest.param("POST", FQDN, f"Bearer {DEMO_READ_ONLY_TOKEN}", 403, id="read-only-fqdn"),
        pytest.param("GET", TRUNKS, f"Bearer {DEMO_READ_ONLY_TOKEN}", 200, id="read-only-list"),
    ],
)
async def test_auth(
    client: httpx.AsyncClient, method: str, path: str, authorization: str | None, status: int
) -> None:
    """No or unknown bearer token → 401; a token without the write scope → 403 on writes."""
    headers = {"Authorization": authorization} if authorization else {}
    request = client.build_request(method, path, json=registering() if method == "POST" else None)
    if authorization is None:
        del request.headers["Authorization"]
    request.headers.update(headers)
    response = await client.send(request)
    if status == 200:
        assert response.status_code == 200
    else:
        assert_webex_error(response, status)


async def test_revoked_token_and_foreign_org(
    client: httpx.AsyncClient, state: SandboxState
) -> None:
    """A revoked token answers 401; another org's orgId answers 403."""
    other_org = make_id("ORGANIZATION")
    assert_webex_error(await client.get(TRUNKS, params={"orgId": other_org}), 403)
    assert (await client.get(TRUNKS, params={"orgId": state.org_id})).status_code == 200
    state.revoke_token(DEMO_ADMIN_TOKEN)
    assert_webex_error(await client.get(TRUNKS), 401)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        pytest.param("GET", "/telephony/config/nothing", {}, 404, id="unknown-path"),
        pytest.param("PATCH", TRUNKS, {}, 405, id="wrong-method"),
        pytest.param(
            "POST",
            TRUNKS,
            {"content": b"name=x", "headers": {"content-type": "text/plain"}},
            415,
            id="not-json-media",
        ),
        pytest.param(
            "POST",
            TRUNKS,
            {"content": b"{nope", "headers": {"content-type": "application/json"}},
            400,
            id="bad-json",
        ),
        pytest.param("POST", TRUNKS, {"json": ["a", "list"]}, 400, id="json-not-object"),
    ],
)
async def test_router_errors(
    client: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    """Unknown paths, wrong methods and non-JSON bodies get Webex-shaped errors."""
    response = await client.request(method, path, **kwargs)
    assert_webex_error(response, status)
    if status == 405:
        assert "POST" in response.headers["Allow"]


async def test_people_me(client: httpx.AsyncClient, state: SandboxState) -> None:
    """/people/me returns the token's identity in this org."""
    me = (await client.get("/people/me")).json()
    assert me["emails"] == ["admin@example.com"]
    assert me["orgId"] == state.org_id
    assert parse_id(me["id"])[0] == "PEOPLE"  # type: ignore[index]


# --- passwords and FQDN validation ---------------------------------------------------------


async def test_generated_passwords_are_accepted(client: httpx.AsyncClient) -> None:
    """generatePassword gives fresh passwords the sandbox accepts (no ? or !)."""
    path = f"/telephony/config/locations/{MADRID}/actions/generatePassword/invoke"
    passwords = [(await client.post(path)).json()["exampleSipPassword"] for _ in range(10)]
    assert len(set(passwords)) == 10
    assert not any("?" in p or "!" in p for p in passwords)
    created = await client.post(TRUNKS, json=registering(password=passwords[0]))
    assert created.status_code == 201
    assert_webex_error(await client.post(path.replace(MADRID, WAREHOUSE)), 404, 25101)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(
            {"address": "sbc9.example.com", "domain": "example.com", "port": 5061},
            204,
            None,
            id="ok",
        ),
        pytest.param(
            {"address": "_sips._tcp.sbc.example.com", "domain": "sbc.example.com"},
            204,
            None,
            id="srv",
        ),
        pytest.param(
            {"address": "sbc9.acme.corp", "domain": "acme.corp", "port": 5061},
            400,
            25024,
            id="unverified",
        ),
        pytest.param(
            {"address": "SBC1.sbc.example.com", "domain": "sbc.example.com", "port": 5061},
            409,
            27571,
            id="address-used",
        ),
    ],
)
async def test_fqdn_validation(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, code: int | None
) -> None:
    """fqdnValidation: 204, 400 25024 for an unverified domain, 409 27571 for a used address."""
    response = await client.post(FQDN, json=body)
    if status == 204:
        assert response.status_code == 204
    else:
        assert_webex_error(response, status, code)


# --- faults -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(INJECTABLE_STATUSES), ids=str)
async def test_status_fault(client: httpx.AsyncClient, state: SandboxState, status: int) -> None:
    """Each documented status can be injected once, with an error body; nothing commits."""
    fault = state.faults.add(
        "status", method="POST", path_suffix="/premisePstn/trunks", status=status
    )
    assert_webex_error(await client.post(TRUNKS, json=registering()), status)
    assert len(state.trunks) == 2
    assert fault.hits == 1
    assert (await client.post(TRUNKS, json=registering())).status_code == 201


@pytest.mark.parametrize(
    "retry_after", ["3", "0", "-1", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", ""]
)
async def test_retry_after_passes_through_verbatim(
    client: httpx.AsyncClient, state: SandboxState, retry_after: str
) -> None:
    """A 429's Retry-After is sent exactly as given, malformed values included."""
    state.faults.add("status", status=429, retry_after=retry_after)
    response = await client.get(TRUNKS)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == retry_after


@pytest.mark.parametrize(
    ("kind", "extra", "error", "committed"),
    [
        pytest.param("reset", {}, httpx.ReadError, False, id="reset"),
        pytest.param(
            "reset", {"error": httpx.ConnectError}, httpx.ConnectError, False, id="reset-connect"
        ),
        pytest.param(
            "reset",
            {"error": httpx.RemoteProtocolError},
            httpx.RemoteProtocolError,
            False,
            id="reset-protocol",
        ),
        pytest.param("timeout_before", {}, httpx.ReadTimeout, False, id="timeout-before"),
        pytest.param("timeout_after", {}, httpx.ReadTimeout, True, id="timeout-after"),
    ],
)
async def test_network_faults_in_process(
    client: httpx.AsyncClient,
    state: SandboxState,
    kind: str,
    extra: dict[str, Any],
    error: type[Exception],
    committed: bool,
) -> None:
    """Network faults raise httpx errors; only timeout_after commits; all are recorded."""
    state.faults.add(kind, method="POST", path_suffix="/premisePstn/trunks", **extra)
    with pytest.raises(error):
        await client.post(TRUNKS, json=registering())
    assert (state.trunk_by_name("Madrid-LGW") is not None) is committed
    [call] = state.calls("POST", "/premisePstn/trunks")
    assert call.fault == kind
    assert call.json == registering()


async def test_status_fault_with_commit(client: httpx.AsyncClient, state: SandboxState) -> None:
    """commit=True handles the request, then answers the error: a retry sees a duplicate."""
    state.faults.add(
        "status", method="POST", path_suffix="/premisePstn/trunks", status=502, commit=True
    )
    assert_webex_error(await client.post(TRUNKS, json=registering()), 502)
    assert state.trunk_by_name("Madrid-LGW") is not None
    assert_webex_error(await client.post(TRUNKS, json=registering()), 409, 25103)


@pytest.mark.parametrize(
    ("method", "path", "fires"),
    [
        pytest.param("POST", TRUNKS, True, id="match"),
        pytest.param("GET", TRUNKS, False, id="other-method"),
        pytest.param("POST", FQDN, False, id="other-path"),
    ],
)
async def test_fault_matching(
    client: httpx.AsyncClient, state: SandboxState, method: str, path: str, fires: bool
) -> None:
    """A fault fires only on its method and path suffix, and only `times` times."""
    fault = state.faults.add(
        "status", method="POST", path_suffix="/premisePstn/trunks", status=503, times=2
    )
    body = (
        registering()
        if path == TRUNKS
        else {"address": "x.example.com", "domain": "example.com", "port": 1}
    )
    for _ in range(3):
        await client.request(method, path, json=body if method == "POST" else None)
    assert fault.hits == (2 if fires else 0)
    assert fault.spent is fires


async def test_latency_and_client_timeout(client: httpx.AsyncClient, state: SandboxState) -> None:
    """Latency delays answers; a client read timeout fires while the request still commits."""
    state.faults.add("latency", seconds=0.05, times=None)
    started = time.perf_counter()
    assert (await client.get(TRUNKS)).status_code == 200
    assert time.perf_counter() - started >= 0.05
    state.faults.add("latency", seconds=0.2, method="POST")
    with pytest.raises(httpx.ReadTimeout):
        await client.post(TRUNKS, json=registering(), timeout=0.05)
    assert state.trunk_by_name("Madrid-LGW") is None
    transport = client._transport
    assert isinstance(transport, SandboxTransport)
    await transport.drain()
    assert state.trunk_by_name("Madrid-LGW") is not None


def test_fault_plan_rejects_bad_faults(state: SandboxState) -> None:
    """Status faults need a documented status; times must be positive."""
    with pytest.raises(ValueError):
        state.faults.add("status", status=418)
    with pytest.raises(ValueError):
        state.faults.add("reset", times=0)
    with pytest.raises(ValueError):
        state.faults.add("gremlins")


# --- tokens -----------------------------------------------------------------------------


async def test_access_token_rotation(client: httpx.AsyncClient, state: SandboxState) -> None:
    """A refresh yields a working access token and rotates the refresh token."""
    form = {
        "grant_type": "refresh_token",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
    }
    first = await client.post("/access_token", data={**form, "refresh_token": DEMO_REFRESH_TOKEN})
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] > 0
    assert tokens["refresh_token"] != DEMO_REFRESH_TOKEN
    assert tokens["refresh_token_expires_in"] > 0
    me = await client.get(
        "/people/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    replay = await client.post("/access_token", data={**form, "refresh_token": DEMO_REFRESH_TOKEN})
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    second = await client.post(
        "/access_token", data={**form, "refresh_token": tokens["refresh_token"]}
    )
    assert second.status_code == 200
    assert second.json()["access_token"] != tokens["access_token"]


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        pytest.param({"client_secret": "wrong"}, 401, "invalid_client", id="bad-secret"),
        pytest.param({"grant_type": "password"}, 400, "unsupported_grant_type", id="bad-grant"),
        pytest.param({"refresh_token": "made-up"}, 400, "invalid_grant", id="bad-refresh"),
        pytest.param({"refresh_token": ""}, 400, "invalid_request", id="missing-refresh"),
    ],
)
async def test_access_token_refused(
    client: httpx.AsyncClient, change: dict[str, str], status: int, error: str
) -> None:
    """Bad refresh requests get an OAuth error body."""
    form = {
        "grant_type": "refresh_token",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "refresh_token": DEMO_REFRESH_TOKEN,
    }
    response = await client.post("/access_token", data={**form, **change})
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_description"]


# --- over real HTTP ---------------------------------------------------------------------


async def test_over_http_create_and_faults(state: SandboxState) -> None:
    """Over uvicorn: create + details, a reset drops the socket, timeout_after still commits."""
    headers = {"Authorization": f"Bearer {DEMO_ADMIN_TOKEN}"}
    async with await serve(state, port=0) as server:
        assert server.port > 0
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=0.3) as c:
            created = await c.post(TRUNKS, json=registering())
            assert created.status_code == 201
            assert created.headers["TrackingID"].startswith("ROUTER_")
            details = await c.get(f"{TRUNKS}/{created.json()['id']}")
            assert TrunkDetails.model_validate(details.json()).name == "Madrid-LGW"

            state.faults.add("reset", method="POST")
            with pytest.raises(httpx.ReadError):
                await c.post(TRUNKS, json=registering(name="Reset"))
            assert state.trunk_by_name("Reset") is None

            state.faults.add("timeout_after", method="POST")
            with pytest.raises(httpx.ReadTimeout):
                await c.post(TRUNKS, json=registering(name="Late"))
            assert state.trunk_by_name("Late") is not None

            state.faults.add("status", status=429, retry_after="x7")
            limited = await c.get(TRUNKS)
            assert limited.status_code == 429
            assert limited.headers["Retry-After"] == "x7"
