"""A fake Webex cloud for end-to-end tests: REST, U2C, WDM and the Mercury websocket over TLS.

    from webexfake.messaging import FakeWebex

    async with FakeWebex() as fake:             # or: with FakeWebex() as fake / the fixture
        alice = fake.add_person("alice@example.com", "Alice Example")
        room = fake.add_room("direct", [alice])
        ... start the bot against fake.base_url / fake.u2c_url ...
        await fake.wait_connected()
        await fake.user_says(alice, room, "help")
        [reply] = await fake.wait_for_bot_messages(1, to_person=alice)

``tests`` is a package, so import it as ``tests.fake_webex``. Fixtures live in
:mod:`tests.fake_webex.plugin` (``pytest_plugins = ["tests.fake_webex.plugin"]`` in the root
``conftest.py``, or ``fake_webex = plugin.fake_webex`` in a test module). Running the real
webex-bot client against it: :mod:`webexfake.messaging.webex_bot_client`.
"""

from __future__ import annotations

from .ids import make_id, parse_id
from .model import (
    AttachmentAction,
    Device,
    FakeApiError,
    Fault,
    Message,
    Person,
    RecordedRequest,
    Room,
    WsConnection,
)
from .server import BOT_ACTOR_TYPE, CALLING_PREFIXES, FakeWebex
from .tls import TlsMaterial, shared_tls

__all__ = [
    "BOT_ACTOR_TYPE",
    "CALLING_PREFIXES",
    "AttachmentAction",
    "Device",
    "FakeApiError",
    "FakeWebex",
    "Fault",
    "Message",
    "Person",
    "RecordedRequest",
    "Room",
    "TlsMaterial",
    "WsConnection",
    "make_id",
    "parse_id",
    "shared_tls",
]
