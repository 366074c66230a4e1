"""The fake Webex cloud: REST, websocket, and the real webex-bot 1.3.1 client against it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import websockets
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.fake_webex import plugin
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState
from webexfake.messaging import FakeWebex, Person, Room, parse_id
from webexfake.messaging.app import MAX_MESSAGE_BYTES, TOO_LONG, WS_UNAUTHORIZED
from webexfake.messaging.webex_bot_client import WebexBotThread, make_client, webex_bot_redirected

fake_webex = plugin.fake_webex
fake_webex_factory = plugin.fake_webex_factory

CARD = {
    "contentType": "application/vnd.microsoft.card.adaptive",
    "content": {"type": "AdaptiveCard", "version": "1.3", "body": []},
}


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """The fake's server thread and webex-bot's run thread are gone after each test."""
    yield
    ours = [t.name for t in threading.enumerate() if t.name.startswith(("fake-webex", "webex-bot"))]
    assert ours == []


@pytest.fixture
def alice(fake_webex: FakeWebex) -> Person:
    return fake_webex.add_person("alice@example.com", "Alice Example")


@pytest.fixture
async def api(fake_webex: FakeWebex) -> AsyncIterator[httpx.AsyncClient]:
    """A REST client acting as the bot (trusting the fake's CA explicitly)."""
    async with httpx.AsyncClient(
        base_url=fake_webex.api_url,
        verify=fake_webex.tls.client_ssl_context(),
        headers={"Authorization": f"Bearer {fake_webex.bot_token}"},
    ) as client:
        yield client


def assert_webex_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"message", "errors", "trackingId"}
    assert body["errors"][0]["description"]
    assert response.headers["TrackingID"] == body["trackingId"]
    return body


# -- REST ----------------------------------------------------------------------------------


async def test_tokens_and_people(
    fake_webex: FakeWebex, api: httpx.AsyncClient, alice: Person
) -> None:
    async with httpx.AsyncClient(base_url=fake_webex.api_url) as anonymous:  # SSL_CERT_FILE
        assert_webex_error(await anonymous.get("/people/me"), 401)
        bad = await anonymous.get("/people/me", headers={"Authorization": "Bearer nope"})
        assert_webex_error(bad, 401)
        admin = await anonymous.get(
            "/people/me", headers={"Authorization": f"Bearer {fake_webex.admin_token}"}
        )
        assert admin.json()["emails"] == [fake_webex.admin.email]

    me = (await api.get("/people/me")).json()
    assert me["id"] == fake_webex.bot.id
    assert me["type"] == "bot"
    assert parse_id(me["id"]) == ("PEOPLE", fake_webex.bot.uuid)

    found = (await api.get("/people", params={"email": "ALICE@example.com"})).json()["items"]
    assert [p["id"] for p in found] == [alice.id]
    assert (await api.get(f"/people/{alice.id}")).json()["displayName"] == "Alice Example"
    assert_webex_error(await api.get(f"/people/{fake_webex.bot.id[:-4]}"), 404)


async def test_post_message_to_person_room_and_thread(
    fake_webex: FakeWebex, api: httpx.AsyncClient, alice: Person
) -> None:
    sent = await api.post("/messages", json={"toPersonEmail": alice.email, "text": "hi"})
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["roomType"] == "direct"
    assert body["toPersonEmail"] == alice.email
    assert body["personId"] == fake_webex.bot.id
    room = fake_webex.direct_room(alice, create=False)
    assert room is not None
    assert body["roomId"] == room.id

    card = await api.post(
        "/messages",
        json={"roomId": room.id, "markdown": "**card**", "text": "fallback", "attachments": [CARD]},
    )
    assert card.status_code == 200, card.text
    reply = await api.post(
        "/messages", json={"roomId": room.id, "text": "in thread", "parentId": body["id"]}
    )
    assert reply.json()["parentId"] == body["id"]
    nested = await api.post(
        "/messages", json={"roomId": room.id, "text": "x", "parentId": reply.json()["id"]}
    )
    assert_webex_error(nested, 400)

    posted = fake_webex.messages_from_bot(to_person=alice)
    assert [m.text for m in posted] == ["hi", "fallback", "in thread"]
    assert posted[1].attachments == [CARD]
    assert (await api.get(f"/messages/{body['id']}")).json()["text"] == "hi"

    assert_webex_error(await api.post("/messages", json={"roomId": "bogus", "text": "x"}), 404)
    assert_webex_error(await api.post("/messages", json={"text": "nowhere"}), 400)
    two_cards = {"roomId": room.id, "text": "x", "attachments": [CARD, CARD]}
    assert_webex_error(await api.post("/messages", json=two_cards), 400)


async def test_message_byte_limit(
    fake_webex: FakeWebex, api: httpx.AsyncClient, alice: Person
) -> None:
    room = fake_webex.add_room("direct", [alice])
    exactly = "é" * (MAX_MESSAGE_BYTES // 2) + "a" * (MAX_MESSAGE_BYTES % 2)
    assert len(exactly.encode()) == MAX_MESSAGE_BYTES
    ok = await api.post("/messages", json={"roomId": room.id, "markdown": exactly})
    assert ok.status_code == 200
    for field in ("text", "markdown"):
        too_long = await api.post("/messages", json={"roomId": room.id, field: exactly + "a"})
        assert assert_webex_error(too_long, 400)["message"] == TOO_LONG
    assert len(fake_webex.messages_from_bot(room=room)) == 1


async def test_group_visibility_delete_and_memberships(
    fake_webex: FakeWebex, api: httpx.AsyncClient, alice: Person
) -> None:
    bob = fake_webex.add_person("bob@example.com", "Bob Example")
    room = fake_webex.add_room("group", [alice, bob], title="Ops")
    said = await fake_webex.user_says(alice, room, "status please")
    assert said.text == "Trunkbot status please"
    assert said.mentioned_people == [fake_webex.bot.id]
    assert "<spark-mention" in (said.html or "")
    chatter = await fake_webex.user_says(bob, room, "lunch?", mention_bot=False)

    assert_webex_error(await api.get("/messages", params={"roomId": room.id}), 403)
    listed = await api.get("/messages", params={"roomId": room.id, "mentionedPeople": "me"})
    assert [m["id"] for m in listed.json()["items"]] == [said.id]
    assert_webex_error(await api.get(f"/messages/{chatter.id}"), 404)

    mine = (await api.post("/messages", json={"roomId": room.id, "text": "ok"})).json()
    assert_webex_error(await api.delete(f"/messages/{said.id}"), 403)
    assert (await api.delete(f"/messages/{mine['id']}")).status_code == 204
    assert fake_webex.messages_from_bot(room=room) == []
    assert len(fake_webex.messages_from_bot(room=room, include_deleted=True)) == 1

    members = (await api.get("/memberships", params={"roomId": room.id})).json()["items"]
    assert {m["personEmail"] for m in members} == {alice.email, bob.email, fake_webex.bot.email}
    only_bob = await api.get("/memberships", params={"roomId": room.id, "personId": bob.id})
    assert [m["personDisplayName"] for m in only_bob.json()["items"]] == ["Bob Example"]
    assert only_bob.json()["items"][0]["roomType"] == "group"
    outside = fake_webex.add_room("group", [alice], include_bot=False)
    assert_webex_error(await api.get("/memberships", params={"roomId": outside.id}), 404)


async def test_rate_limit_and_latency_injection(
    fake_webex: FakeWebex, api: httpx.AsyncClient, alice: Person
) -> None:
    room = fake_webex.add_room("direct", [alice])
    fake_webex.rate_limit_messages(retry_after=2)
    limited = await api.post("/messages", json={"roomId": room.id, "text": "1"})
    assert_webex_error(limited, 429)
    assert limited.headers["Retry-After"] == "2"
    assert (await api.post("/messages", json={"roomId": room.id, "text": "2"})).status_code == 200

    fake_webex.set_latency("/v1/messages", 0.3, method="GET")
    message_id = fake_webex.messages_from_bot(room=room)[0].id
    started = time.monotonic()
    slow, fast = await asyncio.gather(api.get(f"/messages/{message_id}"), api.get("/people/me"))
    assert slow.status_code == fast.status_code == 200
    assert time.monotonic() - started >= 0.3
    recorded = fake_webex.requests_to("/v1/messages", method="POST")
    assert [r.status for r in recorded] == [429, 200]
    assert json.loads(recorded[1].body)["text"] == "2"


# -- the websocket, with a plain client ----------------------------------------------------


async def register_device(fake: FakeWebex, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(verify=fake.tls.client_ssl_context(), headers=headers) as http:
        catalog = await http.get(fake.u2c_url, params={"format": "hostmap"})
        wdm = catalog.json()["serviceLinks"]["wdm"]
        device = await http.post(f"{wdm}/devices", json={"name": "python-spark-client"})
        listed = (await http.get(f"{wdm}/devices")).json()["devices"]
    assert [d["url"] for d in listed] == [device.json()["url"]]
    return str(device.json()["webSocketUrl"])


async def test_websocket_protocol(fake_webex: FakeWebex, alice: Person) -> None:
    ssl_context = fake_webex.tls.client_ssl_context()
    ws_url = await register_device(fake_webex, fake_webex.bot_token)
    assert ws_url.startswith(f"wss://127.0.0.1:{fake_webex.port}/ws/")

    async with websockets.connect(ws_url, ssl=ssl_context) as ws:
        await ws.send(json.dumps({"id": "1", "type": "authorization", "data": {"token": "x"}}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == WS_UNAUTHORIZED

    direct = fake_webex.add_room("direct", [alice])
    group = fake_webex.add_room("group", [alice])
    async with websockets.connect(ws_url, ssl=ssl_context) as ws:
        auth = {"id": "2", "type": "authorization"}
        await ws.send(json.dumps({**auth, "data": {"token": f"Bearer {fake_webex.bot_token}"}}))
        await fake_webex.wait_connected()
        await fake_webex.user_says(alice, group, "not for the bot", mention_bot=False)
        said = await fake_webex.user_says(alice, direct, "hello")
        frame = json.loads(await ws.recv())  # the non-mention was not pushed
        assert frame["data"]["eventType"] == "conversation.activity"
        activity = frame["data"]["activity"]
        assert activity["verb"] == "post"
        assert activity["id"] == said.uuid
        assert activity["actor"]["emailAddress"] == alice.email
        assert activity["actor"]["type"] == "PERSON"
        assert activity["target"]["id"] == direct.uuid
        assert activity["target"]["tags"] == ["ONE_ON_ONE"]
        # What webex-bot does to find the REST id:
        lookup = activity["target"]["url"].replace(
            f"conversations/{activity['target']['id']}", f"messages/{activity['id']}"
        )
        async with httpx.AsyncClient(verify=ssl_context) as http:
            unauthenticated = await http.get(lookup)
            assert unauthenticated.status_code == 401
            resolved = await http.get(
                lookup, headers={"Authorization": f"Bearer {fake_webex.bot_token}"}
            )
        assert resolved.json()["id"] == said.id
        await ws.send(json.dumps({"type": "ack", "messageId": said.id}))
        await fake_webex.wait_for_ack(said.id)

        assert await fake_webex.drop_connections() == 1
        with pytest.raises(ConnectionClosed) as dropped:
            await ws.recv()
        assert dropped.value.rcvd is not None
        assert dropped.value.rcvd.code == 1011

    conn = fake_webex.connections[-1]
    assert conn.acks == [said.id]
    assert conn.close_code == 1011
    assert [f["data"]["activity"]["id"] for f in conn.sent] == [said.uuid]

    async with websockets.connect(ws_url, ssl=ssl_context) as silent:  # never authorizes
        await eventually(lambda: len(fake_webex.connections) == 3)
        assert await fake_webex.drop_connections() == 1
        with pytest.raises(ConnectionClosed):
            await silent.recv()
    assert not fake_webex.connections[-1].authorized

    [device] = fake_webex.devices
    fake_webex.expire_device(device)
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(ws_url, ssl=ssl_context):
            pass
    assert refused.value.response.status_code == 404
    assert fake_webex.device_registrations == 1


async def test_frames_wait_for_a_socket_and_abrupt_drop(
    fake_webex: FakeWebex, alice: Person
) -> None:
    ws_url = await register_device(fake_webex, fake_webex.bot_token)
    room = fake_webex.add_room("direct", [alice])
    early = await fake_webex.user_says(alice, room, "before anyone listens")
    async with websockets.connect(ws_url, ssl=fake_webex.tls.client_ssl_context()) as ws:
        token = f"Bearer {fake_webex.bot_token}"
        await ws.send(json.dumps({"id": "1", "type": "authorization", "data": {"token": token}}))
        frame = json.loads(await ws.recv())
        assert frame["data"]["activity"]["id"] == early.uuid
        assert await fake_webex.drop_connections(abrupt=True) == 1
        with pytest.raises(ConnectionClosed) as dropped:
            await ws.recv()
        assert dropped.value.rcvd is None  # no close frame: the TCP connection just went away


# -- the real webex-bot 1.3.1 client -------------------------------------------------------


class Inbox:
    """Collects webex-bot callbacks (called on its executor threads)."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.card_actions: list[Any] = []
        self.activities: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def on_message(self, teams_message: Any, activity: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(teams_message)
            self.activities.append(activity)

    def on_card_action(self, attachment_actions: Any, activity: dict[str, Any]) -> None:
        with self._lock:
            self.card_actions.append(attachment_actions)
            self.activities.append(activity)


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_real_webex_bot_client_end_to_end(fake_webex: FakeWebex, alice: Person) -> None:
    inbox = Inbox()
    direct = fake_webex.add_room("direct", [alice])
    group = fake_webex.add_room("group", [alice], title="Ops")
    with webex_bot_redirected(fake_webex):
        client = make_client(
            fake_webex, on_message=inbox.on_message, on_card_action=inbox.on_card_action
        )
        runner = WebexBotThread(client).start()
        try:
            await fake_webex.wait_connected()
            said = await fake_webex.user_says(alice, direct, "create trunk")
            await fake_webex.wait_for_ack(said.id)
            await eventually(lambda: len(inbox.messages) == 1)
            [got] = inbox.messages
            assert (got.id, got.personEmail, got.text) == (said.id, alice.email, "create trunk")
            assert got.roomType == "direct"

            mention = await fake_webex.user_says(alice, group, "help")
            await fake_webex.wait_for_ack(mention.id)
            await eventually(lambda: len(inbox.messages) == 2)
            assert inbox.messages[1].text == "Trunkbot help"
            assert inbox.messages[1].mentionedPeople == [fake_webex.bot.id]

            # The bot answers with a card over REST, through webex-bot's own WebexAPI.
            card = await asyncio.to_thread(
                client.teams.messages.create, roomId=direct.id, text="fill me", attachments=[CARD]
            )
            [posted] = await fake_webex.wait_for_bot_messages(1, to_person=alice)
            assert posted.id == card.id
            # Webex echoes a bot's 1:1 post to its own socket; webex-bot fetches and acks it.
            # (Waiting here also keeps webex-bot's cross-loop acks from overlapping.)
            await fake_webex.wait_for_ack(card.id)
            action = await fake_webex.user_submits_card(alice, direct, card.id, {"name": "T1"})
            await fake_webex.wait_for_ack(action.id)
            await eventually(lambda: len(inbox.card_actions) == 1)
            [submitted] = inbox.card_actions
            assert (submitted.id, submitted.inputs) == (action.id, {"name": "T1"})
            assert submitted.messageId == card.id
        finally:
            await runner.stop(fake_webex)

    assert not runner.alive
    assert isinstance(runner.exit_exception, InvalidStatus)  # the clean way out, see module doc
    assert fake_webex.acks == [said.id, mention.id, card.id, action.id]
    assert fake_webex.device_registrations == 1
    bot_echo = [a for a in inbox.activities if a["actor"]["emailAddress"] == fake_webex.bot.email]
    assert [a["actor"]["type"] for a in bot_echo] == ["ROBOT"]


async def test_real_webex_bot_client_reconnects_without_new_device(
    fake_webex: FakeWebex, alice: Person
) -> None:
    inbox = Inbox()
    room: Room = fake_webex.add_room("direct", [alice])
    with webex_bot_redirected(fake_webex):
        runner = WebexBotThread(make_client(fake_webex, on_message=inbox.on_message)).start()
        try:
            await fake_webex.wait_connected()
            assert await fake_webex.drop_connections(abrupt=True) == 1
            await fake_webex.wait_connected(total=2)
            said = await fake_webex.user_says(alice, room, "still there?")
            await fake_webex.wait_for_ack(said.id)
        finally:
            await runner.stop(fake_webex)
    assert [m.text for m in inbox.messages] == ["still there?"]
    assert fake_webex.device_registrations == 1
    assert len(fake_webex.connections) == 2


# -- the calling API on the same host ------------------------------------------------------


async def test_extra_app_serves_calling_paths(fake_webex_factory: Callable[..., FakeWebex]) -> None:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"path": request.url.path, "auth": request.headers["authorization"]})

    fake = fake_webex_factory(extra_routes=[], extra_app=_tiny_app(echo))
    headers = {"Authorization": "Bearer calling-admin"}
    async with httpx.AsyncClient(base_url=fake.api_url, headers=headers) as http:
        locations = await http.get("/telephony/config/locations", params={"max": 1})
        assert locations.json() == {
            "path": "/v1/telephony/config/locations",
            "auth": "Bearer calling-admin",
        }
        # A token the fake does not know goes to the calling app, a bot token stays here.
        assert (await http.get("/people/me")).json()["path"] == "/v1/people/me"
        me = await http.get("/people/me", headers={"Authorization": f"Bearer {fake.bot_token}"})
        assert me.json()["id"] == fake.bot.id
    assert [r.path for r in fake.requests] == [
        "/v1/telephony/config/locations",
        "/v1/people/me",
        "/v1/people/me",
    ]


def _tiny_app(endpoint: Callable[[Request], Any]) -> Any:
    from starlette.applications import Starlette

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


async def test_sandbox_calling_app_mounted(fake_webex_factory: Callable[..., FakeWebex]) -> None:
    """``calling=state``: one host, one fault plan and one request log for both halves."""
    state = SandboxState.seeded()
    fake = fake_webex_factory(calling=state)
    assert fake.faults is state.faults
    assert fake.log is state.log
    headers = {"Authorization": f"Bearer {DEMO_ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=fake.api_url, headers=headers) as http:
        response = await http.get("/telephony/config/locations")
        assert response.status_code == 200, response.text
        names = {location["name"] for location in response.json()["locations"]}
        assert "London HQ" in names
        assert "Warehouse" not in names
        assert (await http.get("/people/me")).json()["emails"] == ["admin@example.com"]
        # A fault planned on the messaging side's plan hits the calling API, and back.
        fake.fail_next("/v1/telephony/config/premisePstn/trunks", 503, method="GET")
        assert (await http.get("/telephony/config/premisePstn/trunks")).status_code == 503
        state.faults.add("status", path_prefix="/v1/people/me", status=429, retry_after="1")
        limited = await http.get(
            "/people/me", headers={"Authorization": f"Bearer {fake.bot_token}"}
        )
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
    # Every request once, in order, in the one log. The server's thread records a request
    # once its answer is sent, so the client may read the last answer a moment before.
    for _ in range(200):
        if len(fake.requests) >= 4:
            break
        await asyncio.sleep(0.01)
    assert [(r.path, r.status) for r in fake.requests] == [
        ("/v1/telephony/config/locations", 200),
        ("/v1/people/me", 200),
        ("/v1/telephony/config/premisePstn/trunks", 503),
        ("/v1/people/me", 429),
    ]
    assert state.calls("GET", "/premisePstn/trunks", faulted=True)[0].status == 503
