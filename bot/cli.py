"""The `trunkbot` command. Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from bot import logs
from bot.auth import Policy
from bot.errors import BotError, ConfigError
from bot.events import SpaceKind
from bot.settings import Settings, load_settings

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
DEFAULT_SHELL_PERSON = "you@example.com"

log = logging.getLogger("bot.cli")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trunkbot",
        description="Create Webex Calling trunks from a Webex chat space, safely.",
    )
    p.add_argument("--config", type=Path, help="a TOML settings file (also TRUNKBOT_CONFIG)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser("run", help="connect to Webex over the websocket and answer messages")
    serve = sub.add_parser(
        "serve",
        help="webhook mode, with /healthz, /readyz and /metrics",
        description=(
            "Answers Webex webhooks on POST /webhook, verified with TRUNKBOT_WEBHOOK_SECRET "
            "(X-Spark-Signature); also GET /healthz, /readyz and /metrics. Register two "
            "webhooks with the bot's token (resource messages and attachmentActions, event "
            "created, targetUrl your HTTPS proxy's /webhook, secret the same value); Trunkbot "
            "never registers them itself."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")

    shell = sub.add_parser(
        "shell",
        help="a local console: each line is a message to the bot",
        description=(
            "Each line on stdin is a message from EMAIL. `/as EMAIL` switches person, "
            "`/space direct|group` switches space, `/submit {json}` submits the last card. "
            "With no admin credentials it talks to the built-in sandbox."
        ),
    )
    shell.add_argument("--as", dest="email", default=DEFAULT_SHELL_PERSON, metavar="EMAIL")
    shell.add_argument("--space", choices=[k.value for k in SpaceKind], default="direct")

    sandbox = sub.add_parser("sandbox", help="serve the built-in sandbox Webex API on 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)

    sub.add_parser("check", help="check configuration and credentials; one line per problem")

    audit = sub.add_parser("audit", help="print the audit trail")
    audit.add_argument(
        "--since",
        metavar="ISO",
        help="only rows from this date or time on, e.g. 2026-11-01 or 2026-11-01T09:30 (UTC "
        "unless it carries an offset)",
    )
    audit.add_argument("--format", choices=["table", "csv", "json"], default="table")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"trunkbot: {exc.user_message}", file=sys.stderr)
        return EXIT_USAGE
    level = settings.log_level
    if args.command == "shell" and "TRUNKBOT_LOG_LEVEL" not in os.environ:
        level = "WARNING"  # the console is the transcript; logs only when something is wrong
    logs.configure(level, settings.log_format)
    for secret in (
        settings.bot_token,
        settings.admin_token,
        settings.service_app_client_secret,
        settings.service_app_refresh_token,
        settings.webhook_secret,
    ):
        if secret is not None:
            logs.SECRETS.add(secret.get_secret_value())
    try:
        if args.command == "shell":
            return asyncio.run(run_shell(settings, args.email, SpaceKind(args.space)))
        if args.command == "sandbox":
            from bot.sandbox.server import run_sandbox

            run_sandbox(port=args.port)
            return EXIT_OK
        if args.command == "run":
            from bot.runner import run_bot

            return asyncio.run(run_bot(settings))
        if args.command == "serve":
            from bot.transports.webhook import serve

            return asyncio.run(serve(settings, args.host, args.port))
        if args.command == "check":
            from bot.check import run_check

            return asyncio.run(run_check(settings))
        if args.command == "audit":
            from bot import replies
            from bot.audit_view import parse_since, print_audit

            try:
                since = None if args.since is None else parse_since(args.since)
            except ValueError:
                print(f"trunkbot: {replies.audit_bad_since(args.since)}", file=sys.stderr)
                return EXIT_USAGE
            return print_audit(settings.effective_database_url, since=since, fmt=args.format)
    except ConfigError as exc:
        print(f"trunkbot: {exc.user_message}", file=sys.stderr)
        return EXIT_USAGE
    except BotError as exc:
        print(f"trunkbot: {exc.user_message}", file=sys.stderr)
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        return EXIT_OK
    print(f"trunkbot: `{args.command}` is not available in this version yet.", file=sys.stderr)
    return EXIT_USAGE


def sample_policy() -> Policy:
    text = resources.files("bot").joinpath("sample-policy.toml").read_text(encoding="utf-8")
    return Policy.parse(text, source="the built-in sample policy")


async def run_shell(settings: Settings, email: str, space: SpaceKind) -> int:
    from bot.app import open_app
    from bot.transports.shell import Shell

    policy: Policy | None = None
    notes: list[str] = []
    transport = None
    if not settings.has_admin_credentials:
        from bot.sandbox.server import demo_settings_and_transport

        settings, transport = demo_settings_and_transport(settings)
        notes.append("No admin credentials are set, so I'm talking to the built-in sandbox.")
        if not settings.policy.exists():
            policy = sample_policy()
            notes.append(
                f"There is no {settings.policy}, so the built-in sample policy applies: "
                f"{DEFAULT_SHELL_PERSON} may create trunks anywhere."
            )
        if settings.database_url is None:  # a demo leaves nothing behind
            settings = settings.model_copy(update={"database_url": "sqlite:///:memory:"})
    app = await open_app(
        settings, policy=policy, admin_transport=transport, bot_names=("Trunkbot",)
    )
    try:
        # The shell's person belongs to the org the admin identity acts on.
        org = await app.services.target_org(None)
        shell = Shell(router=app.router, email=email, space_kind=space)
        if org:
            shell.org_id = org
        for note in notes:
            shell._note(note)
        if transport is not None:
            names = [loc.name for loc in await app.services.calling.list_locations()]
            shell._note("Calling locations here: " + ", ".join(names) + ".")
        shell._note(
            f"You are {email} in a {space.value} space. Try: "
            'create trunk name=test-1 location="London HQ"   (/quit to leave)'
        )
        await shell.repl()
    finally:
        await app.aclose()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
