"""Creating many trunks from one CSV file (``create trunks``): checked first, created at
Webex's pace, resumable.

    sheet.py   reading the file: limits, header, rows
    check.py   every row checked before anything is created
    text.py    the commands: `create trunks`, the Create/Cancel card, Stop, `stop bulk`
    approval.py a whole file through one approval
    control.py the Stop card and what Stop does
    run.py     the job: rows at the pace, progress, Stop, durable rows, resume, the summary
    pace.py    how fast requests go: just under the limit Webex shows with its 429s
    row.py     one row: its trunk created once (its own create key), what came of it
    groups.py  a row's route-group: the new trunk joins it
    messages.py the progress message and the rest, 1:1
    result.py  the result file: one line per row
    ending.py  jobs whose Create card or approval ended before they ran
    words.py   what it says
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.events import Job, Outbox
from bot.router import Command
from commands.approvals import Executor
from commands.bulk import approval, ending, run, text

if TYPE_CHECKING:
    from bot.services import Services


def commands(services: Services) -> list[Command]:
    return text.commands(services)


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    """A whole file through one approval (commands.approvals)."""
    return {approval.KIND: (text.ACTION, approval.execute_approved)}


def jobs(services: Services) -> list[Job]:
    """Jobs whose process died are taken over and carried on; jobs whose card or approval
    ended before they ran are ended too."""

    async def resume(outbox: Outbox, _stale_after: float) -> object:
        return await run.resume_orphans(services, outbox)

    async def end(outbox: Outbox, _stale_after: float) -> object:
        return await ending.end_unanswered(services, outbox)

    return [resume, end]
