"""`trunkbot sandbox` serves the bot's side too: `trunkbot run` works offline against it.

Real processes, as a person would run them: the sandbox on a free port prints its export lines;
`trunkbot run` starts with exactly those (and a policy); `trunkbot sandbox say` says `help` as
a person and prints the bot's answer; SIGTERM stops both with exit code 0.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from webexfake.calling import DEMO_ADMIN_TOKEN

TRUNKBOT = str(Path(sys.executable).with_name("trunkbot"))
POLICY = """\
[[grant]]
people = ["you@example.com"]
actions = ["trunk.create", "trunk.read"]
locations = ["*"]
orgs = ["*"]
"""
EXPORTS = (
    "TRUNKBOT_API_URL",
    "TRUNKBOT_U2C_URL",
    "SSL_CERT_FILE",
    "TRUNKBOT_BOT_TOKEN",
    "TRUNKBOT_ADMIN_TOKEN",
)


def spawn(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([TRUNKBOT, *args], text=True, **kwargs)  # noqa: S603 - our CLI


def call(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("timeout", 60)
    return subprocess.run(  # noqa: S603 - our own CLI
        [TRUNKBOT, *args], capture_output=True, text=True, check=False, **kwargs
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUNKBOT_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), PYTHONUNBUFFERED="1")
    return env


def read_exports(sandbox: subprocess.Popen[str], seconds: float = 20.0) -> dict[str, str]:
    """The ``export KEY=VALUE`` lines the sandbox prints at start."""
    assert sandbox.stdout is not None
    exports: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    while set(EXPORTS) - set(exports):
        assert time.monotonic() < deadline, f"no export lines yet: {exports}"
        line = sandbox.stdout.readline()
        assert line, f"the sandbox ended: {sandbox.wait()}"
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").strip().partition("=")
            exports[key] = value
    return exports


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_run_against_the_sandbox_answers_help(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(tmp_path)
    sandbox = spawn(
        *("sandbox", "--port", str(port), "--latency", "0.01"),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    run: subprocess.Popen[str] | None = None
    try:
        exports = read_exports(sandbox)
        assert exports["TRUNKBOT_API_URL"] == f"https://127.0.0.1:{port}/v1"
        assert exports["TRUNKBOT_U2C_URL"] == f"https://127.0.0.1:{port}/u2c/api/v1/catalog"
        assert Path(exports["SSL_CERT_FILE"]).read_text().startswith("-----BEGIN CERTIFICATE")
        assert exports["TRUNKBOT_ADMIN_TOKEN"] == DEMO_ADMIN_TOKEN

        (tmp_path / "policy.toml").write_text(POLICY)
        run = spawn(
            "run",
            cwd=tmp_path,
            env={**env, **exports, "TRUNKBOT_DATABASE_URL": f"sqlite:///{tmp_path}/bot.db"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        answer = ""
        deadline = time.monotonic() + 60
        while "create trunk" not in answer:  # the bot may still be connecting
            assert run.poll() is None, f"trunkbot run ended: {run.communicate()[0][-2000:]}"
            assert time.monotonic() < deadline, f"no answer to help: {answer!r}"
            said = call(
                *("sandbox", "say", "--port", str(port), "--as", "you@example.com"),
                *("--wait", "5", "help"),
                cwd=tmp_path,
                env=env,
            )
            assert said.returncode == 0, said.stderr
            answer = said.stdout
        assert "what you can do" in answer.lower()

        assert stop(run) == 0
        run_output = run.communicate()[0]
        assert "Traceback" not in run_output
    finally:
        if run is not None and run.poll() is None:
            run.kill()
        code = stop(sandbox)
    assert code == 0
    assert "Traceback" not in sandbox.communicate()[1]
    assert not Path(exports["SSL_CERT_FILE"]).exists()  # the throw-away CA went with it


def test_say_without_a_sandbox_is_one_line(tmp_path: Path) -> None:
    said = call(
        *("sandbox", "say", "--port", str(free_port()), "--as", "you@example.com", "hi"),
        cwd=tmp_path,
        env=clean_env(tmp_path),
    )
    assert said.returncode == 1
    [line] = said.stderr.strip().splitlines()
    assert line.startswith("trunkbot: no sandbox answers on 127.0.0.1:")
    assert "start `trunkbot sandbox` and `trunkbot run` first" in line


@pytest.mark.parametrize(
    ("flag", "value", "problem"),
    [("--fail-rate", "1.5", "1.5 is not a fraction from 0 to 1"), ("--latency", "x", "'x'")],
)
def test_fault_flags_are_checked(tmp_path: Path, flag: str, value: str, problem: str) -> None:
    run = call("sandbox", flag, value, cwd=tmp_path, env=clean_env(tmp_path))
    assert run.returncode == 2
    assert problem in run.stderr
