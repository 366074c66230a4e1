"""The environment a `trunkbot run` / `trunkbot serve` subprocess gets against the fake Webex:
every URL pointed at it, the sandbox's admin token, and all state under the test's tmp dir;
and the bot itself, in process, over webex-bot's websocket against the same fake."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.runner import BotRunner
from bot.settings import Settings
from bot.startup import prepare
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex


def bot_env(fake: FakeWebex, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUNKBOT_")}
    env.update(
        TRUNKBOT_BOT_TOKEN=fake.bot_token,
        TRUNKBOT_ADMIN_TOKEN=DEMO_ADMIN_TOKEN,
        TRUNKBOT_API_URL=fake.api_url,
        TRUNKBOT_U2C_URL=fake.u2c_url,
        TRUNKBOT_POLICY=str(tmp_path / "policy.toml"),
        TRUNKBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'trunkbot.db'}",
        TRUNKBOT_SECRETS_DIR=str(tmp_path / "no-secrets"),
    )
    env.update(extra)  # a test's own values win
    return env


def bot_settings(fake: FakeWebex, tmp_path: Path) -> Settings:
    """The settings of a bot in process against ``fake``: what :func:`bot_env` gives a
    subprocess (the policy file and a SQLite database in ``tmp_path``)."""
    return Settings(
        bot_token=fake.bot_token,  # type: ignore[arg-type]
        admin_token=DEMO_ADMIN_TOKEN,  # type: ignore[arg-type]
        api_url=fake.api_url,
        u2c_url=fake.u2c_url,
        policy=tmp_path / "policy.toml",
        database_url=f"sqlite:///{tmp_path / 'trunkbot.db'}",
    )


@asynccontextmanager
async def running_bot(fake: FakeWebex, tmp_path: Path) -> AsyncIterator[BotRunner]:
    """One run of the real bot (webex-bot's websocket, the intake and its jobs) against
    ``fake``, on the policy and database in ``tmp_path``: a process, started and stopped."""
    settings = bot_settings(fake, tmp_path)
    app, messaging, bot = await prepare(settings)
    runner = BotRunner(settings, app=app, messaging=messaging, bot=bot)
    task = asyncio.create_task(runner.run())
    try:
        await fake.wait_connected(timeout=10)
        yield runner
    finally:
        runner.stop.set()
        await asyncio.wait_for(task, timeout=30)
        await app.aclose()


@asynccontextmanager
async def bot_over_websocket(
    factory: Callable[..., FakeWebex], tmp_path: Path, policy: str, state: SandboxState
) -> AsyncIterator[tuple[FakeWebex, BotRunner]]:
    """The real bot (webex-bot's websocket, the intake, the router) running against a fake
    Webex whose calling API is ``state``, under ``policy``; stopped and closed on exit."""
    fake = factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(policy)
    async with running_bot(fake, tmp_path) as runner:
        yield fake, runner
