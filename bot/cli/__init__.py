"""The `trunkbot` command. Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.

:mod:`bot.cli.parser` reads the command line, :mod:`bot.cli.commands` and
:mod:`bot.cli.shell` do the subcommands, :mod:`bot.cli.errors` turns a failure into its one
line; :func:`main` ties them together.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from bot import logs
from bot.cli.commands import audit as _audit
from bot.cli.commands import run as _run
from bot.cli.commands import sandbox as _sandbox
from bot.cli.commands import serve as _serve
from bot.cli.commands import webhooks as _webhooks
from bot.cli.errors import fail as _fail
from bot.cli.errors import websocket_failure as _websocket_failure
from bot.cli.parser import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, HINT, version
from bot.cli.parser import parser as _parser
from bot.cli.shell import run_shell, sample_policy
from bot.errors import BotError, ConfigError
from bot.events import SpaceKind
from bot.settings import database_driver_problem, load_settings

__all__ = [
    "EXIT_OK",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "_parser",
    "main",
    "run_shell",
    "sample_policy",
    "version",
]

log = logging.getLogger("bot.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        print(f"\n{HINT}", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        return _fail(exc.user_message, EXIT_USAGE)
    if args.command not in {"check", "sandbox"}:
        problem = database_driver_problem(settings.effective_database_url)
        if problem:
            return _fail(problem, EXIT_USAGE)
    level = settings.log_level
    interactive = args.command == "shell" and sys.stdin.isatty() and sys.stdout.isatty()
    if args.command == "shell" and not interactive and "TRUNKBOT_LOG_LEVEL" not in os.environ:
        level = "WARNING"  # piped, the transcript is stdout; stderr only when something is wrong
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
            return asyncio.run(
                run_shell(settings, args.email, SpaceKind(args.space), interactive=interactive)
            )
        if args.command == "sandbox":
            return _sandbox(args)
        if args.command == "run":
            try:
                metrics_at = (
                    None if args.metrics_port is None else (args.metrics_host, args.metrics_port)
                )
                return asyncio.run(_run(settings, metrics_at))
            except (OSError, ValueError) as exc:  # requests' errors are OSErrors
                failure = _websocket_failure(exc, settings)
                if failure is None:
                    raise
                return _fail(*failure)
        if args.command == "serve":
            return asyncio.run(_serve(settings, args.host, args.port))
        if args.command == "check":
            from bot.check import run_check

            return asyncio.run(run_check(settings))
        if args.command == "audit":
            return _audit(settings, args)
        if args.command == "webhooks":
            return asyncio.run(_webhooks(settings, args))
    except ConfigError as exc:
        return _fail(exc.user_message, EXIT_USAGE)
    except BotError as exc:
        return _fail(exc.user_message, EXIT_RUNTIME)
    except KeyboardInterrupt:
        return EXIT_OK
    return _fail(f"`{args.command}` is not available in this version yet.", EXIT_USAGE)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
