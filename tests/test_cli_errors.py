"""The first mistakes of a newcomer and an operator, through the real `trunkbot` command.

Each one ends in one line that names the cause and the fix, exit 2 for usage or
configuration and 1 for a runtime failure, and never a Python traceback. Subprocesses cost
about half a second each, so each test spawns only what it proves; what the parser alone
decides (descriptions, help texts) is checked in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import _parser, main
from bot.settings import POSTGRES_DRIVER_MISSING
from tests.live import bot_env
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState, serve
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex

POLICY = (
    '[[grant]]\npeople=["alice@example.com"]\nactions=["trunk.create"]\n'
    'locations=["*"]\norgs=["*"]\n'
)


def trunkbot(*args: str, cwd: Path, env: dict[str, str] | None = None, **extra: str) -> Run:
    """`python -m bot ARGS` with no TRUNKBOT_* from this process, state under ``cwd``."""
    base = env if env is not None else {k: v for k, v in os.environ.items() if "TRUNKBOT_" not in k}
    base = {**base, "XDG_STATE_HOME": str(cwd / "state"), **extra}
    base.setdefault("TRUNKBOT_SECRETS_DIR", str(cwd / "no-secrets"))
    done = subprocess.run(  # noqa: S603  -- our own CLI, fixed arguments
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=base,
        timeout=60,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def one_line(self) -> str:
        """The single line on stderr (asserting there is exactly one, and no traceback)."""
        assert "Traceback" not in self.out + self.err
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("trunkbot"), lines[0]
        return lines[0]

    def last_line(self) -> str:
        """The last line on stderr, after the start-up log lines (and no traceback)."""
        assert "Traceback" not in self.out + self.err
        lines = self.err.splitlines()
        assert lines, "nothing on stderr"
        assert all(" INFO " in line for line in lines[:-1]), self.err
        return lines[-1]


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


# --- the command itself ---------------------------------------------------------------------


def test_version_and_a_bare_command(tmp_path: Path) -> None:
    """`--version` prints the version; a bare `trunkbot` prints the help and a hint, exit 2."""
    from importlib.metadata import version

    run = trunkbot("--version", cwd=tmp_path)
    assert run.code == 0
    assert run.out.strip() == f"trunkbot {version('trunkbot')}"

    bare = trunkbot(cwd=tmp_path)
    assert bare.code == 2
    assert "usage: trunkbot" in bare.err
    for command in ("run", "serve", "shell", "sandbox", "check", "audit"):
        assert f"    {command} " in bare.err, command
    assert bare.err.strip().splitlines()[-1].startswith("trunkbot: give a command.")
    assert "trunkbot shell" in bare.err.strip().splitlines()[-1]


def test_short_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """`-V` is `--version`."""
    with pytest.raises(SystemExit) as done:
        main(["-V"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("trunkbot ")


def test_every_subcommand_and_option_explains_itself() -> None:
    """Every subcommand has a description for its --help, every option a help text."""
    parser = _parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == {
        "run",
        "serve",
        "shell",
        "sandbox",
        "check",
        "audit",
        "webhooks",
    }
    helps = {a.dest: a.help for a in commands._choices_actions}
    for name, sub in commands.choices.items():
        assert helps.get(name), f"{name} has no one-line help in `trunkbot --help`"
        assert sub.description, f"{name} has no description"
        assert len(sub.description) > 40, f"{name}'s description is too short to help"
        for action in sub._actions:
            assert action.help, f"`trunkbot {name} {action.option_strings}` has no help text"
    for action in parser._actions:
        assert action.help or action is commands, action.option_strings


def test_out_of_range_port_is_one_usage_line(tmp_path: Path) -> None:
    """`serve --port 99999`: not an OverflowError deep in socket code, but one usage line."""
    run = trunkbot("serve", "--port", "99999", cwd=tmp_path)
    assert run.code == 2
    line = run.one_line()
    assert "--port" in line
    assert "99999 is not a port number (0-65535)" in line
    assert "trunkbot serve --help" in line


def test_sandbox_on_a_busy_port(tmp_path: Path, busy_port: int) -> None:
    """`trunkbot sandbox` where something already listens: one line, exit 1."""
    run = trunkbot("sandbox", "--port", str(busy_port), cwd=tmp_path)
    assert run.code == 1
    assert run.one_line() == (
        f"trunkbot: port {busy_port} on 127.0.0.1 is in use; pick another with --port."
    )


# --- settings -------------------------------------------------------------------------------


def test_an_unknown_log_level_is_one_line(tmp_path: Path) -> None:
    """`TRUNKBOT_LOG_LEVEL=LOUD trunkbot check`: the setting and its values, exit 2."""
    run = trunkbot("check", cwd=tmp_path, TRUNKBOT_LOG_LEVEL="LOUD")
    assert run.code == 2
    assert run.one_line() == (
        "trunkbot: Setting TRUNKBOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL (any case)."
    )


def test_a_config_file_with_a_typo_is_refused(tmp_path: Path) -> None:
    """`--config` with an unknown key: refused, naming the key and the setting meant."""
    (tmp_path / "trunkbot.toml").write_text('apl_url = "https://example.com/v1"\n')
    run = trunkbot("--config", "trunkbot.toml", "check", cwd=tmp_path)
    assert run.code == 2
    line = run.one_line()
    assert "unknown setting `apl_url` (did you mean `api_url`?)" in line
    assert "https://example.com" not in line  # names the key, never echoes a value


async def test_check_with_empty_values_and_newlines(tmp_path: Path) -> None:
    """Empty values count as unset, a token's trailing newline is cut, and nothing is created.

    ``TRUNKBOT_BOT_TOKEN=""`` is "no bot token" (not a broken request halfway through the
    check); ``TRUNKBOT_ADMIN_TOKEN=""`` doesn't hide ``TRUNKBOT_ADMIN_TOKEN_FILE``, whose token
    ends in a newline; the default database's directory doesn't appear.
    """
    (tmp_path / "policy.toml").write_text(POLICY)
    (tmp_path / "admin-token").write_text(DEMO_ADMIN_TOKEN + "\n")
    async with await serve(SandboxState.seeded()) as server:
        run = await asyncio.to_thread(
            trunkbot,
            "check",
            cwd=tmp_path,
            TRUNKBOT_API_URL=server.base_url,
            TRUNKBOT_BOT_TOKEN="",
            TRUNKBOT_ADMIN_TOKEN="",
            TRUNKBOT_ADMIN_TOKEN_FILE=str(tmp_path / "admin-token"),
        )
    assert run.code == 0, run.out + run.err
    assert "note     No bot token is set" in run.out
    assert "ok       admin token answers" in run.out
    assert "will be created at the first start" in run.out
    assert run.out.endswith("All checks passed.\n")
    assert not (tmp_path / "state").exists(), "check created the state directory"
    assert DEMO_ADMIN_TOKEN not in run.out + run.err


def test_check_offline_names_the_host_and_the_cause(tmp_path: Path) -> None:
    """Webex unreachable: each identity's line names host:port and why, and exit 1."""
    (tmp_path / "policy.toml").write_text(POLICY)
    port = closed_port()
    run = trunkbot(
        "check",
        cwd=tmp_path,
        TRUNKBOT_API_URL=f"http://127.0.0.1:{port}/v1",
        TRUNKBOT_BOT_TOKEN="some-bot-token-1234",
        TRUNKBOT_ADMIN_TOKEN="some-admin-token-1234\n",
    )
    assert run.code == 1, run.out + run.err
    problems = [line for line in run.out.splitlines() if line.startswith("problem")]
    assert len(problems) == 2, run.out
    for what, line in zip(("bot token", "admin token"), problems, strict=True):
        assert f"Couldn't connect to Webex at 127.0.0.1:{port} to check the {what}" in line
        assert "the connection was refused" in line
        assert "TRUNKBOT_API_URL" in line
    assert "some-bot-token" not in run.out + run.err
    assert "some-admin-token" not in run.out + run.err


def test_postgres_without_its_driver_is_one_sentence(tmp_path: Path) -> None:
    """A postgresql:// URL where the `postgres` extra isn't installed: check says how to fix."""
    hidden = tmp_path / "hide"
    (hidden / "psycopg").mkdir(parents=True)
    (hidden / "psycopg" / "__init__.py").write_text('raise ImportError("hidden by the test")\n')
    (tmp_path / "policy.toml").write_text(POLICY)
    run = trunkbot(
        "check",
        cwd=tmp_path,
        PYTHONPATH=str(hidden),
        TRUNKBOT_DATABASE_URL="postgresql://trunkbot@127.0.0.1:1/trunkbot",
    )
    assert run.code == 2
    assert f"problem  {POSTGRES_DRIVER_MISSING}" in run.out
    assert "pip install 'trunkbot[postgres]'" in POSTGRES_DRIVER_MISSING
    assert "Traceback" not in run.err


def test_postgres_without_its_driver_stops_other_commands(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit` (like run, serve, shell) exits 2 with the same sentence, before opening it."""
    for key in [k for k in os.environ if k.startswith("TRUNKBOT_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRUNKBOT_SECRETS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("TRUNKBOT_DATABASE_URL", "postgresql://trunkbot@127.0.0.1:1/trunkbot")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    assert main(["audit"]) == 2
    assert capsys.readouterr().err == f"trunkbot: {POSTGRES_DRIVER_MISSING}\n"


# --- run and serve against the fake Webex -----------------------------------------------------


@pytest.mark.parametrize("command", ["run", "serve"])
async def test_a_persons_token_is_refused_at_start(
    fake_webex_factory: Callable[..., FakeWebex],
    tmp_path: Path,
    command: str,
) -> None:
    """A person's token as the bot token: `run` and `serve` refuse with `check`'s sentence."""
    fake = fake_webex_factory(extra_app=build_sandbox(SandboxState.seeded()))
    token = fake.issue_token(fake.add_person("pat@example.com", "Pat"))
    (tmp_path / "policy.toml").write_text(POLICY)
    env = bot_env(
        fake, tmp_path, TRUNKBOT_BOT_TOKEN=token, TRUNKBOT_WEBHOOK_SECRET="webhook-secret-123"
    )
    run = await asyncio.to_thread(trunkbot, command, cwd=tmp_path, env=env)
    assert run.code == 2, run.err
    assert run.one_line() == (
        "trunkbot: TRUNKBOT_BOT_TOKEN belongs to pat@example.com, a person, not a bot: create "
        "a bot at developer.webex.com and use its token."
    )
    assert token not in run.out + run.err


async def test_run_without_the_service_catalog_is_one_line(
    fake_webex_factory: Callable[..., FakeWebex],
    tmp_path: Path,
) -> None:
    """U2C unreachable when webex-bot starts: one line naming its host and the cause, exit 1."""
    fake = fake_webex_factory(extra_app=build_sandbox(SandboxState.seeded()))
    (tmp_path / "policy.toml").write_text(POLICY)
    port = closed_port()
    env = bot_env(fake, tmp_path, TRUNKBOT_U2C_URL=f"http://127.0.0.1:{port}/u2c/api/v1/catalog")
    run = await asyncio.to_thread(trunkbot, "run", cwd=tmp_path, env=env)
    assert run.code == 1, run.err
    line = run.last_line()
    assert line.startswith(
        f"trunkbot: couldn't reach the Webex service catalog (U2C) at 127.0.0.1:{port}: "
        "the connection was refused"
    ), line
    assert "TRUNKBOT_U2C_URL" in line
    assert fake.bot_token not in run.out + run.err
