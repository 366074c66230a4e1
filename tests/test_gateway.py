"""After the create, through the real router, gate and commands against the fake Webex:
`gateway config`, the configuration in a create's result, `add trunk … to route group …`,
`create trunk … route-group=`, `connect location=… to …`, and the watch that tells the
requester when the gateway registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.events import Reply
from bot.gateway_config import PASSWORD_PLACEHOLDER
from bot.gateway_watch import WATCH_STATS
from bot.transports.shell import person_id_for
from commands.gateway.watch import watch_round
from tests.chat import Chat, delivery_of, make_chat, result_of, seed_trunk
from tests.clock import StoreClock
from webexfake.calling import SandboxState, seeded_id

MADRID = seeded_id("LOCATION", "Madrid")
LONDON = seeded_id("LOCATION", "London HQ")
EU_LGWS = seeded_id("ROUTE_GROUP", "EU-LGWs")
ROUTE_GROUPS = "/premisePstn/routeGroups"

POLICY = """
[[grant]]
people    = ["alice@example.com"]
actions   = ["*"]
locations = ["*"]
orgs      = ["*"]
confirm   = false

[[grant]]
people    = ["carol@example.com"]
actions   = ["trunk.read", "pstn.write", "routegroup.write"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["dave@example.com"]
actions   = ["pstn.write", "routegroup.write"]
locations = ["*"]
orgs      = ["*"]
approval  = "required"
approvers_space = "ROOM-APPROVERS"

[[grant]]
people    = ["erin@example.com"]
actions   = ["approve"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["nora@example.com"]
actions   = ["trunk.create", "trunk.read"]
locations = ["*"]
orgs      = ["*"]
confirm   = false

[[grant]]
people    = ["pat@example.com"]
actions   = ["trunk.read", "routegroup.write", "pstn.write"]
locations = ["Paris Office"]
orgs      = ["*"]
"""


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    chat = await make_chat(policy=POLICY)
    seed_trunk(chat.state, "mad-lgw-1", "Madrid")
    try:
        yield chat
    finally:
        await chat.app.aclose()


def writes(chat: Chat) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in chat.state.requests if r.method != "GET"]


def config_of(reply: Reply) -> str:
    text = reply.markdown
    assert text.count("```") == 2, text
    return text.split("```")[1]


# --- gateway config ----------------------------------------------------------------------


async def test_gateway_config_in_a_direct_space(chat: Chat) -> None:
    trunk = chat.state.trunks[seeded_id("TRUNK", "mad-lgw-1")]
    [reply] = await chat.say("gateway config mad-lgw-1")
    assert reply.private
    config = config_of(reply)
    user = trunk.line_port.partition("@")[0]
    assert (
        f" credentials number {user} username {trunk.sip_authentication_user_name} "
        f"password 0 {PASSWORD_PLACEHOLDER} realm BroadWorks" in config
    )
    assert trunk.password not in reply.markdown
    assert "`update trunk mad-lgw-1 password=auto`" in reply.markdown
    assert "once per router" in config
    assert "show sip-ua register status" in config
    assert writes(chat) == []


async def test_gateway_config_in_a_group_goes_one_to_one(chat: Chat) -> None:
    group, private = await chat.say("gateway config mad-lgw-1", space="group")
    assert group.room_id == "room-group"
    assert not group.private
    assert "1:1" in group.markdown
    assert "```" not in group.markdown
    assert private.private
    assert private.to_person_id == person_id_for("alice@example.com")
    assert "voice class tenant 200" in config_of(private)


async def test_gateway_config_options_and_their_mistakes(chat: Chat) -> None:
    [reply] = await chat.say(
        "gateway config mad-lgw-1 interface=GigabitEthernet0/0/2 tenant=300 dial-peer=300301"
    )
    config = config_of(reply)
    assert " bind control source-interface GigabitEthernet0/0/2" in config
    assert "voice class tenant 300" in config
    assert "dial-peer voice 300301 voip" in config
    answer = await chat.answer("gateway config mad-lgw-1 interface='Gi 1'")
    assert "doesn't look like an IOS interface name" in answer
    answer = await chat.answer("gateway config mad-lgw-1 colour=blue")
    assert answer.startswith("`gateway config` doesn't take `colour`")


async def test_a_certificate_based_trunk_gets_its_sbc_values(chat: Chat) -> None:
    [reply] = await chat.say("gateway config NY-SBC-1")
    assert "certificate-based" in reply.markdown
    assert "`sbc1.sbc.example.com`" in reply.markdown
    assert "```" not in reply.markdown


async def test_a_line_port_without_at_is_reported(chat: Chat) -> None:
    chat.state.trunks[seeded_id("TRUNK", "mad-lgw-1")].line_port = "mad_lgw_1_0001_LGU"
    [reply] = await chat.say("gateway config mad-lgw-1")
    assert "won't guess the registrar domain" in reply.markdown


async def test_gateway_config_is_gated_on_the_trunks_location(chat: Chat) -> None:
    answer = await chat.answer("gateway config mad-lgw-1", person="pat@example.com")
    assert "can't find a trunk" in answer or "Paris Office" in answer


# --- the configuration in a create's result ----------------------------------------------


async def test_a_create_in_a_direct_space_carries_the_configuration_with_its_password(
    chat: Chat,
) -> None:
    """Its own message right after the result, without a card (a client shows a message's
    card rather than its text), and the only one with the password."""
    replies_ = await chat.say("create trunk name=new-lgw-1 location=Madrid")
    trunk = next(t for t in chat.state.trunks.values() if t.name == "new-lgw-1")
    config_reply = delivery_of(replies_)
    assert replies_.index(config_reply) == replies_.index(result_of(replies_)) + 1
    assert config_reply.card is None
    config = config_of(config_reply)
    assert config.count(f"password 0 {trunk.password} ") == 3
    assert config_reply.room_id == "room-direct"
    with_password = [r for r in replies_ if trunk.password in r.markdown + str(r.card)]
    assert with_password == [config_reply]
    assert "tell you here when the gateway has registered" in config_reply.markdown
    watch = await chat.app.services.store.get_watch(trunk.id)
    assert watch is not None
    assert watch.requester == person_id_for("alice@example.com")


async def test_a_create_in_a_group_sends_the_configuration_one_to_one(chat: Chat) -> None:
    replies_ = await chat.say("create trunk name=new-lgw-2 location=Madrid", space="group")
    trunk = next(t for t in chat.state.trunks.values() if t.name == "new-lgw-2")
    in_group = [r for r in replies_ if r.room_id == "room-group"]
    assert all(trunk.password not in r.markdown for r in in_group)
    config_reply = delivery_of(replies_)
    assert config_reply.private
    assert config_reply.to_person_id == person_id_for("alice@example.com")
    assert trunk.password in config_of(config_reply)


# --- route groups ------------------------------------------------------------------------


async def test_add_trunk_to_route_group_puts_the_whole_list_and_reports_members(
    chat: Chat,
) -> None:
    answer = await chat.answer("add trunk mad-lgw-1 to route group EU-LGWs")
    assert answer.startswith("✅ Trunk **mad-lgw-1** added to route group **EU-LGWs**.")
    assert "• 1: **London-LGW-1**, London HQ" in answer
    assert "• 2: **mad-lgw-1**, Madrid" in answer
    [put] = chat.state.calls("PUT", f"{ROUTE_GROUPS}/{EU_LGWS}")
    assert put.json == {
        "name": "EU-LGWs",
        "localGateways": [
            {"id": seeded_id("TRUNK", "London-LGW-1"), "priority": 1},
            {"id": seeded_id("TRUNK", "mad-lgw-1"), "priority": 2},
        ],
    }
    again = await chat.answer('add trunk mad-lgw-1 to route group "eu-lgws"')
    assert "already in route group **EU-LGWs**" in again
    assert len(chat.state.calls("PUT", f"{ROUTE_GROUPS}/{EU_LGWS}")) == 1


async def test_add_with_a_priority_and_problems(chat: Chat) -> None:
    answer = await chat.answer("add trunk mad-lgw-1 to route group EU-LGWs priority=5")
    assert "• 5: **mad-lgw-1**" in answer
    answer = await chat.answer("add trunk mad-lgw-1 to route group Nowhere Group")
    assert 'no route group named "Nowhere Group"' in answer
    answer = await chat.answer("add trunk mad-lgw-1 to EU-LGWs")
    assert answer.startswith("Say `add trunk <trunk> to route group <name>`")
    answer = await chat.answer("add trunk mad-lgw-1 to route group EU-LGWs priority=0")
    assert "`priority` is a whole number" in answer


async def test_a_redelivered_add_is_answered_once(chat: Chat) -> None:
    from bot.events import Actor, Event, Space, SpaceKind

    event = Event(
        id="msg-add",
        actor=Actor(person_id_for("alice@example.com"), "alice@example.com", chat.state.org_id),
        space=Space("room-direct", SpaceKind.DIRECT),
        text="add trunk mad-lgw-1 to route group EU-LGWs",
        message_id="msg-add",
    )
    first = await chat.app.router.handle(event, chat.outbox)
    second = await chat.app.router.handle(event, chat.outbox)
    assert first is not None
    assert second is not None
    assert first.sent[-1].markdown == second.sent[-1].markdown
    assert len(chat.state.calls("PUT", f"{ROUTE_GROUPS}/{EU_LGWS}")) == 1


async def test_add_needs_routegroup_write_on_the_trunks_location(chat: Chat) -> None:
    answer = await chat.answer(
        "add trunk mad-lgw-1 to route group EU-LGWs", person="nora@example.com"
    )
    assert "not allowed to change route groups" in answer
    assert writes(chat) == []


async def test_add_with_approval_goes_to_the_approvers(chat: Chat) -> None:
    replies_ = await chat.say(
        "add trunk mad-lgw-1 to route group EU-LGWs", person="dave@example.com"
    )
    card = next(r for r in replies_ if r.room_id == "ROOM-APPROVERS")
    assert "asks to add trunk **mad-lgw-1 to route group EU-LGWs**" in card.markdown
    assert writes(chat) == []
    done = await chat.submit(card, "Approve", person="erin@example.com", room_id="ROOM-APPROVERS")
    assert any("added to route group **EU-LGWs**" in r.markdown for r in done)
    assert len(chat.state.calls("PUT", f"{ROUTE_GROUPS}/{EU_LGWS}")) == 1


async def test_create_with_route_group_creates_the_group_or_joins_it(chat: Chat) -> None:
    replies_ = await chat.say('create trunk name=new-1 location=Madrid route-group="Iberia"')
    assert replies_[-1].markdown.startswith(
        "✅ Route group **Iberia** created with trunk **new-1**"
    )
    [post] = chat.state.calls("POST", ROUTE_GROUPS)
    assert post.json is not None
    assert post.json["name"] == "Iberia"
    replies_ = await chat.say("create trunk name=new-2 location=Madrid route-group=iberia")
    assert "✅ Trunk **new-2** added to route group **Iberia**." in replies_[-1].markdown
    assert "• 2: **new-2**, Madrid" in replies_[-1].markdown


async def test_create_with_route_group_is_refused_before_anything_is_created(chat: Chat) -> None:
    answer = await chat.answer(
        "create trunk name=new-3 location=Madrid route-group=EU-LGWs", person="nora@example.com"
    )
    assert "not allowed to change route groups" in answer
    assert chat.trunk_posts() == []
    assert writes(chat) == []


async def test_a_route_group_failure_leaves_the_trunk_and_says_what_to_retry(
    chat: Chat,
) -> None:
    chat.state.faults.add(
        "status",
        method="PUT",
        path_prefix="/v1/telephony/config/premisePstn/routeGroups",
        status=400,
        times=None,
    )
    replies_ = await chat.say("create trunk name=new-4 location=Madrid route-group=EU-LGWs")
    last = replies_[-1].markdown
    assert last.startswith("❌ Trunk **new-4** was created, but I couldn't add it to route group")
    assert 'say `add trunk new-4 to route group "EU-LGWs"`' in last
    assert [p["name"] for p in chat.trunk_posts()] == ["new-4"]
    chat.state.faults.clear()
    answer = await chat.answer('add trunk new-4 to route group "EU-LGWs"')
    assert "added to route group **EU-LGWs**" in answer
    assert [p["name"] for p in chat.trunk_posts()] == ["new-4"]  # nothing created twice


# --- a location's PSTN connection ----------------------------------------------------------


async def test_connect_confirms_naming_the_current_connection_then_puts_once(chat: Chat) -> None:
    [card] = await chat.say(
        'connect location="London HQ" to trunk=mad-lgw-1', person="carol@example.com"
    )
    assert card.card is not None
    text = str(card.card)
    assert "trunk London-LGW-1" in text  # the current connection
    assert "Calls will route differently" in text
    assert writes(chat) == []
    done = await chat.submit(card, "Connect", person="carol@example.com")
    assert done[-1].markdown.startswith("✅ **London HQ** now routes its PSTN calls through trunk")
    assert chat.state.locations[LONDON].connection == ("TRUNK", seeded_id("TRUNK", "mad-lgw-1"))
    again = await chat.submit(card, "Connect", person="carol@example.com")
    assert again[-1].markdown == done[-1].markdown
    assert len(chat.state.calls("PUT", f"/telephony/config/locations/{LONDON}")) == 1


async def test_connect_to_a_route_group_without_confirmation(chat: Chat) -> None:
    answer = await chat.answer("connect location=Madrid to route-group=EU-LGWs")
    assert answer == (
        "✅ **Madrid** now routes its PSTN calls through route group EU-LGWs (before: no "
        "premises PSTN connection)."
    )
    assert chat.state.locations[MADRID].connection == ("ROUTE_GROUP", EU_LGWS)
    answer = await chat.answer("connect location=Madrid to route-group=EU-LGWs")
    assert "already connected" in answer


async def test_a_cloud_connected_pstn_is_refused(chat: Chat) -> None:
    chat.state.locations[MADRID].pstn_subscription_id = "ccp-subscription-1"
    answer = await chat.answer("connect location=Madrid to trunk=mad-lgw-1")
    assert "cloud-connected provider" in answer
    assert writes(chat) == []


async def test_connect_with_approval_and_problems(chat: Chat) -> None:
    [card] = await chat.say("connect location=Madrid to trunk=mad-lgw-1", person="dave@example.com")
    replies_ = await chat.submit(card, "Connect", person="dave@example.com")
    request = next(r for r in replies_ if r.room_id == "ROOM-APPROVERS")
    assert "asks to connect trunk **trunk mad-lgw-1 to Madrid's PSTN**" in request.markdown
    assert writes(chat) == []
    await chat.submit(request, "Approve", person="erin@example.com", room_id="ROOM-APPROVERS")
    assert chat.state.locations[MADRID].connection == ("TRUNK", seeded_id("TRUNK", "mad-lgw-1"))
    answer = await chat.answer("connect location=Madrid trunk=mad-lgw-1")
    assert answer.startswith("Say `connect location=")
    answer = await chat.answer("connect location=Madrid to route-group=Nope")
    assert 'no route group named "Nope"' in answer
    answer = await chat.answer(
        "connect location=Madrid to trunk=mad-lgw-1", person="pat@example.com"
    )
    assert "Paris Office" in answer


# --- watching the gateway come up --------------------------------------------------------


async def _created(chat: Chat, name: str) -> str:
    await chat.say(f"create trunk name={name} location=Madrid")
    return next(t.id for t in chat.state.trunks.values() if t.name == name)


async def test_the_requester_is_told_when_the_gateway_registers(chat: Chat) -> None:
    clock = StoreClock(chat.app.services.store)
    trunk_id = await _created(chat, "watch-1")
    chat.outbox.sent.clear()
    looks = WATCH_STATS.looks
    assert await watch_round(chat.app.services, chat.outbox) == 0  # not due yet
    clock.advance(61)
    assert await watch_round(chat.app.services, chat.outbox) == 1  # offline: later
    assert await watch_round(chat.app.services, chat.outbox) == 0  # one look per interval
    assert chat.outbox.sent == []
    chat.state.trunks[trunk_id].status = "ONLINE"
    clock.advance(61)
    assert await watch_round(chat.app.services, chat.outbox) == 1
    [told] = chat.outbox.sent
    assert told.private
    assert told.to_person_id == person_id_for("alice@example.com")
    assert "has registered" in told.markdown
    assert WATCH_STATS.looks == looks + 2
    assert await chat.app.services.store.get_watch(trunk_id) is None


async def test_after_thirty_minutes_the_three_things_to_check(chat: Chat) -> None:
    clock = StoreClock(chat.app.services.store)
    trunk_id = await _created(chat, "watch-2")
    chat.outbox.sent.clear()
    gets_before = len(chat.state.calls("GET", f"/premisePstn/trunks/{trunk_id}"))
    rounds = 0
    while not chat.outbox.sent and rounds < 100:
        clock.advance(60)
        await watch_round(chat.app.services, chat.outbox)
        rounds += 1
    [told] = chat.outbox.sent
    assert "still offline after 3" in told.markdown
    for thing in ("show sip-ua register status", "over TLS", "credentials line"):
        assert thing in told.markdown
    looks = len(chat.state.calls("GET", f"/premisePstn/trunks/{trunk_id}")) - gets_before
    assert looks <= 12  # backing off: 30 minutes in at most a dozen looks


async def test_show_trunk_of_an_offline_trunk_watches_it_for_the_asker(chat: Chat) -> None:
    """`show trunk` of an offline registering trunk starts the watch for whoever asked (one
    line says so); asking again, or someone else asking, doesn't start a second one."""
    clock = StoreClock(chat.app.services.store)
    trunk_id = seed_trunk(chat.state, "show-lgw-1")
    chat.state.trunks[trunk_id].status = "OFFLINE"
    answer = await chat.answer("show trunk show-lgw-1")
    assert answer.endswith(
        "\nIt's offline: I'll watch it for 30 minutes and tell you 1:1 when its gateway has "
        "registered."
    )
    watch = await chat.app.services.store.get_watch(trunk_id)
    assert watch is not None
    assert watch.requester == person_id_for("alice@example.com")
    again = await chat.answer("show trunk show-lgw-1")
    assert again.endswith("I'm already watching it and will tell you 1:1 when it registers.")
    other = await chat.answer("show trunk show-lgw-1", person="carol@example.com")
    assert other.endswith("and will tell them 1:1 when it registers.")
    chat.outbox.sent.clear()
    chat.state.trunks[trunk_id].status = "ONLINE"
    clock.advance(61)
    assert await watch_round(chat.app.services, chat.outbox) == 1
    [told] = chat.outbox.sent
    assert told.private
    assert told.to_person_id == person_id_for("alice@example.com")
    assert "has registered" in told.markdown


async def test_show_trunk_of_an_online_or_certificate_trunk_starts_no_watch(chat: Chat) -> None:
    online = seed_trunk(chat.state, "show-lgw-2")
    chat.state.trunks[online].status = "ONLINE"
    assert "watch" not in await chat.answer("show trunk show-lgw-2")
    assert await chat.app.services.store.get_watch(online) is None
    sbc = next(t for t in chat.state.trunks.values() if t.trunk_type == "CERTIFICATE_BASED")
    sbc.status = "OFFLINE"
    assert "watch" not in await chat.answer(f"show trunk {sbc.name}")
    assert await chat.app.services.store.get_watch(sbc.id) is None


async def test_a_watch_survives_a_restart(tmp_path: Path) -> None:
    state = SandboxState.seeded()
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    first = await make_chat(state, policy=POLICY, store_url=url)
    await first.say("create trunk name=watch-3 location=Madrid")
    await first.app.aclose()
    trunk_id = next(t.id for t in state.trunks.values() if t.name == "watch-3")
    state.trunks[trunk_id].status = "ONLINE"
    second = await make_chat(state, policy=POLICY, store_url=url)
    try:
        StoreClock(second.app.services.store).advance(61)
        for job in second.app.jobs:
            await job(second.outbox, 300.0)
        assert any("has registered" in r.markdown for r in second.outbox.sent)
    finally:
        await second.app.aclose()


async def test_watch_counts_are_in_metrics() -> None:
    from bot.transports.webhook_metrics import WebhookMetrics

    metrics = WebhookMetrics(handled=lambda: 0, in_flight=lambda: 0)
    assert metrics.value("trunkbot_trunk_watch_looks_total") == WATCH_STATS.looks
    assert metrics.value("trunkbot_trunk_watches_ended_total", outcome="online") == (
        WATCH_STATS.online
    )
