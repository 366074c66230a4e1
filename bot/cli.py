"""The `trunkbot` command. Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib import metadata, resources
from pathlib import Path
from typing import NoReturn

from bot import logs
from bot.auth import Policy
from bot.errors import BotError, ConfigError
from bot.events import SpaceKind
from bot.network import cause, host_of
from bot.settings import Settings, database_driver_problem, load_settings

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
DEFAULT_SHELL_PERSON = "you@example.com"

log = logging.getLogger("bot.cli")


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


def _parser() -> argparse.ArgumentParser:
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


def _fail(message: str, code: int) -> int:
    print(f"trunkbot: {message}", file=sys.stderr)
    return code


def _listen_failure(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use; pick another with --port."
    if exc.errno == errno.EACCES:
        return f"port {port} on {host} needs privileges; pick one above 1023 with --port."
    reason = exc.strerror or "it can't be opened"
    return f"can't listen on {host}:{port} ({reason}); pick another port with --port."


def _websocket_failure(exc: BaseException, settings: Settings) -> tuple[str, int] | None:
    """One line for webex-bot failing to reach Webex at start (the service catalog, device
    registration), or None for an error that is not that."""
    import requests

    if isinstance(exc, PermissionError) and exc.errno is None:
        # Our websocket client's own sentence: the catalog refused the bot token (401).
        return str(exc), EXIT_USAGE
    if not isinstance(exc, requests.RequestException):
        return None
    url = exc.request.url if exc.request is not None and exc.request.url else settings.u2c_url
    host = host_of(str(url))
    is_catalog = host == host_of(settings.u2c_url)
    where = "the Webex service catalog (U2C)" if is_catalog else "Webex's device service"
    fix = "TRUNKBOT_U2C_URL" if is_catalog else "the network"
    response = exc.response
    if response is not None:
        return (
            f"{where} at {host} answered HTTP {response.status_code}; check {fix}, or try "
            "again in a few minutes.",
            EXIT_RUNTIME,
        )
    return (
        f"couldn't reach {where} at {host}: {cause(exc)}. Check the network, a proxy "
        f"(HTTPS_PROXY) or {fix}.",
        EXIT_RUNTIME,
    )


async def _run(settings: Settings, metrics_at: tuple[str, int] | None = None) -> int:
    from bot.runner import run_bot

    return await run_bot(settings, metrics_at)  # its start refuses a person's token as the bot's


async def _serve(settings: Settings, host: str, port: int) -> int:
    from bot.transports.webhook import require_secret, serve

    require_secret(settings)
    return await serve(settings, host, port)


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


async def _webhooks(settings: Settings, args: argparse.Namespace) -> int:
    """`trunkbot webhooks sync --url …` / `list`, with the bot's token."""
    import httpx

    from bot.app import USER_AGENT, static_token
    from bot.webex.http import WebexHttp
    from bot.webex.webhooks import OURS, WebhooksClient

    if args.webhooks_command is None:
        return _fail("Say `trunkbot webhooks sync --url https://…` or `trunkbot webhooks list`.", 2)
    if settings.bot_token is None:
        return _fail("No bot token: set TRUNKBOT_BOT_TOKEN (the webhooks are the bot's).", 2)
    if args.webhooks_command == "sync":
        args.url = args.url or settings.webhook_url
        if args.url is None:
            return _fail(
                "Say where `trunkbot serve` receives webhooks: --url https://… (or set "
                "TRUNKBOT_WEBHOOK_URL).",
                2,
            )
        if not args.url.startswith("https://"):
            return _fail(f"--url must be an https:// URL (Webex posts to it): {args.url}", 2)
        if settings.webhook_secret is None:
            return _fail(
                "No webhook secret: set TRUNKBOT_WEBHOOK_SECRET first (serve checks it).", 2
            )
    async with httpx.AsyncClient(
        base_url=settings.api_url,
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(20.0, connect=10.0),
    ) as client:
        hooks = WebhooksClient(WebexHttp(client, token_provider=static_token(settings.bot_token)))
        if args.webhooks_command == "sync":
            assert settings.webhook_secret is not None  # noqa: S101  -- checked above
            for done in await hooks.sync(args.url, settings.webhook_secret):
                print(
                    f"{done.action:8} {done.name}: {done.webhook.resource}/{done.webhook.event}"
                    f" → {done.webhook.target_url}"
                )
            return EXIT_OK
        ours = {name for name, _, _ in OURS}
        found = await hooks.all()
        if not found:
            print("The bot has no webhooks (webhook mode needs `trunkbot webhooks sync --url …`).")
        for hook in found:
            mark = "ours" if hook.name in ours else "    "
            print(
                f"{mark} {hook.name}: {hook.resource}/{hook.event} → {hook.target_url} "
                f"({hook.status or 'status unknown'})"
            )
        return EXIT_OK


def _sandbox(args: argparse.Namespace) -> int:
    """The fake Webex lives outside the product (webexfake, not in the image): imported here."""
    try:
        from webexfake import sandbox
    except ImportError as exc:
        return _fail(
            f"the sandbox isn't installed here ({exc.name} is missing): it's a development tool; "
            "in a checkout, `pip install -e '.[sandbox]'`.",
            EXIT_USAGE,
        )
    if args.sandbox_command == "say":
        try:
            replies = sandbox.say(
                args.port, args.email, " ".join(args.text), space=args.space, wait=args.wait
            )
        except OSError as exc:
            return _fail(
                f"no sandbox answers on 127.0.0.1:{args.port} ({cause(exc)}); start "
                "`trunkbot sandbox` and `trunkbot run` first.",
                EXIT_RUNTIME,
            )
        for reply in replies or ["(no answer from the bot yet: is `trunkbot run` running?)"]:
            print(reply, flush=True)
        return EXIT_OK
    try:
        sandbox.run_sandbox(
            args.port, faults=sandbox.Faults(latency=args.latency, fail_rate=args.fail_rate)
        )
    except OSError as exc:
        return _fail(_listen_failure(exc, "127.0.0.1", args.port), EXIT_RUNTIME)
    return EXIT_OK


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    from bot import replies
    from bot.audit_table import Query, print_trail
    from bot.audit_view import parse_since

    try:
        since = None if args.since is None else parse_since(args.since)
    except ValueError:
        return _fail(replies.audit_bad_since(args.since), EXIT_USAGE)
    query = Query(
        since=since,
        last=args.last,
        person=(args.person or "").strip() or None,
        location=(args.location or "").strip() or None,
    )
    from bot.transports import shell_intro

    note = shell_intro.audit_note(settings)
    if note is not None:  # the shell on the sandbox keeps its own, made-up trail
        print(note, file=sys.stderr)
        return print_trail(shell_intro.sandbox_database_url(), query, fmt=args.format)
    return print_trail(settings.effective_database_url, query, fmt=args.format)


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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
