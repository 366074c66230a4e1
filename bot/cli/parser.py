"""The `trunkbot` command line: its parser (subcommands, options, their --help) and the
argument types that make a bad value one line naming the problem."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from bot.events import SpaceKind

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
DEFAULT_SHELL_PERSON = "you@example.com"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem and where help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message}. See `{self.prog} --help`.\n")


def version() -> str:
    try:
        return metadata.version("trunkbot")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


def _port(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a port number") from None
        if not low <= value <= 65535:
            raise argparse.ArgumentTypeError(f"{value} is not a port number ({low}-65535)")
        return value

    return parse


def _fraction_or_seconds(what: str, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:20]!r} is not {what}") from None
        if not 0 <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not {what} from 0 to {high:g}")
        return value

    return parse


def _positive(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number of rows (1 or more)")
    return int(text)


HINT = (
    "trunkbot: give a command. New here? `trunkbot shell` tries the bot on the built-in "
    "sandbox, no Webex account needed."
)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="trunkbot",
        description="Create Webex Calling trunks from a Webex chat space, safely.",
        epilog=(
            "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error. "
            "`trunkbot COMMAND --help` describes each command."
        ),
    )
    p.add_argument("-V", "--version", action="version", version=f"trunkbot {version()}")
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="a TOML settings file (also TRUNKBOT_CONFIG)"
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    run = sub.add_parser(
        "run",
        help="connect to Webex over the websocket and answer messages",
        description=(
            "Connects to Webex over a websocket (no public address or inbound port needed) and "
            "answers in the spaces the bot is in. Needs TRUNKBOT_BOT_TOKEN and admin "
            "credentials; checks them and the policy first, and exits 2 with one line if one "
            "is wrong. SIGTERM finishes the commands in flight, then exits 0. Replicas on "
            "PostgreSQL: one holds the websocket (active), the others wait (standby) and take "
            "over within seconds when it stops."
        ),
    )
    run.add_argument(
        "--metrics-port",
        type=_port(0),
        metavar="PORT",
        help="serve GET /healthz, /readyz and /metrics on this port (off unless given)",
    )
    run.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address for --metrics-port (127.0.0.1; 0.0.0.0 in a container)",
    )
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
    serve.add_argument(
        "--port",
        type=_port(0),
        default=8080,
        metavar="PORT",
        help="port to listen on (8080; 0 picks a free one)",
    )

    shell = sub.add_parser(
        "shell",
        help="a local console: each line is a message to the bot",
        description=(
            "Each line on stdin is a message from EMAIL. `/as EMAIL` switches person, "
            "`/space direct|group` switches space, `/press BUTTON` presses a button of the "
            "last card, `/submit {json}` submits the last card, `/quit` leaves. On a terminal: "
            "line editing, history and Tab completion; piped, each line is echoed. With no "
            "admin credentials it talks to the built-in sandbox and keeps its records in "
            "sandbox.db in the state directory."
        ),
    )
    shell.add_argument(
        "--as",
        dest="email",
        default=DEFAULT_SHELL_PERSON,
        metavar="EMAIL",
        help=f"the person you are ({DEFAULT_SHELL_PERSON})",
    )
    shell.add_argument(
        "--space",
        choices=[k.value for k in SpaceKind],
        default="direct",
        help="a 1:1 (direct, the default) or a group space",
    )

    sandbox = sub.add_parser(
        "sandbox",
        help="serve a fake Webex on 127.0.0.1 (calling API and the bot's side) to try the bot",
        description=(
            "Serves the built-in sandbox, a local fake of Webex with a demo org, on "
            "https://127.0.0.1:PORT until Ctrl-C or SIGTERM: the calling API, and the bot's side "
            "(service catalog, device registration, websocket, messages, people). It prints the "
            "export lines that point `trunkbot run` (or check, shell) at it. `trunkbot sandbox "
            "say --as EMAIL TEXT` talks to the running bot as that person. Development only: "
            "it is not in the container image."
        ),
    )
    sandbox.add_argument(
        "--port",
        type=_port(0),
        default=8765,
        metavar="PORT",
        help="port to listen on (8765; 0 picks a free one)",
    )
    sandbox.add_argument(
        "--latency",
        type=_fraction_or_seconds("seconds", 60.0),
        default=0.0,
        metavar="SECONDS",
        help="delay every Webex request by this long (0)",
    )
    sandbox.add_argument(
        "--fail-rate",
        type=_fraction_or_seconds("a fraction", 1.0),
        default=0.0,
        metavar="FRACTION",
        help="answer this fraction of REST calls with 503, e.g. 0.1 (0)",
    )
    sandbox_sub = sandbox.add_subparsers(
        dest="sandbox_command",
        metavar="say",
        help="`say --as EMAIL TEXT`: talk to the bot running against the sandbox",
    )
    say = sandbox_sub.add_parser(
        "say",
        help="say something to the bot through a running sandbox, as a person",
        description=(
            "Posts TEXT as EMAIL (a person of the sandbox's org, created on first use) to the "
            "bot running against `trunkbot sandbox`, and prints the bot's replies."
        ),
    )
    say.add_argument("--as", dest="email", required=True, metavar="EMAIL", help="who speaks")
    say.add_argument(
        "--port", type=_port(1), default=8765, metavar="PORT", help="the sandbox's port (8765)"
    )
    say.add_argument(
        "--space",
        choices=[k.value for k in SpaceKind],
        default="direct",
        help="the person's 1:1 space with the bot (direct) or the sandbox's group space",
    )
    say.add_argument(
        "--wait",
        type=_fraction_or_seconds("seconds", 60.0),
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the bot's answer (10)",
    )
    say.add_argument("text", nargs="+", metavar="TEXT", help="what to say, e.g. help")

    sub.add_parser(
        "check",
        help="check configuration and credentials; one line per problem",
        description=(
            "Checks, without changing anything in Webex or on disk: the policy file parses, "
            "the bot token answers and is a bot's, the admin credentials answer with the "
            "read and write scopes, the bot's webhooks point at TRUNKBOT_WEBHOOK_URL (when set), "
            "and the database opens. One line per problem. Exit 0 when "
            "all pass, 1 when Webex can't be reached, 2 for a configuration problem."
        ),
    )

    webhooks = sub.add_parser(
        "webhooks",
        help="the bot's own webhooks, for webhook mode: sync or list",
        description=(
            "Webhook mode (`trunkbot serve`) needs two webhooks on the bot: messages and card "
            "actions, both pointing at the public URL of serve with TRUNKBOT_WEBHOOK_SECRET. "
            "`sync --url` creates or updates exactly those two (by name, as often as you like); "
            "it never changes or deletes any other webhook. `list` shows the bot's webhooks."
        ),
    )
    hooks_sub = webhooks.add_subparsers(
        dest="webhooks_command", metavar="ACTION", help="sync or list"
    )
    sync = hooks_sub.add_parser(
        "sync", help="create or update the bot's two webhooks to point at --url"
    )
    sync.add_argument(
        "--url",
        metavar="URL",
        help="the public https:// URL where `trunkbot serve` receives them, e.g. "
        "https://bot.example.com/webhook (default: TRUNKBOT_WEBHOOK_URL)",
    )
    hooks_sub.add_parser("list", help="the bot's webhooks: name, resource, event, URL, status")

    audit = sub.add_parser(
        "audit",
        help="print the audit trail",
        description=(
            "Prints the audit trail, oldest first. The filters are the chat's `audit last N "
            "person=… location=…`. The table fits a terminal; CSV and JSON have every field."
        ),
    )
    audit.add_argument(
        "--since",
        metavar="ISO",
        help="only rows from this date or time on, e.g. 2026-11-01 or 2026-11-01T09:30 (UTC "
        "unless it carries an offset)",
    )
    audit.add_argument(
        "--last", type=_positive, metavar="N", help="only the newest N rows (printed oldest first)"
    )
    audit.add_argument(
        "--person", metavar="EMAIL_OR_ID", help="only this person's rows (an email or person ID)"
    )
    audit.add_argument(
        "--location",
        metavar="NAME_OR_ID",
        help="only rows in this location (its full name, any case, or its ID)",
    )
    audit.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="table (default, for people), csv or json (every field, for tools)",
    )
    return p
