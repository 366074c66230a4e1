"""`trunkbot check`: configuration and credentials, one clear line per problem.

It changes nothing in Webex: the write scope is proven with generatePassword, which only
suggests a password and stores nothing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from bot.app import admin_client, admin_http
from bot.auth import Policy
from bot.errors import ConfigError, WebexError, WebexForbidden
from bot.settings import Settings
from bot.webex.calling import CallingClient

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2


@dataclass
class Report:
    out: TextIO
    problems: list[str] = field(default_factory=list)
    unreachable: bool = False

    def ok(self, line: str) -> None:
        self.out.write(f"ok       {line}\n")

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


async def run_check(settings: Settings, out: TextIO | None = None) -> int:
    report = Report(out or sys.stdout)
    check_policy(settings, report)
    await check_admin(settings, report)
    if not report.problems:
        report.out.write("All checks passed.\n")
        return EXIT_OK
    return EXIT_RUNTIME if report.unreachable else EXIT_USAGE
