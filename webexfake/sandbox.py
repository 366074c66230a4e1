"""``trunkbot sandbox``: both halves of the fake Webex on one local TLS port, for ``trunkbot run``.

    $ trunkbot sandbox --port 8765 [--latency 0.3] [--fail-rate 0.1]
    export TRUNKBOT_API_URL=https://127.0.0.1:8765/v1
    export TRUNKBOT_U2C_URL=https://127.0.0.1:8765/u2c/api/v1/catalog
    export SSL_CERT_FILE=/tmp/trunkbot-sandbox-…/ca.pem
    export TRUNKBOT_BOT_TOKEN=…
    export TRUNKBOT_ADMIN_TOKEN=…

The calling API is the seeded demo org (:mod:`webexfake.calling.seed`); the bot's side is a
:class:`~webexfake.messaging.FakeWebex` (U2C, WDM, the websocket, messages, people,
memberships) in the same org. webex-bot refuses a ``ws://`` socket, so everything is HTTPS
with a throw-away CA made for this run (``trustme``; its ``ca.pem`` is what ``SSL_CERT_FILE``
names, deleted when the sandbox stops).

A person talks to the bot through ``POST /sandbox/say`` — ``{"as": EMAIL, "text": …,
"space": "direct"|"group", "wait": SECONDS}`` — which posts as that person (created on first
use, in the sandbox's org) and answers with the bot's replies in that space within ``wait``
seconds: ``{"messageId": …, "replies": [markdown or text, …]}``. ``trunkbot sandbox say --as
EMAIL TEXT`` is its command-line form. It listens on 127.0.0.1 only and asks for no token: it
is a developer's tool, like the demo credentials.

Faults for trying the bot's resilience: ``--latency`` delays every request; ``--fail-rate``
answers that fraction of REST calls (``/v1/…``, not the websocket nor the device
registration) with 503 and a Webex error body. The ``/sandbox`` paths are never delayed nor
failed.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState
from webexfake.faults import FaultKind
from webexfake.ids import parse_id
from webexfake.messaging import Message, Person, Room
from webexfake.messaging.server import FakeWebex
from webexfake.messaging.tls import TlsMaterial

SAY_PATH = "/sandbox/say"
#: The people of the built-in sample policy, present from the start.
DEMO_PEOPLE = (
    ("you@example.com", "You Example"),
    ("pat@example.com", "Pat Example"),
    ("lee@example.com", "Lee Example"),
)
MAX_WAIT = 60.0


@dataclass(frozen=True)
class Faults:
    """The command line's fault flags."""

    latency: float = 0.0
    fail_rate: float = 0.0


class Sandbox:
    """A running sandbox: ``Sandbox(port=…).start()``, then ``stop()``."""

    def __init__(
        self, *, port: int = 0, faults: Faults = Faults(), state: SandboxState | None = None
    ) -> None:
        self.state = state or SandboxState.seeded()
        org = parse_id(self.state.org_id)
        self.tls = TlsMaterial.create()
        self.fake = FakeWebex(
            calling=self.state,
            tls=self.tls,
            port=port,
            org_uuid=org[1] if org else None,
            bot_display_name="Trunkbot",
            extra_routes=[Route(SAY_PATH, self._say, methods=["POST"])],
        )
        self.group: Room | None = None
        for email, name in DEMO_PEOPLE:
            self.fake.add_person(email, name)
        if faults.latency > 0:
            self.state.faults.add(
                FaultKind.LATENCY, path_prefix="/v1/", seconds=faults.latency, times=None
            )
            self.state.faults.add(
                FaultKind.LATENCY, path_prefix="/u2c/", seconds=faults.latency, times=None
            )
        if faults.fail_rate > 0:
            self.state.faults.add(
                FaultKind.STATUS,
                path_prefix="/v1/",
                status=503,
                times=None,
                probability=faults.fail_rate,
                description="Service Unavailable (a sandbox --fail-rate fault).",
            )

    @property
    def port(self) -> int:
        return self.fake.port

    def start(self) -> Sandbox:
        self.fake.start()
        return self

    def stop(self) -> None:
        self.fake.stop()

    def exports(self) -> dict[str, str]:
        """The settings that point ``trunkbot run`` (and ``check``, ``shell``) at this sandbox."""
        return {
            "TRUNKBOT_API_URL": self.fake.api_url,
            "TRUNKBOT_U2C_URL": self.fake.u2c_url,
            "SSL_CERT_FILE": str(self.tls.ca_path),
            "TRUNKBOT_BOT_TOKEN": self.fake.bot_token,
            "TRUNKBOT_ADMIN_TOKEN": DEMO_ADMIN_TOKEN,
        }

    # -- POST /sandbox/say --------------------------------------------------------------------

    def _person(self, email: str) -> Person:
        person = self.fake.person_by_email(email)
        if person is None:
            name = email.split("@", 1)[0].replace(".", " ").title()
            person = self.fake.add_person(email, name)
        return person

    def _room(self, person: Person, space: str) -> Room:
        if space == "direct":
            room = self.fake.direct_room(person)
            assert room is not None  # noqa: S101 - create=True
            return room
        if self.group is None:
            self.group = self.fake.add_room("group", [person], title="Sandbox space")
        elif not self.group.has_member(person):
            self.fake.add_member(self.group, person)
        return self.group

    async def _say(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"message": "Send a JSON object."}, status_code=400)
        email, text = body.get("as"), body.get("text")
        space = body.get("space", "direct")
        wait = body.get("wait", 10)
        if not isinstance(email, str) or "@" not in email or not isinstance(text, str):
            return JSONResponse({"message": '"as" (an email) and "text" are needed.'}, 400)
        if space not in ("direct", "group") or not isinstance(wait, int | float):
            return JSONResponse({"message": '"space" is direct or group; "wait" seconds.'}, 400)
        person = self._person(email)
        room = self._room(person, space)
        before = {m.uuid for m in self.fake.messages_in(room, include_deleted=True)}
        said = await self.fake.user_says(person, room, text)
        replies = await self._replies(room, before, min(float(wait), MAX_WAIT))
        return JSONResponse(
            {"messageId": said.id, "replies": [m.markdown or m.text or "" for m in replies]}
        )

    async def _replies(self, room: Room, before: set[str], wait: float) -> list[Message]:
        """The bot's new messages in ``room``: wait for the first, then until 1 s passes
        without another (a command may answer in several messages)."""

        def new() -> list[Message]:
            return [
                m
                for m in self.fake.messages_from_bot(room=room)
                if m.uuid not in before and m.author is self.fake.bot
            ]

        deadline = time.monotonic() + wait
        seen = -1
        quiet_until = deadline
        while time.monotonic() < min(deadline, quiet_until):
            found = new()
            if len(found) != seen:
                seen = len(found)
                if found:
                    quiet_until = time.monotonic() + 1.0
            await asyncio.sleep(0.05)
        return new()


def run_sandbox(
    port: int = 8765,
    *,
    faults: Faults = Faults(),
    out: Callable[[str], None] = print,
) -> None:
    """Serve until SIGTERM or Ctrl-C (``trunkbot sandbox``), printing the settings to use."""
    sandbox = Sandbox(port=port, faults=faults).start()
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        origin = f"https://127.0.0.1:{sandbox.port}"
        out(f"# Trunkbot sandbox: a fake Webex (calling API and the bot's side) on {origin}")
        for key, value in sandbox.exports().items():
            out(f"export {key}={value}")
        out("# In another shell: the lines above, a policy.toml, then `trunkbot run`.")
        say = f"trunkbot sandbox say --port {sandbox.port} --as you@example.com help"
        out(f"# Talk to the bot: {say}")
        if faults.latency or faults.fail_rate:
            out(f"# Faults: {faults.latency}s latency, {faults.fail_rate:.0%} of REST calls fail.")
        out("# Ctrl-C or SIGTERM stops it.")
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sandbox.stop()


def say(
    port: int,
    email: str,
    text: str,
    *,
    space: str = "direct",
    wait: float = 10.0,
    cafile: str | None = None,
) -> list[str]:
    """Post ``text`` as ``email`` through a running sandbox; the bot's replies."""
    import ssl

    context = ssl.create_default_context(cafile=cafile)
    if cafile is None:  # a local developer tool on loopback: the CA is the sandbox's own
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    payload = json.dumps({"as": email, "text": text, "space": space, "wait": wait}).encode()
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}{SAY_PATH}",
        data=payload,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=wait + 10, context=context) as response:  # noqa: S310
        answer: dict[str, Any] = json.load(response)
    return [str(reply) for reply in answer.get("replies", [])]
