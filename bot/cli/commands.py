"""The subcommands that aren't the bot itself: `webhooks`, `sandbox`, `audit`, and the
entry points of `run` and `serve`."""

from __future__ import annotations

import argparse
import sys

from bot.cli.errors import fail as _fail
from bot.cli.errors import listen_failure as _listen_failure
from bot.cli.parser import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE
from bot.network import cause
from bot.settings import Settings


async def run(settings: Settings, metrics_at: tuple[str, int] | None = None) -> int:
    from bot.runner import run_bot

    return await run_bot(settings, metrics_at)  # its start refuses a person's token as the bot's


async def serve(settings: Settings, host: str, port: int) -> int:
    from bot.transports.serve import require_secret, serve

    require_secret(settings)
    return await serve(settings, host, port)


async def webhooks(settings: Settings, args: argparse.Namespace) -> int:
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


def sandbox(args: argparse.Namespace) -> int:
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


def audit(settings: Settings, args: argparse.Namespace) -> int:
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
