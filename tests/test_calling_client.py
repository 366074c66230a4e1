"""The Webex Calling client: locations, trunk types, passwords, trunks, and the create that
is never blindly repeated.

Webex is an ``httpx.MockTransport`` routing by method and path; ``sleep`` is a recorder.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot import replies
from bot.errors import (
    BotError,
    WebexAuthError,
    WebexBadRequest,
    WebexBadResponse,
    WebexConflict,
    WebexError,
    WebexServerError,
    WebexUnreachable,
)
from bot.webex.calling import CallingClient
from bot.webex.errors import user_sentence
from bot.webex.http import WebexHttp
from bot.webex.locations import AmbiguousLocation, LocationNotFound
from bot.webex.models import TrunkCreate, TrunkType
from bot.webex.trunk_create import CreateOutcome, TrunkCreateUnknown, TrunkNotCreated

BASE = "https://webexapis.test/v1"
TOKEN = "ADMIN-TOKEN-calling"
PASSWORD = "Pw-S3cret-42"
LOCATIONS = "/v1/telephony/config/locations"
TRUNKS = "/v1/telephony/config/premisePstn/trunks"
Answer = httpx.Response | type[Exception]


class FakeWebex:
    """Answers per (method, path) in order (the last repeats); 404 for anything else."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Answer) -> FakeWebex:
        self.routes[(method, path)] = list(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.path))
        if not answers:
            return httpx.Response(404, json={"message": "no route"})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, type):
            raise answer("boom", request=request)  # type: ignore[call-arg]
        return answer

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if (r.method, r.url.path) == (method, path)]


Build = Callable[..., tuple[CallingClient, FakeWebex, list[float]]]


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    """A CallingClient over a fake Webex; returns (client, fake, sleeps)."""
    clients: list[httpx.AsyncClient] = []

    def make(org_id: str | None = None) -> tuple[CallingClient, FakeWebex, list[float]]:
        fake = FakeWebex()
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        async def token() -> str:
            return TOKEN

        client = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(fake))
        clients.append(client)
        http = WebexHttp(client, token_provider=token, sleep=sleep)
        return CallingClient(http, org_id=org_id), fake, sleeps

    yield make
    for client in clients:
        await client.aclose()


def ok(body: Any = None, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def fail(status: int, description: str = "nope", code: int = 1) -> httpx.Response:
    body = {"errors": [{"description": description, "errorCode": code}], "trackingId": "RT_1"}
    return httpx.Response(status, json=body)


def locs(*names: str) -> httpx.Response:
    return ok({"locations": [{"id": f"LOC-{n}", "name": n} for n in names]})


def trunks(*names: str) -> httpx.Response:
    return ok({"trunks": [{"id": f"TR-{n}", "name": n} for n in names]})


def trunk_body(name: str = "lgw-1") -> TrunkCreate:
    return TrunkCreate(
        name=name,
        location_id="LOC-1",
        password=SecretStr(PASSWORD),
        trunk_type=TrunkType.REGISTERING,
    )


# --- locations -------------------------------------------------------------------------


async def test_list_locations_reads_all_pages_with_org(build: Build) -> None:
    """Calling locations come from every page, with the client's default orgId."""
    calling, fake, _ = build(org_id="ORG-1")
    first = locs("Paris")
    first.headers["Link"] = f'<{BASE}/telephony/config/locations?start=1>; rel="next"'
    fake.on("GET", LOCATIONS, first, locs("Berlin"))
    found = await calling.list_locations()
    assert [loc.name for loc in found] == ["Paris", "Berlin"]
    assert fake.requests[0].url.params["orgId"] == "ORG-1"


async def test_org_override_wins(build: Build) -> None:
    """An org_id argument overrides the client's default."""
    calling, fake, _ = build(org_id="ORG-1")
    fake.on("GET", LOCATIONS, locs("Paris"))
    await calling.list_locations(org_id="ORG-2")
    assert fake.requests[0].url.params["orgId"] == "ORG-2"


async def test_no_org_sends_no_org_param(build: Build) -> None:
    """Without any org the token's own org is used: no orgId is sent."""
    calling, fake, _ = build()
    fake.on("GET", LOCATIONS, locs("Paris"))
    await calling.list_locations()
    assert "orgId" not in fake.requests[0].url.params


SITES = ("Paris Office", "Palo Alto", "London", "London Docklands", "Berlin")
FOUND = [
    ("exact-any-case", "paris office", "LOC-Paris Office"),
    ("exact-beats-contains", "London", "LOC-London"),
    ("unique-contains", "dock", "LOC-London Docklands"),
    ("by-id", "LOC-Berlin", "LOC-Berlin"),
    ("spaces-normalised", "  PARIS   office ", "LOC-Paris Office"),
]


@pytest.mark.parametrize(
    ("query", "location_id"), [f[1:] for f in FOUND], ids=[f[0] for f in FOUND]
)
async def test_find_location(build: Build, query: str, location_id: str) -> None:
    """ID first, then the exact name in any case, then a unique "contains" match."""
    calling, fake, _ = build()
    fake.on("GET", LOCATIONS, locs(*SITES))
    assert (await calling.find_location(query)).id == location_id


async def test_find_location_ambiguous_lists_candidates(build: Build) -> None:
    """Two "contains" matches: the person is asked which one."""
    calling, fake, _ = build()
    fake.on("GET", LOCATIONS, locs(*SITES))
    with pytest.raises(AmbiguousLocation) as caught:
        await calling.find_location("Pa")
    assert caught.value.user_message == (
        '"Pa" matches 2 calling locations: **Paris Office**, **Palo Alto**. Which one?'
    )
    assert [c.name for c in caught.value.candidates] == ["Paris Office", "Palo Alto"]


async def test_find_location_not_found_lists_what_exists(build: Build) -> None:
    """No match: the sentence names the calling locations there are, sorted."""
    calling, fake, _ = build()
    fake.on("GET", LOCATIONS, locs(*SITES))
    with pytest.raises(LocationNotFound) as caught:
        await calling.find_location("Xyz")
    assert caught.value.user_message == (
        'I can\'t find a calling location named "Xyz". Calling locations here: **Berlin**, '
        "**London**, **London Docklands**, **Palo Alto**, **Paris Office**."
    )


async def test_find_location_not_found_is_bounded_and_escaped(build: Build) -> None:
    """The list stops at ten names, and the person's text is escaped."""
    calling, fake, _ = build()
    fake.on("GET", LOCATIONS, locs(*[f"Site {i:02d}" for i in range(15)]))
    with pytest.raises(LocationNotFound) as caught:
        await calling.find_location("*<@all>*")
    message = caught.value.user_message
    assert message.startswith('I can\'t find a calling location named "\\*\\<@all\\>\\*".')
    assert message.endswith("**Site 09** and 5 more.")


async def test_find_location_in_org_without_calling_locations(build: Build) -> None:
    """An org with no calling locations says so."""
    calling, fake, _ = build()
    fake.on("GET", LOCATIONS, locs())
    with pytest.raises(LocationNotFound) as caught:
        await calling.find_location("Paris")
    assert caught.value.user_message == replies.location_not_found("Paris", [])


async def test_location_body_that_does_not_match_is_bad_response(build: Build) -> None:
    """A location without a name is refused with a safe sentence, not pydantic's text."""
    calling, fake, _ = build()
    fake.on("GET", LOCATIONS, ok({"locations": [{"id": "L1"}]}))
    with pytest.raises(WebexBadResponse) as caught:
        await calling.list_locations()
    assert caught.value.user_message == replies.WEBEX_BAD_RESPONSE


# --- trunk types, password, FQDN -------------------------------------------------------


async def test_trunk_types_parsed_and_unknown_types_skipped(build: Build) -> None:
    """Trunk types come with their device bounds; a type Webex adds later is skipped."""
    calling, fake, _ = build()
    fake.on(
        "GET",
        f"{TRUNKS}/trunkTypes",
        ok(
            {
                "trunkTypes": [
                    {
                        "trunkType": "CERTIFICATE_BASED",
                        "deviceTypes": [
                            {
                                "deviceType": "Cisco Unified Border Element",
                                "minConcurrentCalls": 250,
                                "maxConcurrentCalls": 1000,
                            }
                        ],
                    },
                    {"trunkType": "SOMETHING_NEW", "deviceTypes": []},
                ]
            }
        ),
    )
    types = await calling.trunk_types()
    assert [t.trunk_type for t in types] == [TrunkType.CERTIFICATE_BASED]
    assert types[0].device_types[0].max_concurrent_calls == 1000


@pytest.mark.parametrize(
    "body",
    [{}, {"trunkTypes": "x"}, {"trunkTypes": [{"trunkType": "REGISTERING", "deviceTypes": "x"}]}],
    ids=["empty", "str", "bad-devices"],
)
async def test_trunk_types_bad_body(build: Build, body: dict[str, Any]) -> None:
    """A trunkTypes answer we can't read is WebexBadResponse."""
    calling, fake, _ = build()
    fake.on("GET", f"{TRUNKS}/trunkTypes", ok(body))
    with pytest.raises(WebexBadResponse):
        await calling.trunk_types()


async def test_generate_password_returns_secret(build: Build) -> None:
    """Webex's example SIP password comes back as a SecretStr (and retries a 503: it stores
    nothing)."""
    calling, fake, _ = build(org_id="ORG")
    path = f"{LOCATIONS}/LOC/1/actions/generatePassword/invoke"  # the fake sees it decoded
    fake.on("POST", path, fail(503), ok({"exampleSipPassword": "Xy9-abc"}))
    secret = await calling.generate_password("LOC/1")
    assert secret.get_secret_value() == "Xy9-abc"
    assert "Xy9-abc" not in repr(secret)
    posts = fake.sent("POST", path)
    assert len(posts) == 2
    assert posts[0].content == b'{"generate":["sip"]}'
    assert b"/LOC%2F1/" in posts[0].url.raw_path  # an ID can't add path segments


async def test_generate_password_missing_is_bad_response(build: Build) -> None:
    """An answer without exampleSipPassword is WebexBadResponse."""
    calling, fake, _ = build()
    fake.on("POST", f"{LOCATIONS}/L1/actions/generatePassword/invoke", ok({}))
    with pytest.raises(WebexBadResponse):
        await calling.generate_password("L1")


@pytest.mark.parametrize(
    ("port", "sent"),
    [
        (5061, b'{"address":"lgw.acme.test","domain":"acme.test","port":5061}'),
        (None, b'{"address":"lgw.acme.test","domain":"acme.test"}'),
    ],
    ids=["with-port", "srv-without-port"],
)
async def test_validate_fqdn_ok(build: Build, port: int | None, sent: bytes) -> None:
    """A 204 means the address and domain are usable; an SRV address omits the port."""
    calling, fake, _ = build()
    fake.on("POST", f"{TRUNKS}/actions/fqdnValidation/invoke", httpx.Response(204))
    await calling.validate_fqdn("lgw.acme.test", "acme.test", port)
    assert fake.requests[0].content == sent


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [(400, 25024, WebexBadRequest), (409, 27571, WebexConflict)],
    ids=["bad-domain", "address-in-use"],
)
async def test_validate_fqdn_refused(
    build: Build, status: int, code: int, error_class: type[WebexError]
) -> None:
    """Webex's refusal keeps its code and words for the reply."""
    calling, fake, _ = build()
    fake.on("POST", f"{TRUNKS}/actions/fqdnValidation/invoke", fail(status, "in use", code))
    with pytest.raises(error_class) as caught:
        await calling.validate_fqdn("lgw.acme.test", "acme.test", 5061)
    assert (caught.value.error_code, caught.value.description) == (code, "in use")


# --- trunks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "param"),
    [("lgw-1", "lgw-1"), ("a,b", None), (None, None)],
    ids=["name", "comma", "all"],
)
async def test_list_trunks_name_filter(build: Build, name: str | None, param: str | None) -> None:
    """The name filter is sent, except for a name with a comma (Webex splits on commas)."""
    calling, fake, _ = build()
    fake.on("GET", TRUNKS, trunks("lgw-1"))
    assert [t.name for t in await calling.list_trunks(name)] == ["lgw-1"]
    assert fake.requests[0].url.params.get("name") == param


@pytest.mark.parametrize(
    ("listed", "wanted", "found"),
    [
        (("lgw-10", "LGW-1", "lgw-1-old"), "lgw-1", "TR-LGW-1"),
        (("lgw-10", "lgw-1-old"), "lgw-1", None),
        ((), "lgw-1", None),
    ],
    ids=["exact-any-case", "only-contains", "none"],
)
async def test_find_trunk_by_name(
    build: Build, listed: tuple[str, ...], wanted: str, found: str | None
) -> None:
    """Only an exact name (any case) counts, whatever Webex's filter returned."""
    calling, fake, _ = build()
    fake.on("GET", TRUNKS, trunks(*listed))
    trunk = await calling.find_trunk_by_name(wanted)
    assert (trunk.id if trunk else None) == found


@pytest.mark.parametrize(("status", "partial"), [(200, False), (206, True)], ids=["200", "206"])
async def test_get_trunk(build: Build, status: int, partial: bool) -> None:
    """Details get their id from the path; a 206 is marked partial."""
    calling, fake, _ = build()
    fake.on("GET", f"{TRUNKS}/TR-1", ok({"name": "lgw-1", "linePort": "x@y"}, status=status))
    details = await calling.get_trunk("TR-1")
    assert (details.id, details.name, details.partial) == ("TR-1", "lgw-1", partial)


async def test_get_trunk_bad_body(build: Build) -> None:
    """Details without a name are WebexBadResponse, not pydantic's text."""
    calling, fake, _ = build()
    fake.on("GET", f"{TRUNKS}/TR-1", ok({"port": "not a number"}))
    with pytest.raises(WebexBadResponse) as caught:
        await calling.get_trunk("TR-1")
    assert caught.value.user_message == replies.WEBEX_BAD_RESPONSE


# --- create, and what happens when it goes wrong ---------------------------------------


async def test_create_trunk_posts_the_wire_body(build: Build) -> None:
    """One POST with the wire body (password included) and orgId; 201 gives the id."""
    calling, fake, _ = build(org_id="ORG")
    fake.on("POST", TRUNKS, ok({"id": "TR-NEW"}, status=201))
    outcome = await calling.create_trunk(trunk_body())
    assert outcome == CreateOutcome(trunk_id="TR-NEW", recovered=False)
    post = fake.sent("POST", TRUNKS)[0]
    assert post.url.params["orgId"] == "ORG"
    assert PASSWORD.encode() in post.content


RECOVERY: list[tuple[str, Answer, Answer, type[BotError] | None]] = [
    ("503-found", fail(503), trunks("lgw-1"), None),
    ("timeout-found", httpx.ReadTimeout, trunks("lgw-1"), None),
    ("reset-found", httpx.ReadError, trunks("LGW-1"), None),
    ("201-unreadable-found", ok({}, status=201), trunks("lgw-1"), None),
    ("503-not-found", fail(503), trunks("lgw-10"), TrunkNotCreated),
    ("timeout-not-found", httpx.ReadTimeout, trunks(), TrunkNotCreated),
    ("201-unreadable-not-found", ok({}, status=201), trunks(), TrunkCreateUnknown),
    ("503-lookup-refused", fail(503), fail(401), TrunkCreateUnknown),
    ("timeout-lookup-times-out", httpx.ReadTimeout, httpx.ReadTimeout, TrunkCreateUnknown),
]


@pytest.mark.parametrize(
    ("post", "lookup", "raised"), [r[1:] for r in RECOVERY], ids=[r[0] for r in RECOVERY]
)
async def test_create_trunk_is_never_repeated_and_looks_up_by_name(
    build: Build, post: Answer, lookup: Answer, raised: type[BotError] | None
) -> None:
    """After no answer or a 5xx: exactly one POST, then the name decides what happened."""
    calling, fake, sleeps = build()
    fake.on("POST", TRUNKS, post, ok({"id": "TR-DUP"}, status=201))
    fake.on("GET", TRUNKS, lookup)
    if raised is None:
        outcome = await calling.create_trunk(trunk_body())
        assert outcome.recovered
        assert outcome.trunk_id.casefold() == "tr-lgw-1"
    else:
        with pytest.raises(raised):
            await calling.create_trunk(trunk_body())
    assert len(fake.sent("POST", TRUNKS)) == 1
    assert sleeps[0] == 2.0  # a moment for an in-flight create to land before the lookup


async def test_nothing_created_sentence(build: Build) -> None:
    """When the lookup finds nothing, the reply says nothing was created, with Webex's ID."""
    calling, fake, _ = build()
    fake.on("POST", TRUNKS, fail(503, "backend down"))
    fake.on("GET", TRUNKS, trunks())
    with pytest.raises(TrunkNotCreated) as caught:
        await calling.create_trunk(trunk_body())
    err = caught.value
    assert err.nothing_created
    assert not err.created_unknown
    assert isinstance(err.original, WebexServerError)
    assert user_sentence(err) == (
        "Creating trunk **lgw-1** didn't go through (Webex had a problem), and Webex has no "
        "trunk by that name, so nothing was created. It's safe to try again in a few minutes. "
        "Webex said: “backend down” (Webex tracking ID `RT_1`)"
    )


async def test_created_unknown_sentence(build: Build) -> None:
    """When the lookup fails too, the reply says to check before retrying."""
    calling, fake, _ = build()
    fake.on("POST", TRUNKS, httpx.ReadTimeout)
    fake.on("GET", TRUNKS, fail(403))
    with pytest.raises(TrunkCreateUnknown) as caught:
        await calling.create_trunk(trunk_body())
    err = caught.value
    assert err.created_unknown
    assert isinstance(err.original, WebexUnreachable)
    assert isinstance(err.lookup_error, WebexError)
    assert err.user_message == replies.trunk_create_unknown("lgw-1", replies.CREATE_CAUSE_NO_ANSWER)
    assert "before you try again" in err.user_message


async def test_connect_failure_means_nothing_sent_without_lookup(build: Build) -> None:
    """A connection that never opened sent nothing: no lookup needed, safe to retry."""
    calling, fake, _ = build()
    fake.on("POST", TRUNKS, httpx.ConnectError)
    with pytest.raises(TrunkNotCreated) as caught:
        await calling.create_trunk(trunk_body())
    assert caught.value.user_message == replies.trunk_not_sent(
        "lgw-1", replies.CREATE_CAUSE_NOT_SENT
    )
    assert [r.method for r in fake.requests] == ["POST"]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(409, WebexConflict), (400, WebexBadRequest), (401, WebexAuthError)],
    ids=["409", "400", "401"],
)
async def test_create_refusals_pass_through_without_lookup(
    build: Build, status: int, error_class: type[WebexError]
) -> None:
    """A clear refusal created nothing: it is raised as is, with no lookup."""
    calling, fake, _ = build()
    fake.on("POST", TRUNKS, fail(status, "duplicate name", 4003))
    with pytest.raises(error_class) as caught:
        await calling.create_trunk(trunk_body())
    assert type(caught.value) is error_class
    assert caught.value.description == "duplicate name"
    assert [r.method for r in fake.requests] == ["POST"]


async def test_create_never_shows_or_logs_the_password(
    build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    """Webex echoing the password in its description is redacted; logs never hold it."""
    caplog.set_level(logging.DEBUG)
    calling, fake, _ = build()
    fake.on("POST", TRUNKS, fail(400, f"Password {PASSWORD} must not contain ?", 25015))
    with pytest.raises(WebexBadRequest) as caught:
        await calling.create_trunk(trunk_body())
    shown = user_sentence(caught.value)
    assert PASSWORD not in shown
    assert "Password •••• must not contain" in shown
    assert PASSWORD not in caplog.text
    assert TOKEN not in caplog.text
