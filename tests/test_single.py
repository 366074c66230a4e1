"""One bot process per SQLite file: a second `trunkbot run`/`serve` is refused at start."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.single import another_process, hold_sqlite
from bot.startup import prepare
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_settings
from webexfake.calling import SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex


def test_a_second_holder_is_refused_with_one_sentence(tmp_path: Path) -> None:
    database = tmp_path / "state" / "trunkbot.db"
    first = hold_sqlite(database)
    try:
        with pytest.raises(ConfigError) as err:
            hold_sqlite(database)
        assert err.value.user_message == another_process(database)
        assert "\n" not in err.value.user_message
    finally:
        first.close()
    hold_sqlite(database).close()  # released with its holder: the next start may run


def test_the_state_stays_private(tmp_path: Path) -> None:
    database = tmp_path / "state" / "trunkbot.db"
    hold_sqlite(database).close()
    assert stat.S_IMODE(os.stat(database.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(database).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(database) + ".lock").st_mode) == 0o600


async def test_a_second_bot_on_the_same_file_does_not_start(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Two `trunkbot run` starts on one SQLite file: the second stops with the sentence
    (exit 2 on the command line); PostgreSQL is where replicas share a store."""
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(
        '[[grant]]\npeople=["a@example.com"]\nactions=["trunk.read"]\nlocations=["*"]\norgs=["*"]\n'
    )
    settings = bot_settings(fake, tmp_path)
    app, _messaging, _bot = await prepare(settings)
    try:
        with pytest.raises(ConfigError) as err:
            await prepare(settings)
        assert err.value.user_message == another_process(tmp_path / "trunkbot.db")
    finally:
        await app.aclose()
    again, _messaging, _bot = await prepare(settings)  # the first one's exit freed it
    await again.aclose()
