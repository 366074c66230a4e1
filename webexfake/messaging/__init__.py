"""The bot's side of a fake Webex cloud: REST, U2C, WDM and the Mercury websocket over TLS.

    from webexfake.messaging import FakeWebex

    async with FakeWebex() as fake:             # or: with FakeWebex() as fake / the fixture
        alice = fake.add_person("alice@example.com", "Alice Example")
        room = fake.add_room("direct", [alice])
        ... start the bot against fake.base_url / fake.u2c_url ...
        await fake.wait_connected()
        await fake.user_says(alice, room, "help")
        [reply] = await fake.wait_for_bot_messages(1, to_person=alice)

``FakeWebex(calling=state)`` also serves a :mod:`webexfake.calling` state on the same host. The
pytest fixtures live in the tests (``tests.fake_webex.plugin``). Running the real webex-bot
client against it: :mod:`webexfake.messaging.webex_bot_client`.
"""

from __future__ import annotations

from webexfake.faults import Fault, FaultPlan
from webexfake.ids import make_id, parse_id
from webexfake.recorder import RecordedRequest, RequestLog

from .devices import Device, WsConnection
from .mercury import BOT_ACTOR_TYPE
from .model import AttachmentAction, Message, Person, Room
from .server import CALLING_PREFIXES, FakeWebex
from .tls import TlsMaterial, shared_tls

__all__ = [
    "BOT_ACTOR_TYPE",
    "CALLING_PREFIXES",
    "AttachmentAction",
    "Device",
    "FakeWebex",
    "Fault",
    "FaultPlan",
    "Message",
    "Person",
    "RecordedRequest",
    "RequestLog",
    "Room",
    "TlsMaterial",
    "WsConnection",
    "make_id",
    "parse_id",
    "shared_tls",
]
