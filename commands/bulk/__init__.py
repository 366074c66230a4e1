"""Creating many trunks from one CSV file (``create trunks``): checked first, created at
Webex's pace, resumable.

    sheet.py   reading the file: limits, header, rows
    check.py   every row checked before anything is created
    text.py    the commands: `create trunks`, the Create/Cancel and Stop cards, `stop bulk`
    run.py     the job: pace, progress, Stop, durable rows, resume, the result file
    ending.py  jobs whose Create card or approval ended before they ran
    words.py   what it says
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.events import Job, Outbox
from bot.router import Command
from commands.approvals import Executor
from commands.bulk import ending, run, text

if TYPE_CHECKING:
    from bot.services import Services


def commands(services: Services) -> list[Command]:
    return text.commands(services)


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    """A whole file through one approval (commands.approvals)."""
    return {text.KIND: (text.ACTION, text.execute_approved)}


def jobs(services: Services) -> list[Job]:
    """Jobs whose process died are taken over and carried on; jobs whose card or approval
    ended before they ran are ended too."""

    async def resume(outbox: Outbox, _stale_after: float) -> object:
        return await run.resume_orphans(services, outbox)

    async def end(outbox: Outbox, _stale_after: float) -> object:
        return await ending.end_unanswered(services, outbox)

    return [resume, end]
