"""`trunkbot check`, webhook mode: the bot's two webhooks point where `serve` expects
(``TRUNKBOT_WEBHOOK_URL``) and Webex still sends to them. Read only: nothing is changed."""

from __future__ import annotations

import httpx

from bot.check import CHECK_RETRY, Report, unreachable
from bot.errors import ConfigError, WebexError
from bot.settings import Settings
from bot.webex.http import WebexHttp
from bot.webex.webhooks import OURS, Webhook


def webhook_problems(found: list[Webhook], url: str) -> list[str]:
    """What is wrong with the bot's two webhooks for `serve` at ``url`` (none: [])."""
    by_name = {hook.name: hook for hook in found}
    problems = []
    for name, resource, event in OURS:
        hook = by_name.get(name)
        if hook is None or (hook.resource, hook.event) != (resource, event):
            problems.append(f"the {resource}/{event} webhook ({name!r}) is missing")
        elif hook.target_url != url:
            problems.append(f"{name!r} points at {hook.target_url}, not {url}")
        elif hook.status not in (None, "active"):
            problems.append(f"{name!r} is {hook.status} (Webex stopped sending to it)")
    return problems


async def check_webhooks(settings: Settings, report: Report) -> None:
    """Webhook mode: the bot's two webhooks point at TRUNKBOT_WEBHOOK_URL and are active."""
    from bot.app import USER_AGENT, static_token
    from bot.webex.webhooks import WebhooksClient

    url = settings.webhook_url
    if url is None or settings.bot_token is None:
        if settings.webhook_secret is not None and url is None:
            report.note(
                "TRUNKBOT_WEBHOOK_SECRET is set but not TRUNKBOT_WEBHOOK_URL: set it to the "
                "public URL of `trunkbot serve` to have its webhooks checked."
            )
        return
    client = httpx.AsyncClient(
        base_url=settings.api_url, headers={"User-Agent": USER_AGENT}, timeout=20.0
    )
    try:
        http = WebexHttp(client, token_provider=static_token(settings.bot_token))
        http.retry = CHECK_RETRY
        found = await WebhooksClient(http).all()
    except WebexError as exc:
        if exc.status is None:
            report.problem(unreachable(exc, settings.api_url, "bot's webhooks"))
            report.unreachable = True
        else:
            report.problem(f"The bot's webhooks couldn't be listed: {exc.user_message}")
        return
    except ConfigError as exc:
        report.problem(f"Bot token (TRUNKBOT_BOT_TOKEN): {exc.user_message}")
        return
    finally:
        await client.aclose()
    problems = webhook_problems(found, url)
    if not problems:
        report.ok(f"webhooks: messages and card actions point at {url}")
        return
    report.problem(
        "Webhooks: "
        + "; ".join(problems)
        + f". Run `trunkbot webhooks sync --url {url}` (it changes only the bot's two)."
    )
