"""The `trunkbot` command as a newcomer and an operator use it: shell, check, sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from webexfake.calling import DEMO_ADMIN_TOKEN, DEMO_READ_ONLY_TOKEN, SandboxState, serve
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex

ROOT = Path(__file__).resolve().parents[1]


def trunkbot(
    *args: str, stdin: str = "", cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRUNKBOT_")}
    clean.update(env)
    clean["TRUNKBOT_SECRETS_DIR"] = str(cwd / "no-secrets")
    clean.setdefault("XDG_STATE_HOME", str(cwd / "state"))  # the default store, under tmp
    return subprocess.run(  # noqa: S603  -- our own CLI, fixed arguments
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean,
        timeout=60,
        check=False,
    )


def test_shell_on_the_sandbox_creates_a_trunk(tmp_path: Path) -> None:
    """`trunkbot shell` with no credentials: the sandbox, the sample policy, a created trunk."""
    run = trunkbot(
        "shell",
        stdin='create trunk name=test-1 location="London HQ"\n/press Create\n'
        "/as mallory@evil.example\ncreate trunk name=x location=Madrid\n",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "built-in sandbox" in out
    assert '› create trunk name=test-1 location="London HQ"\n' in out  # piped lines echoed
    assert "‹ Creating registering trunk test-1 in London HQ…" in out
    assert "Create this trunk?" in out
    assert "Trunk test-1 created" in out
    assert "Password (shown only here)" in out
    assert "You're not allowed to create trunks." in out
    assert "Traceback" not in run.stderr


def test_shell_group_space_delivers_password_privately(tmp_path: Path) -> None:
    """In a group space the shell shows the 1:1 delivery marked as such."""
    run = trunkbot(
        "shell",
        "--space",
        "group",
        stdin="create trunk name=g-1 location=Madrid\n/press Create\n",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "‹ [in thread] Trunk g-1 created" in run.stdout
    assert "‹ [1:1 to you@example.com] Here's what to configure" in run.stdout


def test_shell_with_a_policy_file_uses_it(tmp_path: Path) -> None:
    """A policy.toml in the working directory replaces the sample policy, even in the sandbox."""
    (tmp_path / "policy.toml").write_text(
        '[[grant]]\npeople=["ann@example.com"]\nactions=["trunk.create"]\n'
        'locations=["*"]\norgs=["*"]\n'
    )
    run = trunkbot("shell", stdin="create trunk name=a location=Madrid\n", cwd=tmp_path)
    assert "You're not allowed to create trunks." in run.stdout


def test_shell_greeting_follows_the_real_policy(tmp_path: Path) -> None:
    """With a policy.toml the greeting says what it allows this person, never the sample's
    promise, and its suggestion is a command the policy lets them run."""
    (tmp_path / "policy.toml").write_text(
        '[[grant]]\npeople=["ann@example.com"]\nactions=["trunk.create"]\n'
        'locations=["Paris Office"]\norgs=["*"]\n'
    )
    stranger = trunkbot("shell", stdin="", cwd=tmp_path)
    assert stranger.returncode == 0, stranger.stderr
    greeting = stranger.stdout
    assert "may create trunks anywhere" not in greeting
    assert "sample policy" not in greeting
    assert "policy.toml gives you@example.com nothing, so the bot will refuse them." in greeting
    assert "People it names: ann@example.com (/as EMAIL)." in greeting
    assert "Try: help" in greeting
    ann = trunkbot("shell", "--as", "ann@example.com", stdin="", cwd=tmp_path)
    assert "policy.toml lets ann@example.com create trunks in Paris Office." in ann.stdout
    suggested = ann.stdout.split("· Try: ")[1].split("   (")[0]
    assert suggested == 'create trunk name=test-1 location="Paris Office"'
    tried = trunkbot("shell", "--as", "ann@example.com", stdin=suggested + "\n", cwd=tmp_path)
    assert "Create this trunk?" in tried.stdout
    assert "not allowed" not in tried.stdout


def test_piped_shell_reads_like_the_readme(tmp_path: Path) -> None:
    """Piped: each line echoed after the prompt, the bot's markdown as plain text, no
    internal IDs, and no log line in the transcript (logs go to stderr)."""
    run = trunkbot(
        "shell",
        stdin="create trunk name=par_1 location=Pa\n2\n/press Create\n/press Create\n"
        'create trunk\n/submit {"naem": "x"}\n/submit {"name": "f-1", "location": "Madrid"}\n'
        "/as mallory@evil.example\ncreate trunk name=x location=Madrid\n",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert '› create trunk name=par_1 location=Pa\n‹ "Pa" matches 2 calling locations' in out
    assert "› 2\n‹ Create this trunk?" in out
    assert "Trunk par_1 created" in out
    assert "has no buttons to press: it's finished." in out
    assert "That card has no input `naem` (did you mean `name`?)" in out
    assert '› /submit {"name": "f-1", "location": "Madrid"}\n' in out
    assert "Location: Madrid" in out
    for noise in ("**", "\\_", "shell-msg", "Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9O", "WARNING", "bot."):
        assert noise not in out, noise
    assert "Traceback" not in run.stderr


def test_shell_file_creates_trunks_from_a_csv(tmp_path: Path) -> None:
    """`/file PATH` sends `create trunks` with a CSV attached: two trunks, the summary, and
    the result file saved owner-only in the state directory (it carries the passwords)."""
    (tmp_path / "sites.csv").write_text('name,location\nblk-1,"London HQ"\nblk-2,Madrid\n')
    run = trunkbot(
        "shell", stdin="/file missing.csv\n/file sites.csv\n/press Create\n", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "› /file missing.csv\n· missing.csv doesn't exist" in out
    assert "Trunks to create: 2" in out
    assert "✅ Done: 2 created, 0 failed." in out
    saved = tmp_path / "state" / "trunkbot" / "shell-files" / "sites-result.csv"
    assert "📎 sites-result.csv (" in out
    assert str(saved) in out
    result = saved.read_text()
    assert '"blk-1","created"' in result
    assert '"blk-2","created"' in result
    assert "Traceback" not in run.stderr


def test_a_demo_session_leaves_a_trail_that_audit_reads(tmp_path: Path) -> None:
    """The shell on the sandbox keeps a demo database in the state directory; `trunkbot
    audit` in the same configuration reads it and says which one it read."""
    run = trunkbot(
        "shell", stdin="create trunk name=aud-1 location=Madrid\n/press Create\n", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    demo = tmp_path / "state" / "trunkbot" / "sandbox.db"
    assert f"Requests and the audit trail go to {demo}, the sandbox's own database" in run.stdout
    assert demo.exists()
    assert not (tmp_path / "state" / "trunkbot" / "trunkbot.db").exists()
    audit = trunkbot("audit", "--format", "csv", cwd=tmp_path)
    assert audit.returncode == 0, audit.stderr
    assert "aud-1" in audit.stdout
    assert "Reading the sandbox's trail" in audit.stderr


def test_shell_checks_webex_password_rules_before_the_summary(tmp_path: Path) -> None:
    """`hunter2` is too short for Webex: one sentence, before any summary card."""
    run = trunkbot(
        "shell", stdin="create trunk name=pw-1 location=Madrid password=hunter2\n", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert "‹ password is too short for Webex, which needs 8 to 64 characters" in run.stdout
    assert "Create this trunk?" not in run.stdout
    assert not [line for line in run.stdout.splitlines() if "‹" in line and "hunter2" in line]


def test_help_for_every_subcommand(tmp_path: Path) -> None:
    """Every subcommand answers --help."""
    for sub in ["run", "serve", "shell", "sandbox", "check", "audit"]:
        run = trunkbot(sub, "--help", cwd=tmp_path)
        assert run.returncode == 0
        assert "usage: trunkbot" in run.stdout


def test_usage_error_exits_2(tmp_path: Path) -> None:
    """An unknown subcommand is a usage error."""
    assert trunkbot("frobnicate", cwd=tmp_path).returncode == 2


@pytest.fixture
async def sandbox_url() -> AsyncIterator[str]:
    async with await serve(SandboxState.seeded()) as server:
        yield server.base_url


def _check(tmp_path: Path, url: str, token: str | None, policy: str | None) -> tuple[int, str]:
    env = {"TRUNKBOT_API_URL": url, "TRUNKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'tb.db'}"}
    if token:
        env["TRUNKBOT_ADMIN_TOKEN"] = token
    if policy is not None:
        (tmp_path / "policy.toml").write_text(policy)
    run = trunkbot("check", cwd=tmp_path, **env)
    return run.returncode, run.stdout + run.stderr


GOOD_POLICY = (
    '[[grant]]\npeople=["a@example.com"]\nactions=["trunk.create"]\nlocations=["*"]\norgs=["*"]\n'
)


async def test_check_passes_with_a_good_setup(tmp_path: Path, sandbox_url: str) -> None:
    """Policy parses, the token answers and has both scopes: exit 0."""
    code, out = await _in_thread(_check, tmp_path, sandbox_url, DEMO_ADMIN_TOKEN, GOOD_POLICY)
    assert code == 0, out
    assert "All checks passed." in out
    assert DEMO_ADMIN_TOKEN not in out


@pytest.mark.parametrize(
    ("token", "policy", "problem"),
    [
        (DEMO_ADMIN_TOKEN, None, "does not exist"),
        (DEMO_ADMIN_TOKEN, "[[grant]\n", "not valid TOML"),
        (DEMO_READ_ONLY_TOKEN, GOOD_POLICY, "lacks spark-admin:telephony_config_write"),
        ("not-a-valid-token-at-all", GOOD_POLICY, "didn't accept the admin token"),
        (None, GOOD_POLICY, "No admin credentials"),
        (
            DEMO_ADMIN_TOKEN,
            GOOD_POLICY.replace("orgs=", 'approval="required"\norgs='),
            'grant 1 (people = a@example.com): approval = "required" needs approvers_space',
        ),
        (
            DEMO_ADMIN_TOKEN,
            GOOD_POLICY.replace('locations=["*"]\n', ""),
            "grant 1 (people = a@example.com) must say `locations`",
        ),
    ],
    ids=[
        "no-policy",
        "broken-policy",
        "read-only-token",
        "bad-token",
        "no-token",
        "approval-without-approvers",
        "implicit-locations",
    ],
)
async def test_check_names_each_problem(
    tmp_path: Path, sandbox_url: str, token: str | None, policy: str | None, problem: str
) -> None:
    """Each problem is one line and a non-zero exit."""
    code, out = await _in_thread(_check, tmp_path, sandbox_url, token, policy)
    assert code != 0
    assert problem in out
    assert "Traceback" not in out
    if token:
        assert token not in out


async def _in_thread(fn, *args):  # type: ignore[no-untyped-def]
    import asyncio

    return await asyncio.to_thread(fn, *args)


def _shell_against(tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "policy.toml").write_text(
        '[[grant]]\npeople=["you@example.com"]\nactions=["trunk.create"]\n'
        'locations=["*"]\norgs=["*"]\n'
    )
    return trunkbot(
        "shell",
        stdin="create trunk name=real-1 location=Madrid\n/press Create\n",
        cwd=tmp_path,
        TRUNKBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'trunkbot.db'}",
        TRUNKBOT_API_URL=url,
        TRUNKBOT_ADMIN_TOKEN=DEMO_ADMIN_TOKEN,
    )


async def test_shell_with_credentials_calls_that_api(tmp_path: Path) -> None:
    """With TRUNKBOT_API_URL and an admin token the shell talks to that API, not the sandbox."""
    import asyncio

    state = SandboxState.seeded()
    async with await serve(state) as server:
        run = await asyncio.to_thread(_shell_against, tmp_path, server.base_url)
    assert run.returncode == 0, run.stderr
    assert "built-in sandbox" not in run.stdout
    assert "Trunk real-1 created" in run.stdout
    assert (tmp_path / "trunkbot.db").exists()
    assert state.trunk_by_name("real-1") is not None


@pytest.mark.parametrize("whose", ["bot", "person", "nobody"])
async def test_check_the_bot_token(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
    whose: str,
) -> None:
    """`trunkbot check` says whether the bot token answers and really belongs to a bot."""
    import asyncio

    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    token = {
        "bot": fake.bot_token,
        "person": fake.issue_token(fake.add_person("pat@example.com", "Pat")),
        "nobody": "not-a-token-at-all",
    }[whose]
    (tmp_path / "policy.toml").write_text(GOOD_POLICY)
    run = await asyncio.to_thread(
        trunkbot,
        "check",
        cwd=tmp_path,
        TRUNKBOT_API_URL=fake.api_url,
        TRUNKBOT_BOT_TOKEN=token,
        TRUNKBOT_ADMIN_TOKEN=DEMO_ADMIN_TOKEN,
        TRUNKBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'tb.db'}",
        SSL_CERT_FILE=os.environ["SSL_CERT_FILE"],
    )
    out = run.stdout + run.stderr
    if whose == "bot":
        assert run.returncode == 0, out
        assert "ok       bot token answers (as Trunkbot)" in out
        assert "ok       database (sqlite): " in out
        assert "will be created at the first start" in out
        assert not (tmp_path / "tb.db").exists(), "a check creates nothing"
    elif whose == "person":
        assert run.returncode == 2, out
        assert "problem  TRUNKBOT_BOT_TOKEN belongs to pat@example.com, a person, not a bot" in out
    else:
        assert run.returncode == 2, out
        assert "problem  Webex didn't accept the bot token (TRUNKBOT_BOT_TOKEN)" in out
        assert "admin" not in out.split("bot token (TRUNKBOT_BOT_TOKEN)")[1].split("\n")[0]
    assert token not in out


def test_make_run_without_a_bot_token_opens_the_sandbox_shell(tmp_path: Path) -> None:
    """`make run` with no bot token: the shell on the built-in sandbox, ready to try."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUNKBOT_", "MAKE"))}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")  # the demo database, under tmp
    run = subprocess.run(
        ["make", "-s", "run"],  # noqa: S607  -- make from PATH, as a newcomer runs it
        input="create trunk name=mk-1 location=Madrid\n/press Create\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "built-in sandbox" in run.stdout
    assert "Trunk mk-1 created" in run.stdout


def test_shell_on_a_terminal_edits_recalls_and_keeps_logs_off_the_screen(tmp_path: Path) -> None:
    """In a pseudo-terminal: prompt-toolkit's prompt, ↑ recalls the last line (arrow keys
    never reach the bot), the logs go to shell.log in the state directory, Ctrl-D leaves."""
    import pty
    import select
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUNKBOT_")}
    env |= {
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TRUNKBOT_SECRETS_DIR": str(tmp_path / "no-secrets"),
        "TRUNKBOT_LOG_LEVEL": "INFO",
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "shell"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=tmp_path,
        env=env,
        close_fds=True,
    )
    os.close(terminal)
    seen = b""

    def read_until(marker: bytes, start: int = 0, timeout: float = 30) -> int:
        """Read until ``marker`` shows after ``start``; where it ends."""
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen[start:] and time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(controller, 65536)
                except OSError:
                    break
        assert marker in seen[start:], seen.decode(errors="replace")[-2000:]
        return seen.index(marker, start) + len(marker)

    prompt = "›".encode()
    try:
        at = read_until(prompt)
        os.write(controller, b"list trunks\r")
        at = read_until(prompt, read_until(b"London-LGW-1", at))  # type only at the prompt
        os.write(controller, b"\x1b[A\r")  # ↑: the same command again
        again = read_until(b"London-LGW-1", at)
        at = read_until(prompt, again)
        # A bulk job's lines arrive while the prompt waits: printed above it, prompt redrawn.
        (tmp_path / "sites.csv").write_text("name,location\npty-1,Madrid\n")
        os.write(controller, b"/file sites.csv\r")
        at = read_until(prompt, read_until(b"Trunks to create: 1", at))
        os.write(controller, b"/press Create\r")
        read_until(prompt, read_until("✅ Done: 1 created".encode(), at))
        os.write(controller, b"\x04")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    assert b"[A" not in seen[at:again]  # the arrow key recalled the line, wasn't typed
    state = tmp_path / "state" / "trunkbot"
    assert "list trunks" in (state / "shell_history").read_text()
    log = (state / "shell.log").read_text()
    assert "command.received" in log
    assert b"command.received" not in seen
