"""`trunkbot webhooks sync --url …` and `list`, as a process against the fake Webex: the
bot's two webhooks are created once and updated after, nothing else is touched."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_env
from webexfake.messaging import FakeWebex

SECRET = "Webhook#Secret-0042"
URL = "https://bot.example.com/webhook"


def trunkbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "bot", "webhooks", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def post_webhook(fake: FakeWebex, token: str, name: str) -> None:
    answer = httpx.post(
        f"{fake.api_url}/webhooks",
        json={
            "name": name,
            "targetUrl": "https://elsewhere.example/x",
            "resource": "rooms",
            "event": "created",
        },
        headers={"Authorization": f"Bearer {token}"},
        verify=ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"]),
        timeout=10,
    )
    answer.raise_for_status()


def test_sync_creates_then_updates_only_the_bots_two(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake = fake_webex_factory()
    post_webhook(fake, fake.bot_token, "someone's own hook")  # the bot's, not ours to change
    post_webhook(fake, fake.admin_token, "trunkbot messages")  # another identity's, invisible
    env = bot_env(fake, tmp_path, TRUNKBOT_WEBHOOK_SECRET=SECRET)

    first = trunkbot(env, "sync", "--url", URL)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"created  trunkbot messages: messages/created → {URL}",
        f"created  trunkbot card actions: attachmentActions/created → {URL}",
    ]
    again = trunkbot(env, "sync", "--url", URL + "2")
    assert again.returncode == 0, again.stderr
    assert [line.split()[0] for line in again.stdout.splitlines()] == ["updated", "updated"]
    assert SECRET not in first.stdout + first.stderr + again.stdout + again.stderr

    hooks = list(fake.records.webhooks.values())
    bots = [h for h in hooks if h["_owner"] == fake.bot.uuid]
    assert sorted(h["name"] for h in bots) == [
        "someone's own hook",
        "trunkbot card actions",
        "trunkbot messages",
    ]
    ours = [h for h in bots if h["name"].startswith("trunkbot ")]
    assert {h["targetUrl"] for h in ours} == {URL + "2"}
    assert {h["_secret"] for h in ours} == {SECRET}
    untouched = next(h for h in bots if h["name"] == "someone's own hook")
    assert untouched["targetUrl"] == "https://elsewhere.example/x"
    admins = [h for h in hooks if h["_owner"] == fake.admin.uuid]
    assert [h["targetUrl"] for h in admins] == ["https://elsewhere.example/x"]

    listed = trunkbot(env, "list")
    assert listed.returncode == 0, listed.stderr
    assert f"ours trunkbot messages: messages/created → {URL}2 (active)" in listed.stdout
    assert "     someone's own hook: rooms/created" in listed.stdout


def test_sync_refuses_what_serve_could_not_use(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake = fake_webex_factory()
    no_secret = trunkbot(bot_env(fake, tmp_path), "sync", "--url", URL)
    assert no_secret.returncode == 2
    assert no_secret.stderr.strip() == (
        "trunkbot: No webhook secret: set TRUNKBOT_WEBHOOK_SECRET first (serve checks it)."
    )
    plain = trunkbot(
        bot_env(fake, tmp_path, TRUNKBOT_WEBHOOK_SECRET=SECRET), "sync", "--url", "http://x/y"
    )
    assert plain.returncode == 2
    assert "https://" in plain.stderr
    assert "Traceback" not in plain.stderr
    assert fake.records.webhooks == {}


async def test_check_reports_whether_the_webhooks_point_at_the_webhook_url(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    from io import StringIO

    from pydantic import SecretStr

    from bot.check import Report
    from bot.check_webhooks import check_webhooks
    from bot.settings import Settings

    fake = fake_webex_factory()
    settings = Settings(
        bot_token=SecretStr(fake.bot_token),
        api_url=fake.api_url,
        u2c_url=fake.u2c_url,
        webhook_url=URL,
        policy=tmp_path / "policy.toml",
    )

    async def check() -> Report:
        report = Report(StringIO())
        await check_webhooks(settings, report)
        return report

    missing = await check()
    assert missing.problems == [
        "Webhooks: the messages/created webhook ('trunkbot messages') is missing; the "
        "attachmentActions/created webhook ('trunkbot card actions') is missing. Run "
        f"`trunkbot webhooks sync --url {URL}` (it changes only the bot's two)."
    ]

    env = bot_env(fake, tmp_path, TRUNKBOT_WEBHOOK_SECRET=SECRET)
    assert trunkbot(env, "sync", "--url", "https://old.example.com/webhook").returncode == 0
    elsewhere = await check()
    assert len(elsewhere.problems) == 1
    assert (
        "'trunkbot messages' points at https://old.example.com/webhook, not "
        in (elsewhere.problems[0])
    )

    synced = trunkbot(env | {"TRUNKBOT_WEBHOOK_URL": URL}, "sync")  # --url from the setting
    assert synced.returncode == 0, synced.stderr
    right = await check()
    assert right.problems == []
    assert f"ok       webhooks: messages and card actions point at {URL}" in (
        right.out.getvalue()  # type: ignore[attr-defined]
    )


def test_sync_without_url_or_setting_says_so(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake = fake_webex_factory()
    run = trunkbot(bot_env(fake, tmp_path, TRUNKBOT_WEBHOOK_SECRET=SECRET), "sync")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "trunkbot: Say where `trunkbot serve` receives webhooks: --url https://… (or set "
        "TRUNKBOT_WEBHOOK_URL)."
    )
    assert fake.requests_to("/v1/webhooks") == []
