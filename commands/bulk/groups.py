"""A bulk row's ``route-group``: its new trunk joins the group, as a text create's
``route-group=`` does (made if missing), under the requester's ``routegroup.write`` on the
row's location, asked again when the job runs. One writer per group at a time: Webex
replaces a group's whole member list on every PUT."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.errors import NotAllowed, UsageError, WebexError
from bot.gate import Permit
from bot.store.bulk import BulkJob, RowState
from bot.webex.errors import user_sentence
from bot.webex.models import Location
from bot.webex.routing import RoutingAdmin
from commands.bulk import words
from commands.bulk.check import GROUP_ACTION, GROUP_NEEDS_APPROVAL
from commands.bulk.row import Outcome, requester_of, space_of

if TYPE_CHECKING:
    from bot.services import Services


class GroupJoins:
    """The route groups of one job's rows."""

    def __init__(self, services: Services, job: BulkJob) -> None:
        self.services, self.job = services, job
        self.permits: dict[str, Permit | str] = {}  # location ID → routegroup.write or why not
        self.locks: dict[str, asyncio.Lock] = {}  # one writer per route group

    async def ask(self, location: Location) -> None:
        """The requester's ``routegroup.write`` at ``location``, asked now."""
        self.permits[location.id] = await self.group_permit(location)

    async def group_permit(self, location: Location) -> Permit | str:
        """The requester's ``routegroup.write`` here, asked again now (or why not)."""
        try:
            permit = await self.services.gate.reauthorize(
                requester_of(self.job), space_of(self.job), GROUP_ACTION, self.job.org_id, location
            )
            if permit.needs_approval:
                return GROUP_NEEDS_APPROVAL
            permit.check_write(GROUP_ACTION, self.job.org_id, location.id)
        except NotAllowed as exc:
            return exc.user_message
        return permit

    async def join(self, outcome: Outcome) -> Outcome:
        """A created row with a ``route-group``: its trunk joins the group (made if missing),
        one writer per group at a time (Webex replaces the member list on every PUT). A
        failure leaves the trunk created and says what to retry."""
        row, group = outcome.row, str(outcome.row.request.get("route-group") or "")
        if not group or outcome.state is not RowState.CREATED or not outcome.trunk_id:
            return outcome
        permit = self.permits.get(row.location_id, "not allowed")
        sentence: str | None = None
        if isinstance(permit, str):
            sentence = permit
        else:
            folded = " ".join(group.split()).casefold()
            lock = self.locks.setdefault(folded, asyncio.Lock())
            try:
                async with lock:
                    permit.check_write(GROUP_ACTION, self.job.org_id, row.location_id)
                    await RoutingAdmin(self.services.calling).add_trunk(
                        outcome.trunk_id, group, org_id=self.job.org_id, create_missing=True
                    )
            except NotAllowed as exc:
                sentence = exc.user_message
            except UsageError as exc:
                sentence = exc.user_message
            except WebexError as exc:
                sentence = user_sentence(exc)
                outcome.tracking_id = outcome.tracking_id or exc.tracking_id
        if sentence is not None:
            outcome.error = words.not_joined(row.name, group, sentence)
        return outcome
