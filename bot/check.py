"""`trunkbot check`: configuration and credentials, one clear line per problem.

It changes nothing in Webex: the write scope is proven with generatePassword, which only
suggests a password and stores nothing.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import httpx

from bot.app import admin_client, admin_http
from bot.auth import Policy
from bot.errors import (
    BotError,
    ConfigError,
    WebexAuthError,
    WebexError,
    WebexForbidden,
    WebexUnreachable,
)
from bot.network import cause, host_of
from bot.settings import Settings, database_driver_problem
from bot.startup import not_a_bot
from bot.webex.calling import CallingClient
from bot.webex.errors import WebexConnectFailed
from bot.webex.http import WebexHttp
from bot.webex.messaging import Person
from bot.webex.retry import RetryPolicy

#: One try per call: the operator is waiting, and re-runs the check after a fix.
CHECK_RETRY = RetryPolicy(failure_attempts=1, throttle_attempts=2, max_retry_after=10.0)

REFUSED_BOT = (
    "Webex didn't accept the bot token (TRUNKBOT_BOT_TOKEN): it is wrong, or was regenerated; "
    "copy the bot's current access token from developer.webex.com (My Webex Apps)."
)
REFUSED_ADMIN = (
    "Webex didn't accept the admin token (TRUNKBOT_ADMIN_TOKEN): it is wrong or expired (a "
    "personal access token lasts 12 hours); get a new one, or use a service app."
)
REFUSED_SERVICE_APP = (
    "Webex didn't accept the service app's access token: re-authorize the app in Control Hub "
    "and set a new TRUNKBOT_SERVICE_APP_REFRESH_TOKEN."
)


def unreachable(exc: WebexError, url: str, what: str) -> str:
    """One line for Webex not answering: the host, the cause, and what to check."""
    host = host_of(url)
    if isinstance(exc, WebexConnectFailed) or not isinstance(exc, WebexUnreachable):
        return (
            f"Couldn't connect to Webex at {host} to check the {what}: {cause(exc)}. Check "
            "the network, a proxy (HTTPS_PROXY) or TRUNKBOT_API_URL."
        )
    return (
        f"Webex at {host} didn't answer while checking the {what}: {cause(exc)}. Check the "
        "network, a proxy (HTTPS_PROXY) or TRUNKBOT_API_URL."
    )


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
    policy = Policy.load(settings.policy, log_problem=False)
    if policy.problem:
        report.problem(policy.problem)
    else:
        report.ok(f"policy {settings.policy}: {len(policy.grants)} grant(s)")
        for number, grant in enumerate(policy.grants, start=1):
            report.note(f"grant {number}: {grant.explain()}")
        if len(policy.grants) > 1:
            report.note(
                "when several grants allow a request, the first of them in the file sets "
                "its summary card and approval rules"
            )


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
    http.retry = CHECK_RETRY
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
    except WebexAuthError:
        report.problem(REFUSED_ADMIN if settings.admin_token is not None else REFUSED_SERVICE_APP)
    except WebexError as exc:
        if exc.status is None:
            report.problem(unreachable(exc, settings.api_url, what))
            report.unreachable = True
        else:
            report.problem(f"Admin credentials: {exc.user_message}")
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
    try:
        me = await bot_identity(settings)
    except WebexAuthError:
        report.problem(REFUSED_BOT)
        return
    except WebexError as exc:
        if exc.status is None:
            report.problem(unreachable(exc, settings.api_url, "bot token"))
            report.unreachable = True
        else:
            report.problem(f"Bot token (TRUNKBOT_BOT_TOKEN): {exc.user_message}")
        return
    except ConfigError as exc:  # a token Webex can't even be sent (a control character)
        report.problem(f"Bot token (TRUNKBOT_BOT_TOKEN): {exc.user_message}")
        return
    if me.type != "bot":
        report.problem(not_a_bot(me))
    else:
        report.ok(f"bot token answers (as {me.display_name or me.email})")


async def bot_identity(settings: Settings) -> Person:
    """Who the bot token is (``/people/me``), tried once; WebexError or ConfigError if not."""
    from bot.app import USER_AGENT, static_token
    from bot.webex.messaging import MessagingClient

    assert settings.bot_token is not None  # noqa: S101  -- callers check
    client = httpx.AsyncClient(
        base_url=settings.api_url, headers={"User-Agent": USER_AGENT}, timeout=20.0
    )
    try:
        http = WebexHttp(client, token_provider=static_token(settings.bot_token))
        http.retry = CHECK_RETRY
        return await MessagingClient(http).me()
    finally:
        await client.aclose()


async def bot_token_refusal(settings: Settings) -> str | None:
    """Before `run` / `serve` start: the sentence `check` gives when the bot token is a
    person's (the bot would read and write as them), else None. No token, a refused one or
    Webex not answering: start-up itself says those, so they are None here."""
    if settings.bot_token is None:
        return None
    try:
        me = await bot_identity(settings)
    except BotError:
        return None
    return None if me.type == "bot" else not_a_bot(me)


async def check_store(settings: Settings, report: Report) -> None:
    """The database opens and its schema is current (migrations run here if needed)."""
    from bot.store import open_store

    url = settings.effective_database_url
    early = store_before_opening(url)
    if early is not None:
        ok, line = early
        (report.ok if ok else report.problem)(line)
        return
    try:
        store = await open_store(url)
    except BotError as exc:
        report.problem(f"Database: {exc.user_message}")
        return
    try:
        report.ok(f"database ({store.dialect}) at schema version {await store.schema_version()}")
    finally:
        await store.close()


def store_before_opening(url: str) -> tuple[bool, str] | None:
    """(ok, line) when the database can be judged without opening it, else None.

    Opening an SQLite file creates it (and its directory): a check changes nothing, so a
    file that doesn't exist yet is only judged creatable, and the first start creates it.
    """
    from bot.store import sqlite_path

    problem = database_driver_problem(url)
    if problem:
        return False, problem
    if not url.startswith("sqlite:"):
        return None
    try:
        path = sqlite_path(url)
    except ConfigError as exc:
        return False, exc.user_message
    if path == ":memory:" or Path(path).exists():
        return None
    problem = new_sqlite_problem(Path(path))
    if problem:
        return False, problem
    return True, f"database (sqlite): {path} will be created at the first start"


def new_sqlite_problem(path: Path) -> str | None:
    """Why an SQLite file that doesn't exist yet couldn't be created, or None if it can."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
        return None
    return (
        f"Database: {path} doesn't exist and can't be created ({parent} is not a writable "
        "directory): set TRUNKBOT_DATABASE_URL or fix the permissions."
    )


async def run_check(settings: Settings, out: TextIO | None = None) -> int:
    report = Report(out or sys.stdout)
    check_policy(settings, report)
    await check_bot(settings, report)
    from bot.check_webhooks import check_webhooks

    await check_webhooks(settings, report)
    await check_admin(settings, report)
    await check_store(settings, report)
    if not report.problems:
        report.out.write("All checks passed.\n")
        return EXIT_OK
    return EXIT_RUNTIME if report.unreachable else EXIT_USAGE
