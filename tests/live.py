"""The environment a `trunkbot run` / `trunkbot serve` subprocess gets against the fake Webex:
every URL pointed at it, the sandbox's admin token, and all state under the test's tmp dir."""

from __future__ import annotations

import os
from pathlib import Path

from webexfake.calling import DEMO_ADMIN_TOKEN
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
