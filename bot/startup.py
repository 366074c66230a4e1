"""Starting `trunkbot run` or `trunkbot serve`: check the bot token (a bot's), the admin
credentials and the policy, and open the app; a ConfigError names the first problem."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import httpx

from bot.app import USER_AGENT, App, open_app, static_token
from bot.auth import Policy
from bot.errors import BotError, ConfigError, WebexAuthError, WebexError
from bot.inbound import BotIdentity
from bot.settings import Settings
from bot.single import hold_sqlite
from bot.webex.http import WebexHttp
from bot.webex.keepalive import KeepAliveTransport
from bot.webex.messaging import MessagingClient, Person


def not_a_bot(me: Person) -> str:
    """The sentence for a bot token that is really a person's (it would act as them)."""
    return (
        f"TRUNKBOT_BOT_TOKEN belongs to {me.email or me.display_name}, a {me.type}, not a "
        "bot: create a bot at developer.webex.com and use its token."
    )


def _hold_the_database(settings: Settings) -> list[IO[bytes]]:
    """A SQLite file serves one bot process: take its lock (none for PostgreSQL)."""
    from bot.store import sqlite_path

    url = settings.effective_database_url
    if not url.startswith("sqlite:"):
        return []
    path = sqlite_path(url)
    if path == ":memory:":
        return []
    return [hold_sqlite(Path(path))]


async def prepare(settings: Settings) -> tuple[App, MessagingClient, BotIdentity]:
    """Check the bot token, admin credentials and policy; ConfigError names the first problem."""
    if settings.bot_token is None:
        raise ConfigError("No bot token: set TRUNKBOT_BOT_TOKEN (see the README).")
    if not settings.has_admin_credentials:
        raise ConfigError("No admin credentials: set TRUNKBOT_ADMIN_TOKEN or the service app.")
    policy = Policy.load(settings.policy)
    if policy.problem:
        raise ConfigError(policy.problem)
    # One set of keep-alive connections for both identities: the bot's and the admin's
    # requests go to the same Webex, so a connection one opened serves the other.
    wire = KeepAliveTransport()
    bot_client = httpx.AsyncClient(
        base_url=settings.api_url,
        transport=wire,
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(20.0, connect=10.0),
    )
    messaging = MessagingClient(
        WebexHttp(bot_client, token_provider=static_token(settings.bot_token))
    )
    try:
        me = await messaging.me()
    except WebexAuthError:
        await bot_client.aclose()
        raise ConfigError("Webex refused the bot token (TRUNKBOT_BOT_TOKEN).") from None
    except WebexError as exc:
        await bot_client.aclose()
        # Not a configuration problem (Webex unreachable, 5xx): exit 1 so a supervisor retries.
        raise BotError(f"Couldn't check the bot token: {exc.user_message}") from None
    if me.type != "bot":
        # A person's token would act as them, and see every space they are in.
        await bot_client.aclose()
        raise ConfigError(not_a_bot(me))
    try:
        held = _hold_the_database(settings)
    except ConfigError:
        await bot_client.aclose()
        raise
    try:
        app = await open_app(
            settings,
            policy=policy,
            bot_names=(me.display_name,),
            membership=messaging.is_member,
            admin_transport=wire,
        )
    except BotError:  # e.g. incomplete service app settings, a database that doesn't answer
        await bot_client.aclose()
        for handle in held:
            handle.close()
        raise
    app.held += held
    app.clients.append(bot_client)
    try:
        org = await app.services.check_admin()
    except ConfigError:  # a service app refresh refused: its sentence says what to fix
        await app.aclose()
        raise
    except WebexAuthError:
        await app.aclose()
        raise ConfigError("Webex refused the admin credentials.") from None
    except WebexError as exc:
        await app.aclose()
        raise BotError(f"Couldn't check the admin credentials: {exc.user_message}") from None
    # The org's locations are read while the websocket (or the webhook server) comes up, so
    # the first creates find them (and the token's org) cached instead of waiting for them.
    app.services.calling.warm_locations(org)
    return app, messaging, BotIdentity(me.id, me.display_name, tuple(me.emails))
