"""A trunk's life after its create: look at it, change it, delete it.

read.py    `locations`, `trunk types`, `list trunks`, `show trunk` (trunk.read)
change.py  `update trunk`, `delete trunk`, their picker and summary cards
           (trunk.update, trunk.delete), approval where the grant requires it
target.py  reading `<trunk> key=…`; the trunk's location is what the gate narrows to
cards.py   the picker and summary cards
words.py   what these commands say
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.router import Command
from commands.approvals import Executor
from commands.lifecycle import change, read

if TYPE_CHECKING:
    from bot.services import Services


def commands(services: Services) -> list[Command]:
    return [*read.commands(services), *change.commands(services)]


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    return change.approval_kinds()
