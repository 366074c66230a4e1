"""`trunkbot shell`: the bot in a local console (the sandbox without admin credentials)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from importlib import resources
from pathlib import Path

from bot.auth import Policy
from bot.cli.parser import EXIT_OK
from bot.errors import BotError
from bot.events import SpaceKind
from bot.settings import Settings


def sample_policy() -> Policy:
    text = resources.files("bot").joinpath("sample-policy.toml").read_text(encoding="utf-8")
    return Policy.parse(text, source="the built-in sample policy")


async def run_shell(
    settings: Settings, email: str, space: SpaceKind, *, interactive: bool = False
) -> int:
    """The shell: the sandbox without admin credentials; a prompt-toolkit prompt when
    ``interactive`` (a terminal), else plain lines, each echoed after the prompt."""
    from bot.app import open_app
    from bot.transports import shell_intro as intro
    from bot.transports.shell import Shell, piped_reader
    from bot.transports.shell_jobs import keep_house
    from bot.transports.shell_terminal import ShellCompleter, TerminalReader

    policy: Policy | None = None
    notes: list[str] = []
    transport = None
    sandbox_db = intro.uses_sandbox_database(settings)
    if not settings.has_admin_credentials:
        from webexfake.calling.server import demo_settings_and_transport

        settings, transport = demo_settings_and_transport(settings)
        notes.append("No admin credentials are set, so I'm talking to the built-in sandbox.")
        if not settings.policy.exists():
            policy = sample_policy()
            notes.append(f"There is no {settings.policy}, so the built-in sample policy applies.")
    url = intro.sandbox_database_url() if sandbox_db else settings.effective_database_url
    settings = settings.model_copy(update={"database_url": url})
    log_file = _shell_logs_to_file(settings) if interactive else None
    app = await open_app(
        settings, policy=policy, admin_transport=transport, bot_names=("Trunkbot",)
    )
    house: asyncio.Task[None] | None = None
    try:
        # The shell's person belongs to the org the admin identity acts on.
        org = await app.services.target_org(None)
        shell = Shell(
            router=app.router,
            email=email,
            space_kind=space,
            bold=interactive and "NO_COLOR" not in os.environ,
        )
        if org:
            shell.org_id = org
        shell.outbox.save_dir = intro.state_file(intro.SHELL_FILES)
        gate_policy = app.services.gate.policy

        async def describe(_email: str) -> str:
            return await intro.what_they_may_do(gate_policy, shell.actor, shell.space)

        shell.describe_person = describe
        locations: list[str] = []
        try:
            locations = [loc.name for loc in await app.services.calling.list_locations()]
        except BotError as exc:
            notes.append(f"I couldn't list the calling locations: {exc.user_message}")
        if locations:
            notes.append("Calling locations here: " + ", ".join(locations) + ".")
        notes.append(intro.database_note(settings, url, sandbox=sandbox_db))
        if log_file is not None:
            notes.append(f"Logs go to {log_file}.")
        may = await describe(email)
        notes.append(f"You are {email} in a {space.value} space: {may}")
        try_it = await intro.suggestion(gate_policy, shell.actor, shell.space, locations)
        keys = "Tab completes, ↑ recalls; " if interactive else ""
        notes.append(f"Try: {try_it}   ({keys}/quit to leave)")
        for note in notes:
            shell.note(note)
        # A bulk create a previous shell left is carried on, expired approvals end, new
        # trunks' gateways are watched: the features' jobs, as under trunkbot run.
        house = asyncio.create_task(keep_house(app.jobs, shell.outbox))
        if interactive:
            router = app.router
            completer = ShellCompleter(
                commands=lambda: [c.name for c in router.all_commands if c.words],
                locations=lambda: locations,
                buttons=shell.button_titles,
                answers=shell.pending_answers,
                people=lambda: intro.people_named(gate_policy),
            )
            reader = TerminalReader(completer, history_file=intro.state_file(intro.SHELL_HISTORY))
            await shell.repl(reader)
        else:
            await shell.repl(piped_reader(sys.stdin), echo=True)
        # A bulk create still running finishes (and shows its summary) before the shell ends.
        from commands.bulk.run import wait_all

        await wait_all()
    finally:
        if house is not None:
            house.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await house
        await app.aclose()
    return EXIT_OK


def _shell_logs_to_file(settings: Settings) -> Path | None:
    """On a terminal the screen is the conversation: logs go to shell.log in the state
    directory (owner-only), at the configured level. None (logs stay on stderr, WARNING
    and up) when that file can't be opened."""
    from bot.transports import shell_intro as intro

    path = intro.state_file(intro.SHELL_LOG)
    root = logging.getLogger()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(  # noqa: SIM115 -- the log's stream lives as long as the process
            os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a", encoding="utf-8"
        )
    except OSError:
        root.setLevel(logging.WARNING)
        return None
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    root.setLevel(settings.log_level)
    return path
