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

    hooks = list(fake._webhooks.values())
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
    assert fake._webhooks == {}
