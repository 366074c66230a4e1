"""Websocket activities to REST objects (bot.transports.activities), without a socket: the
REST id is computed in the conversation's region, fetched once, recorded before the ack and
delivered; the bot's own echoes are acked without a request; the conversation service is
asked only when Webex has nothing under the computed id."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.rest_ids import make_rest_id, parse_rest_id, region_of
from bot.transports.activities import Activities

BOT_UUID = "b0000000-0000-4000-8000-000000000001"
ALICE = "a0000000-0000-4000-8000-000000000002"
ROOM = "c0000000-0000-4000-8000-000000000003"
EU = "urn:TEAM:eu-central-1_k"


def frame(
    verb: str, activity_id: str, *, actor: str = ALICE, room: str = ROOM, **extra: Any
) -> dict[str, Any]:
    conversations = "https://conv.example/conversation/api/v1"
    activity = {
        "id": activity_id,
        "verb": verb,
        "actor": {"id": actor, "objectType": "person"},
        "target": {"id": room, "url": f"{conversations}/conversations/{room}"},
        **extra,
    }
    return {"data": {"eventType": "conversation.activity", "activity": activity}}


class Webex:
    """What the activities talk to, recording every call in order."""

    def __init__(
        self, objects: dict[str, dict[str, Any]], *, lookups: dict[str, str] | None = None
    ) -> None:
        self.objects = objects
        self.lookups = lookups or {}
        self.calls: list[tuple[str, str]] = []
        self.fresh = True
        self.delivered: list[tuple[str, dict[str, Any]]] = []

    async def fetch(self, kind: str, rest_id: str) -> dict[str, Any] | None:
        self.calls.append(("fetch", rest_id))
        if rest_id == "boom":
            raise RuntimeError("network down")
        return self.objects.get(rest_id)

    async def accept(self, rest_id: str, kind: str) -> bool:
        self.calls.append(("accept", rest_id))
        return self.fresh

    def deliver(self, kind: str, obj: dict[str, Any]) -> None:
        self.calls.append(("deliver", obj["id"]))
        self.delivered.append((kind, obj))

    async def ack(self, rest_id: str) -> None:
        self.calls.append(("ack", rest_id))

    async def look_up(self, activity: dict[str, Any]) -> str | None:
        self.calls.append(("look_up", activity["id"]))
        return self.lookups.get(activity["id"])

    def activities(self) -> Activities:
        return Activities(
            bot_id=make_rest_id("PEOPLE", BOT_UUID),
            fetch=self.fetch,
            accept=self.accept,
            deliver=self.deliver,
            ack=self.ack,
            look_up=self.look_up,
            screen=lambda actor: actor == BOT_UUID,
        )


def message(uuid: str, region: str = "us") -> dict[str, Any]:
    rest_id = make_rest_id("MESSAGE", uuid, region=region)
    return {"id": rest_id, "text": "create trunk", "roomId": "R"}


def test_region_of_a_rest_id() -> None:
    assert region_of(make_rest_id("PEOPLE", BOT_UUID)) == "us"
    assert region_of(make_rest_id("MESSAGE", ALICE, region=EU)) == EU
    assert parse_rest_id(make_rest_id("MESSAGE", ALICE, region=EU)) == ("MESSAGE", ALICE)
    assert region_of("not an id") is None


async def test_a_post_is_fetched_by_computed_id_recorded_before_the_ack_then_delivered() -> None:
    msg = message("m1")
    webex = Webex({msg["id"]: msg})
    await webex.activities().handle(frame("post", "m1"))
    assert webex.calls == [
        ("fetch", msg["id"]),
        ("accept", msg["id"]),
        ("ack", msg["id"]),
        ("deliver", msg["id"]),
    ]
    assert webex.delivered == [("message", msg)]


async def test_the_bots_own_echo_is_acked_without_any_request() -> None:
    webex = Webex({})
    await webex.activities().handle(frame("post", "e1", actor=BOT_UUID))
    assert webex.calls == [("ack", make_rest_id("MESSAGE", "e1"))]


async def test_a_card_action_is_an_attachment_action() -> None:
    action = {"id": make_rest_id("ATTACHMENT_ACTION", "x1"), "inputs": {}}
    webex = Webex({action["id"]: action})
    await webex.activities().handle(frame("cardAction", "x1"))
    assert webex.delivered == [("card", action)]


async def test_a_miss_asks_the_conversation_service_once_per_conversation() -> None:
    first, second = message("m1", EU), message("m2", EU)
    elsewhere = message("m3")
    webex = Webex({m["id"]: m for m in (first, second, elsewhere)}, lookups={"m1": first["id"]})
    activities = webex.activities()
    await activities.handle(frame("post", "m1"))
    assert webex.calls == [
        ("fetch", make_rest_id("MESSAGE", "m1")),  # the bot's region: nothing there
        ("look_up", "m1"),
        ("fetch", first["id"]),
        ("accept", first["id"]),
        ("ack", first["id"]),
        ("deliver", first["id"]),
    ]
    webex.calls.clear()
    await activities.handle(frame("post", "m2"))  # same conversation: its region is known
    assert webex.calls[0] == ("fetch", second["id"])
    await activities.handle(frame("post", "m3", room="another room"))
    assert ("fetch", elsewhere["id"]) in webex.calls
    assert activities.lookups == 1
    assert [m["id"] for _, m in webex.delivered] == [first["id"], second["id"], elsewhere["id"]]


async def test_nothing_anywhere_is_neither_acked_nor_delivered() -> None:
    webex = Webex({})
    await webex.activities().handle(frame("post", "gone"))
    assert [c[0] for c in webex.calls] == ["fetch", "look_up"]


async def test_a_redelivery_is_acked_but_not_handled_twice() -> None:
    msg = message("m1")
    webex = Webex({msg["id"]: msg})
    webex.fresh = False
    await webex.activities().handle(frame("post", "m1"))
    assert [c[0] for c in webex.calls] == ["fetch", "accept", "ack"]
    assert webex.delivered == []


async def test_a_failed_fetch_is_logged_not_acked(caplog: pytest.LogCaptureFixture) -> None:
    webex = Webex({}, lookups={"m1": "boom"})
    with caplog.at_level(logging.ERROR):
        await webex.activities().handle(frame("post", "m1"))
    assert [c[0] for c in webex.calls] == ["fetch", "look_up", "fetch"]
    assert "websocket.fetch_failed" in caplog.messages


async def test_a_shared_file_is_fetched_once_scanned_under_the_shares_id() -> None:
    msg = message("s1")
    webex = Webex({msg["id"]: msg})
    activities = webex.activities()
    files = {"items": [{"malwareQuarantineState": "safe"}]}
    scanning = {"items": [{"malwareQuarantineState": "pending"}]}
    doc = {"objectType": "content", "contentCategory": "documents"}
    await activities.handle(frame("share", "s1"))
    await activities.handle(frame("update", "u1", object={**doc, "files": scanning}))
    assert webex.calls == []  # not scanned yet: nothing
    await activities.handle(frame("update", "u2", object={**doc, "files": files}))
    assert webex.delivered == [("message", msg)]
    webex.calls.clear()
    await activities.handle(frame("update", "u3", object={**doc, "files": files}))
    assert webex.calls == []  # no share left to name


async def test_other_frames_are_ignored() -> None:
    webex = Webex({})
    activities = webex.activities()
    await activities.handle({"data": {"eventType": "status.start_typing"}})
    await activities.handle(frame("acknowledge", "m1"))
    await activities.handle({"type": "something"})
    await activities.handle("not a dict")
    assert webex.calls == []
