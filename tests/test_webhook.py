"""`trunkbot serve` end to end: signed Webex webhooks to a real uvicorn, the fake Webex (TLS)
behind the bot's REST calls, the sandbox behind the trunk API.

Webhook bodies are built as Webex sends them (ids only) and signed here with the standard
library, independently of the code under test.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import prometheus_client
import pytest
from pydantic import SecretStr

from bot import logs
from bot.intake.dispatch import KEEP_SECONDS
from bot.runner import BotRunner
from bot.settings import Settings
from bot.startup import prepare
from bot.store import AuditRecord
from bot.transports.http_server import WebhookServer, start_server
from bot.transports.webhook import WebhookIntake, build_webhook_app
from bot.transports.webhook_delivery import MAX_BODY, NOT_A_NOTIFICATION, notification
from bot.transports.webhook_metrics import WebhookMetrics
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_env
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex, Message, Person, Room

SECRET = "whk-Q7t#9vLm2xPz4R"
NO_CONFIRM = """
[[grant]]
domains   = ["example.com"]
actions   = ["trunk.create"]
locations = ["*"]
confirm   = false
orgs      = ["*"]
"""
WITH_CONFIRM = """
[[grant]]
domains   = ["example.com"]
actions   = ["trunk.create"]
locations = ["*"]
orgs      = ["*"]
"""


def signature(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def envelope(fake: FakeWebex, resource: str, data: dict[str, Any], event: str = "created") -> bytes:
    """A webhook delivery as Webex posts it (webhooks.yml, plus the delivery's ``data``)."""
    return json.dumps(
        {
            "id": "Y2lzY29zcGFyazovL3VzL1dFQkhPT0svOTZhYmMyYWE",
            "name": f"trunkbot {resource}",
            "targetUrl": "https://trunkbot.example.com/webhook",
            "resource": resource,
            "event": event,
            "orgId": fake.bot.org_id,
            "createdBy": fake.bot.id,
            "appId": "Y2lzY29zcGFyazovL3VzL0FQUExJQ0FUSU9OL0MyNzljYjMw",
            "ownedBy": "creator",
            "status": "active",
            "actorId": data.get("personId", ""),
            "data": data,
        }
    ).encode()


def _count(hook: Hook, what: str, **labels: str) -> float:
    """The webhook endpoint's counter ``trunkbot_webhooks_<what>_total`` in hook's registry."""
    return hook.intake.metrics.value(f"trunkbot_webhooks_{what}_total", **labels)


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "roomId": message.room.id,
        "roomType": message.room.kind,
        "personId": message.author.id,
        "personEmail": message.author.email,
        "created": message.created,
    }


@dataclass
class Hook:
    fake: FakeWebex
    state: SandboxState
    runner: BotRunner
    server: WebhookServer
    intake: WebhookIntake
    http: httpx.AsyncClient
    alice: Person
    dm: Room

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(
            "/webhook",
            content=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    async def deliver(self, resource: str, data: dict[str, Any]) -> httpx.Response:
        body = envelope(self.fake, resource, data)
        return await self.post(body, {"X-Spark-Signature": signature(body)})

    async def says(self, person: Person, room: Room, text: str) -> Message:
        """``person`` posts ``text``; Webex notifies the bot with a signed webhook."""
        message = await self.fake.user_says(person, room, text)
        response = await self.deliver("messages", message_data(message))
        assert response.status_code == 200
        return message

    async def reply_to(self, text: str, n: int = 1) -> list[str]:
        before = len(self.fake.messages_from_bot(room=self.dm, include_deleted=True))
        await self.says(self.alice, self.dm, text)
        msgs = await self.fake.wait_for_bot_messages(before + n, room=self.dm, timeout=15)
        return [m.markdown or m.text or "" for m in msgs[before : before + n]]

    async def settled(self) -> None:
        """Until every accepted webhook has been fetched and handled."""
        for _ in range(200):
            if not self.intake.fetching and not self.runner.in_flight:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("webhook handling never finished")


async def start(
    factory: Callable[..., FakeWebex], tmp_path: Path, policy: str
) -> tuple[Hook, Callable[[], Any]]:
    state = SandboxState.seeded()
    fake = factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(policy)
    logs.SECRETS.add(SECRET)  # as `trunkbot serve` does: the session's secret scan looks for it
    settings = Settings(
        bot_token=fake.bot_token,  # type: ignore[arg-type]
        admin_token=DEMO_ADMIN_TOKEN,  # type: ignore[arg-type]
        api_url=fake.api_url,
        u2c_url=fake.u2c_url,
        policy=tmp_path / "policy.toml",
        database_url=f"sqlite:///{tmp_path / 'trunkbot.db'}",
        webhook_secret=SECRET,  # type: ignore[arg-type]
    )
    app, messaging, bot = await prepare(settings)
    runner = BotRunner(settings, app=app, messaging=messaging, bot=bot)
    maintenance = asyncio.create_task(runner.maintain())
    webhook_app = build_webhook_app(runner, SecretStr(SECRET))
    server = await start_server(webhook_app, "127.0.0.1", 0)
    http = httpx.AsyncClient(base_url=server.url, timeout=10)
    alice = fake.add_person("alice@example.com", "Alice Example")
    hook = Hook(
        fake,
        state,
        runner,
        server,
        webhook_app.state.intake,
        http,
        alice,
        fake.add_room("direct", [alice]),
    )

    async def stop() -> None:
        runner.stop.set()
        await http.aclose()
        await server.close()
        await hook.intake.drain()
        await runner.drain()
        await asyncio.wait_for(maintenance, timeout=30)
        await app.aclose()

    return hook, stop


#: What a 1:1 create sends: "Creating…", the result, then the password and configuration.
CREATE_MESSAGES = 3


@pytest.fixture
async def hook(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Hook]:
    hook, stop = await start(fake_webex_factory, tmp_path, NO_CONFIRM)
    try:
        yield hook
    finally:
        await stop()


async def test_signed_message_webhook_is_answered(hook: Hook) -> None:
    """A signed messages/created webhook: the bot fetches the message and answers it."""
    (answer,) = await hook.reply_to("help")
    assert answer.startswith("Here's what you can do:")
    await hook.settled()
    assert hook.runner.handled == 1


async def test_create_trunk_over_webhooks(hook: Hook) -> None:
    """With `confirm = false`, a text command creates the trunk in the sandbox."""
    creating, done = await hook.reply_to('create trunk name=wh-1 location="London HQ"', n=2)
    assert creating == "Creating registering trunk **wh-1** in **London HQ**…"
    assert done.startswith("✅ Trunk **wh-1** created in **London HQ**")
    assert hook.state.trunk_by_name("wh-1") is not None


async def test_bad_signature_is_refused_and_nothing_handled(hook: Hook) -> None:
    """A wrong signature (another secret, or a body changed after signing): 401, no fetch."""
    message = await hook.fake.user_says(
        hook.alice, hook.dm, "create trunk name=x-1 location=Madrid"
    )
    body = envelope(hook.fake, "messages", message_data(message))
    forged = await hook.post(body, {"X-Spark-Signature": signature(body, "another-secret")})
    tampered = await hook.post(
        body.replace(b'"created"', b'"created" '), {"X-Spark-Signature": signature(body)}
    )
    for response in (forged, tampered):
        assert response.status_code == 401
        assert response.content == b""
    await hook.settled()
    assert hook.runner.handled == 0
    assert hook.fake.requests_to(f"/v1/messages/{message.id}") == []
    assert hook.fake.messages_from_bot(room=hook.dm) == []
    assert hook.state.trunk_by_name("x-1") is None
    assert _count(hook, "rejected", reason="signature") == 2


async def test_missing_signature_is_refused(hook: Hook) -> None:
    message = await hook.fake.user_says(hook.alice, hook.dm, "help")
    response = await hook.post(envelope(hook.fake, "messages", message_data(message)))
    assert response.status_code == 401
    assert response.content == b""
    await hook.settled()
    assert hook.runner.handled == 0
    assert hook.fake.messages_from_bot(room=hook.dm) == []


async def test_redelivered_webhook_is_handled_once(hook: Hook) -> None:
    """Webex delivers the same webhook again (and again, at once): one answer, one trunk."""
    message = await hook.fake.user_says(
        hook.alice, hook.dm, "create trunk name=dup-1 location=Madrid"
    )
    first = await hook.deliver("messages", message_data(message))
    again = await asyncio.gather(
        *(hook.deliver("messages", message_data(message)) for _ in range(3))
    )
    assert [r.status_code for r in (first, *again)] == [200] * 4
    # "Creating…", the result, then the password and gateway configuration
    await hook.fake.wait_for_bot_messages(CREATE_MESSAGES, room=hook.dm, timeout=15)
    await hook.settled()
    await asyncio.sleep(0.2)
    assert len(hook.fake.messages_from_bot(room=hook.dm)) == CREATE_MESSAGES
    assert hook.runner.handled == 1
    assert [t.name for t in hook.state.trunks.values()].count("dup-1") == 1


def ignored_rows(rows: list[AuditRecord]) -> list[AuditRecord]:
    return [r for r in rows if r.result == "ignored"]


async def test_a_replay_after_the_store_prune_is_not_run_again(hook: Hook) -> None:
    """A signed delivery captured and replayed 8 days later, after the intake rows are pruned:
    the signature is still good and the id looks new, but the message is older than the age
    limit. 200 (no retry storm), no answer, no second trunk, an `ignored` audit row."""
    message = await hook.fake.user_says(
        hook.alice, hook.dm, "create trunk name=rep-1 location=Madrid"
    )
    body = envelope(hook.fake, "messages", message_data(message))
    headers = {"X-Spark-Signature": signature(body)}
    assert (await hook.post(body, headers)).status_code == 200
    await hook.fake.wait_for_bot_messages(CREATE_MESSAGES, room=hook.dm, timeout=15)
    await hook.settled()
    store = hook.runner.app.services.store
    later = datetime.now(UTC) + timedelta(days=8)
    hook.runner.clock = lambda: later
    assert await store.prune(keep_seconds=KEEP_SECONDS, now=later) >= 1  # message.id forgotten

    assert (await hook.post(body, headers)).status_code == 200
    await hook.settled()
    await asyncio.sleep(0.1)
    assert len(hook.fake.messages_from_bot(room=hook.dm, include_deleted=True)) == CREATE_MESSAGES
    assert [t.name for t in hook.state.trunks.values()].count("rep-1") == 1
    assert hook.runner.handled == 1
    [row] = ignored_rows(await store.list_audit())
    sent = datetime.fromisoformat(message.created).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row.reason == f"older than 1 hour (sent {sent})"
    assert (row.event_id, row.email) == (message.id, "alice@example.com")
    assert await store.pending_intake(0, now=later) == []  # finished, not retried


async def test_a_message_delivered_late_is_ignored(hook: Hook) -> None:
    """Webex (the fake) says the message was sent two hours ago: recorded, never run."""
    old = datetime.now(UTC) - timedelta(hours=2)
    message = await hook.fake.user_says(
        hook.alice, hook.dm, "create trunk name=late-1 location=Madrid", created=old
    )
    assert (await hook.deliver("messages", message_data(message))).status_code == 200
    await hook.says(hook.alice, hook.dm, "help")  # a fresh one is answered...
    await hook.fake.wait_for_bot_messages(1, room=hook.dm, timeout=15)
    await hook.settled()
    assert hook.runner.handled == 1  # ...the late one never was
    assert hook.state.trunk_by_name("late-1") is None
    [row] = ignored_rows(await hook.runner.app.services.store.list_audit())
    assert row.event_id == message.id
    assert row.reason is not None
    assert row.reason.startswith("older than 1 hour (sent ")


async def test_card_submission_over_attachment_actions(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    """A confirm card: the Create press arrives as an attachmentActions webhook → created."""
    hook, stop = await start(fake_webex_factory, tmp_path, WITH_CONFIRM)
    try:
        (summary,) = await hook.reply_to("create trunk name=card-1 location=Madrid")
        assert summary.startswith("Please check trunk **card-1** and press **Create**")
        card = next(m for m in hook.fake.messages_from_bot(room=hook.dm) if m.attachments)
        assert hook.state.trunk_by_name("card-1") is None
        content = card.attachments[0]["content"]
        data = next(a["data"] for a in content["actions"] if a.get("title") == "Create")
        action = await hook.fake.user_submits_card(hook.alice, hook.dm, card.id, dict(data))
        before = len(hook.fake.messages_from_bot(room=hook.dm, include_deleted=True))
        response = await hook.deliver(
            "attachmentActions",
            {
                "id": action.id,
                "type": "submit",
                "messageId": card.id,
                "personId": hook.alice.id,
                "roomId": hook.dm.id,
                "created": action.created,
            },
        )
        assert response.status_code == 200
        await hook.fake.wait_for_bot_messages(before + 1, room=hook.dm, timeout=15)
        for _ in range(200):
            if hook.state.trunk_by_name("card-1") is not None:
                break
            await asyncio.sleep(0.05)
        assert hook.state.trunk_by_name("card-1") is not None
        await hook.settled()
        assert _count(hook, "accepted", kind="message") == 1
        assert _count(hook, "accepted", kind="card") == 1
    finally:
        await stop()


async def test_other_resources_and_own_posts_are_ignored(hook: Hook) -> None:
    """Other resources and events get 200 and no fetch; so do the bot's own posts."""
    for resource, event in [
        ("memberships", "created"),
        ("messages", "deleted"),
        ("rooms", "updated"),
    ]:
        body = envelope(hook.fake, resource, {"id": "abc", "personId": hook.alice.id}, event)
        response = await hook.post(body, {"X-Spark-Signature": signature(body)})
        assert response.status_code == 200
    own = {"id": "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMTIz", "personId": hook.fake.bot.id}
    assert (await hook.deliver("messages", own)).status_code == 200
    await hook.settled()
    assert hook.fake.requests_to("/v1/messages/") == []
    assert _count(hook, "ignored") == 4
    assert hook.runner.handled == 0


async def test_malformed_and_oversized_bodies(hook: Hook) -> None:
    """A signed body that isn't a webhook: 400. Over 64 KB: 413, signed or not."""
    for body in (b"not json", b"[1, 2]", b'{"resource": "messages"}'):
        response = await hook.post(body, {"X-Spark-Signature": signature(body)})
        assert response.status_code == 400
    big = b'{"pad": "' + b"x" * MAX_BODY + b'"}'
    response = await hook.post(big, {"X-Spark-Signature": signature(big)})
    assert response.status_code == 413
    assert _count(hook, "rejected", reason="malformed") == 3
    assert _count(hook, "rejected", reason="too_large") == 1


async def test_deeply_nested_signed_bodies_are_refused_with_one_line(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    """Correctly signed JSON nested past the parser's depth: a 400 with one short line, never a
    500 or a traceback. 100,000 levels is over the size limit, so it is a 413 before parsing."""
    deepest = (MAX_BODY - 16) // 2  # as deep as fits under the size limit
    nested = [
        b'{"data": ' + b"[" * deepest + b"]" * deepest + b"}",
        b'{"resource": "messages", "data": ' + b'{"a": ' * 9_000 + b"1" + b"}" * 9_001,
        b"[" * (MAX_BODY - 1),  # never closed
    ]
    for body in nested:
        assert len(body) <= MAX_BODY
        response = await hook.post(body, {"X-Spark-Signature": signature(body)})
        assert response.status_code == 400
        assert response.text == NOT_A_NOTIFICATION
        assert response.text.count("\n") == 1
    huge = b"[" * 50_000 + b"{}" + b"]" * 50_000  # ~100,000 levels
    response = await hook.post(huge, {"X-Spark-Signature": signature(huge)})
    assert response.status_code == 413
    assert notification(huge) is None  # and were it allowed in, it would still be a 400
    assert notification(b'{"a": ' * 100_000 + b"1" + b"}" * 100_000) is None
    await hook.settled()
    assert _count(hook, "rejected", reason="malformed") == len(nested)
    assert hook.runner.handled == 0
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_health_readiness_and_metrics(hook: Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    health = await hook.http.get("/healthz")
    assert (health.status_code, health.text) == (200, "ok")
    ready = await hook.http.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready")

    await hook.reply_to("help")
    await hook.post(b"{}", {"X-Spark-Signature": "0" * 40})
    await hook.settled()
    metrics = await hook.http.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.text.splitlines()
        if line and not line.startswith("#")
    }
    assert samples["trunkbot_webhooks_received_total"] == 2
    assert samples['trunkbot_webhooks_rejected_total{reason="signature"}'] == 1
    assert samples['trunkbot_webhooks_accepted_total{kind="message"}'] == 1
    assert samples["trunkbot_events_handled_total"] == 1
    assert samples["trunkbot_commands_in_flight"] == 0
    assert "# TYPE trunkbot_commands_in_flight gauge" in metrics.text
    assert "# TYPE trunkbot_webhooks_received_total counter" in metrics.text
    assert (
        "# HELP trunkbot_webhooks_rejected_total Webhook deliveries refused, by reason "
        "(signature: missing or wrong X-Spark-Signature)." in metrics.text
    )
    assert samples['trunkbot_webhooks_rejected_total{reason="stopping"}'] == 0  # from the start

    async def down() -> int:
        raise OSError("database is gone")

    monkeypatch.setattr(hook.runner.app.services.store, "schema_version", down)
    ready = await hook.http.get("/readyz")
    assert (ready.status_code, ready.text) == (503, "not ready: the database doesn't answer")
    monkeypatch.undo()
    hook.runner.stop.set()
    ready = await hook.http.get("/readyz")
    assert (ready.status_code, ready.text) == (503, "not ready: the bot is stopping")
    message = await hook.fake.user_says(hook.alice, hook.dm, "help")
    assert (await hook.deliver("messages", message_data(message))).status_code == 503


def test_each_webhook_app_counts_in_its_own_registry() -> None:
    """Two apps in one process (as in these tests) never share or collide on a counter, and
    nothing lands in prometheus-client's global registry."""
    first = WebhookMetrics(handled=lambda: 3, in_flight=lambda: 1)
    second = WebhookMetrics(handled=lambda: 0, in_flight=lambda: 0)
    first.received.inc()
    first.rejected.labels(reason="signature").inc(2)
    assert first.value("trunkbot_webhooks_received_total") == 1
    assert first.value("trunkbot_webhooks_rejected_total", reason="signature") == 2
    assert second.value("trunkbot_webhooks_received_total") == 0
    assert second.value("trunkbot_webhooks_rejected_total", reason="signature") == 0
    assert first.value("trunkbot_events_handled_total") == 3
    assert first.value("trunkbot_commands_in_flight") == 1
    assert prometheus_client.REGISTRY.get_sample_value("trunkbot_webhooks_received_total") is None
    text = first.render().decode()
    assert "trunkbot_webhooks_received_total 1.0" in text
    assert "# TYPE trunkbot_commands_in_flight gauge" in text


async def test_the_secret_is_never_logged(hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    """Every path, good and bad, at DEBUG: the webhook secret appears in no log record."""
    caplog.set_level(logging.DEBUG)
    await hook.reply_to("help")
    message = await hook.fake.user_says(hook.alice, hook.dm, "help")
    body = envelope(hook.fake, "messages", message_data(message))
    await hook.post(body, {"X-Spark-Signature": signature(body, "wrong")})
    await hook.post(body)
    await hook.post(b"nope", {"X-Spark-Signature": signature(b"nope")})
    await hook.settled()
    rejected = [r for r in caplog.records if r.getMessage() == "webhook.rejected"]
    assert len(rejected) == 3
    assert caplog.records
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in repr(vars(record))
        assert "create trunk" not in repr(vars(record))  # nor a body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_answers_then_drains_on_sigterm(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    """`trunkbot serve`: ready, answers a webhook; SIGTERM mid-create finishes it, exit 0."""
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(NO_CONFIRM)
    port = _free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220, S603  -- our own CLI; waited for in a thread
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=bot_env(fake, tmp_path, TRUNKBOT_WEBHOOK_SECRET=SECRET),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for _ in range(300):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, proc.communicate()
                await asyncio.sleep(0.1)
            alice = fake.add_person("alice@example.com", "Alice Example")
            dm = fake.add_room("direct", [alice])
            state.faults.add("latency", method="POST", path_suffix="/premisePstn/trunks", seconds=2)
            message = await fake.user_says(alice, dm, "create trunk name=term-1 location=Madrid")
            body = envelope(fake, "messages", message_data(message))
            response = await http.post(
                "/webhook", content=body, headers={"X-Spark-Signature": signature(body)}
            )
            assert response.status_code == 200
            await fake.wait_for_bot_messages(1, room=dm, timeout=15)  # "Creating…": in flight
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 40)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    sent = [m.markdown or "" for m in fake.messages_from_bot(room=dm)]
    assert any(m.startswith("✅ Trunk **term-1** created") for m in sent), sent
    assert sent[-1].startswith("Password (shown only here)"), sent  # answered to the end
    for secret in (SECRET, fake.bot_token, DEMO_ADMIN_TOKEN):
        assert secret not in out + err


async def test_serve_without_a_webhook_secret_exits_2(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    """`trunkbot serve` refuses to start without TRUNKBOT_WEBHOOK_SECRET: one line, exit 2."""
    fake = fake_webex_factory()
    (tmp_path / "policy.toml").write_text(NO_CONFIRM)
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "serve", "--port", str(_free_port())],
        env=bot_env(fake, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "trunkbot: No webhook secret: set TRUNKBOT_WEBHOOK_SECRET to the `secret` of the bot's "
        "Webex webhooks (see `trunkbot serve --help`)."
    ]
    assert fake.requests == []  # refused before calling Webex


async def test_a_message_webex_doesnt_have_is_left_for_recovery(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    """A delivery naming a message Webex answers 404 for (deleted meanwhile, or not there
    yet): acknowledged, counted as a failed fetch, nothing answered or handled; its intake row
    stays pending for recovery to fetch again (and give up, on the audit trail, after 5)."""
    import base64
    import uuid

    raw = f"ciscospark://us/MESSAGE/{uuid.uuid4()}".encode()
    missing = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    data = {"id": missing, "roomId": hook.dm.id, "roomType": "direct"}
    data |= {"personId": hook.alice.id, "personEmail": hook.alice.email}
    response = await hook.deliver("messages", data)
    assert response.status_code == 200
    await hook.settled()
    metrics = hook.intake.metrics
    assert metrics.value("trunkbot_webhook_fetch_failures_total") == 1
    assert hook.runner.handled == 0
    assert hook.fake.messages_from_bot(room=hook.dm) == []
    assert "webhook.fetch_failed" in caplog.messages
    assert await hook.runner.app.services.store.intake_fetch_failed(missing) == 1
