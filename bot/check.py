"""`trunkbot check`: configuration and credentials, one clear line per problem.

It changes nothing in Webex: the write scope is proven with generatePassword, which only
suggests a password and stores nothing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

import httpx

from bot.app import admin_client, admin_http
from bot.auth import Policy
from bot.errors import BotError, ConfigError, WebexError, WebexForbidden
from bot.settings import Settings
from bot.webex.calling import CallingClient
from bot.webex.http import WebexHttp

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2


@dataclass
class Report:
    out: TextIO
    problems: list[str] = field(default_factory=list)
    unreachable: bool = False

    def ok(self, line: str) -> None:
        self.out.write(f"ok       {line}\n")

    def note(self, line: str) -> None:
        self.out.write(f"note     {line}\n")

    def problem(self, line: str) -> None:
        self.problems.append(line)
        self.out.write(f"problem  {line}\n")


def check_policy(settings: Settings, report: Report) -> None:
    policy = Policy.load(settings.policy)
    if policy.problem:
        report.problem(policy.problem)
    else:
        report.ok(f"policy {settings.policy}: {len(policy.grants)} grant(s)")


async def check_admin(settings: Settings, report: Report) -> None:
    service_app = (
        settings.service_app_client_id,
        settings.service_app_client_secret,
        settings.service_app_refresh_token,
    )
    if settings.admin_token is None and all(value is None for value in service_app):
        report.problem(
            "No admin credentials: set TRUNKBOT_ADMIN_TOKEN or the TRUNKBOT_SERVICE_APP_* "
            "settings (without them only `trunkbot shell` on the sandbox works)."
        )
        return
    client = admin_client(settings)
    try:
        http = admin_http(settings, client)
    except ConfigError as exc:
        report.problem(exc.user_message)
        await client.aclose()
        return
    calling = CallingClient(http, org_id=settings.org_id)
    what = "admin token" if settings.admin_token is not None else "service app token"
    try:
        me = await http.get_json("/people/me")
        name = me.get("displayName") or me.get("emails", ["?"])[0]
        report.ok(f"{what} answers at {settings.api_url} (as {name})")
        try:
            locations = await calling.list_locations()
        except WebexForbidden:
            report.problem(
                "The admin token lacks spark-admin:telephony_config_read (or a full admin role)."
            )
            return
        report.ok(f"telephony_config_read: {len(locations)} calling location(s)")
        if not locations:
            report.problem("The org has no calling-enabled location: trunks need one.")
            return
        try:
            await calling.generate_password(locations[0].id)
        except WebexForbidden:
            report.problem(
                "The admin token lacks spark-admin:telephony_config_write or full admin rights: "
                "it can read trunks but not create them."
            )
            return
        report.ok("telephony_config_write: the token may create trunks")
    except WebexError as exc:
        report.problem(f"Admin credentials: {exc.user_message}")
        report.unreachable = exc.status is None
    except ConfigError as exc:  # a service app refresh refused (revoked token, wrong secret)
        report.problem(exc.user_message)
    finally:
        await client.aclose()


async def check_bot(settings: Settings, report: Report) -> None:
    """The bot token answers, and belongs to a bot (a person's token would act as them)."""
    if settings.bot_token is None:
        report.note(
            "No bot token is set: `trunkbot run` and `trunkbot serve` need TRUNKBOT_BOT_TOKEN."
        )
        return
    from bot.app import USER_AGENT, static_token
    from bot.webex.messaging import MessagingClient

    client = httpx.AsyncClient(
        base_url=settings.api_url, headers={"User-Agent": USER_AGENT}, timeout=20.0
    )
    try:
        me = await MessagingClient(
            WebexHttp(client, token_provider=static_token(settings.bot_token))
        ).me()
    except WebexError as exc:
        report.problem(f"Bot token (TRUNKBOT_BOT_TOKEN): {exc.user_message}")
        report.unreachable = report.unreachable or exc.status is None
        return
    finally:
        await client.aclose()
    if me.type != "bot":
        report.problem(
            f"TRUNKBOT_BOT_TOKEN belongs to {me.email or me.display_name}, a {me.type}, not a "
            "bot: create a bot at developer.webex.com and use its token."
        )
    else:
        report.ok(f"bot token answers (as {me.display_name or me.email})")


async def check_store(settings: Settings, report: Report) -> None:
    """The database opens and its schema is current (migrations run here if needed)."""
    from bot.store import open_store

    try:
        store = await open_store(settings.effective_database_url)
    except BotError as exc:
        report.problem(f"Database: {exc.user_message}")
        return
    try:
        report.ok(f"database ({store.dialect}) at schema version {await store.schema_version()}")
    finally:
        await store.close()


async def run_check(settings: Settings, out: TextIO | None = None) -> int:
    report = Report(out or sys.stdout)
    check_policy(settings, report)
    await check_bot(settings, report)
    await check_admin(settings, report)
    await check_store(settings, report)
    if not report.problems:
        report.out.write("All checks passed.\n")
        return EXIT_OK
    return EXIT_RUNTIME if report.unreachable else EXIT_USAGE
