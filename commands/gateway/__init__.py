"""After the create: the gateway's configuration, watching it register, route groups and a
location's PSTN connection.

config.py      `gateway config <trunk>` (trunk.read): the IOS-XE configuration, 1:1 only
routegroup.py  `add trunk <trunk> to route group <name>` (routegroup.write)
connect.py     `connect location=… to trunk=…|route-group=…` (pstn.write): summary card,
               approval where the grant requires it, one PUT per key
watch.py       the job that watches new trunks until their gateway registers (30 minutes)
reading.py     the requests' grammar: a trunk target, `key=value` options
cards.py       the connect summary card
words.py       what these commands say

The configuration itself is written by bot.gateway_config, and route groups are read and
written by bot.webex.routing: the create feature uses both too (its `route-group=` and the
configuration in its result).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.events import Job
from bot.router import Command
from commands.approvals import Executor
from commands.gateway import config, connect, routegroup, watch

if TYPE_CHECKING:
    from bot.services import Services


def commands(services: Services) -> list[Command]:
    return [
        config.command(services),
        routegroup.command(services),
        *connect.commands(services),
    ]


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    return {**routegroup.approval_kinds(), **connect.approval_kinds()}


def jobs(services: Services) -> list[Job]:
    return [watch.job(services)]
