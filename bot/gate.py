"""The gate: the only place a :class:`Permit` is made.

The router asks the gate before it calls any command (text, card, approval), and a command
gets the answer as a Permit: who may do which action, in which org, at which location, under
which grant. Every write checks its Permit (:meth:`Permit.check_write`): the action, the org
and the location must be the ones the gate decided on, and where the grant says
``approval = "required"`` an approver the gate also admitted must be on it. A Permit copied,
replaced or built by hand is not one the gate issued, and no write accepts it.

Refusals are :class:`~bot.errors.NotAllowed` with a sentence for chat and the policy's
reason for the audit trail.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass

from bot import replies
from bot.auth import ANY, Decision, Grant, MembershipCheck, Policy, collapse
from bot.errors import NotAllowed
from bot.events import Actor, Space
from bot.webex.models import Location

log = logging.getLogger(__name__)

PUBLIC = "public"  # the declared action of a command anyone may use (help)
APPROVE = "approve"
NO_TARGET = object()  # the request touches no org of its own (audit: the grants decide)

_ISSUED: weakref.WeakSet[Permit] = weakref.WeakSet()


@dataclass(frozen=True, eq=False)
class Permit:
    """The gate's yes. ``grants`` are those naming this person for ``action`` in ``org_id``;
    ``grant`` the first of them that covers ``location`` (it sets confirm and approval)."""

    actor: Actor
    space: Space
    action: str
    org_id: str | None
    grants: tuple[Grant, ...] = ()
    location: Location | None = None
    grant: Grant | None = None
    approver: Actor | None = None

    @property
    def issued(self) -> bool:
        return self in _ISSUED

    @property
    def locations(self) -> tuple[str, ...]:
        """The locations (names or IDs, or ``*``) this person may act in for this action."""
        return collapse(loc for g in self.grants for loc in g.locations)

    @property
    def orgs(self) -> tuple[str, ...]:
        return collapse(org for g in self.grants for org in g.orgs)

    def covers(self, location_id: str | None, location_name: str | None) -> bool:
        return any(g.names_location(location_id, location_name) for g in self.grants)

    def covers_org(self, org_id: str | None) -> bool:
        return any(g.names_org(org_id) for g in self.grants)

    @property
    def all_locations(self) -> bool:
        return ANY in self.locations

    @property
    def confirm(self) -> bool:
        return self.grant is None or self.grant.confirm

    @property
    def needs_approval(self) -> bool:
        """The grant requires a second person, and none has approved yet."""
        return self.grant is not None and self.grant.approval == "required" and not self.approver

    @property
    def approvers_space(self) -> str | None:
        return self.grant.approvers_space if self.grant is not None else None

    def check_write(self, action: str, org_id: str | None, location_id: str) -> None:
        """Raise NotAllowed unless the gate issued this permit for exactly this write."""
        problem = None
        if not self.issued:
            problem = "permit not issued by the gate"
        elif self.action != action:
            problem = f"permit is for {self.action}, not {action}"
        elif self.org_id != org_id:
            problem = "permit is for another org"
        elif self.location is None or self.location.id != location_id or self.grant is None:
            problem = "permit is for another location"
        elif self.needs_approval:
            problem = "approval required and not given"
        if problem is not None:
            log.error("gate.write_refused", extra={"action": action, "problem": problem})
            raise NotAllowed(replies.not_allowed(action), reason=problem)


def _issue(permit: Permit) -> Permit:
    _ISSUED.add(permit)
    # DEBUG: every permit a command is given (up to three per command) is in its audit row;
    # a refusal is logged at INFO.
    log.debug(
        "auth.decision",
        extra={"action": permit.action, "allowed": True, "location": bool(permit.location)},
    )
    return permit


class Gate:
    """Asks the policy and issues Permits; the router holds the only instance."""

    def __init__(self, policy: Policy, membership: MembershipCheck | None = None) -> None:
        self.policy = policy
        self.membership = membership

    async def admit(
        self, actor: Actor, space: Space, action: str, org_id: str | object | None = NO_TARGET
    ) -> Permit:
        """May ``actor`` do ``action`` at all, and in ``org_id``? (Before any Webex read.)"""
        if action == PUBLIC:
            return _issue(Permit(actor, space, PUBLIC, None))
        decision = await self.policy.decide(
            actor, action, space=space, membership=self.membership, check_scope=False
        )
        if not decision.allowed:
            raise self._refusal(decision, action)
        grants = [
            g
            for g in await self.policy.grants_naming(actor, space, self.membership)
            if g.names_action(action)
        ]
        if org_id is NO_TARGET:
            return _issue(Permit(actor, space, action, None, tuple(grants)))
        target = org_id if isinstance(org_id, str) else None
        covering = tuple(g for g in grants if g.names_org(target))
        if not covering:
            log.info("auth.decision", extra={"action": action, "allowed": False})
            raise NotAllowed(
                replies.only_in_orgs(action, target or "?"),
                reason=f"no grant covers this org for {action}",
            )
        return _issue(Permit(actor, space, action, target, covering))

    async def narrow(self, permit: Permit, location: Location) -> Permit:
        """The permit for one location, or NotAllowed naming the locations allowed."""
        if not permit.issued or permit.action == PUBLIC:
            raise NotAllowed(replies.not_allowed(permit.action), reason="permit not issued")
        for grant in permit.grants:
            if grant.names_location(location.id, location.name):
                return _issue(
                    Permit(
                        permit.actor,
                        permit.space,
                        permit.action,
                        permit.org_id,
                        permit.grants,
                        location,
                        grant,
                    )
                )
        log.info("auth.decision", extra={"action": permit.action, "allowed": False})
        raise NotAllowed(
            replies.only_in_locations(permit.action, list(permit.locations)),
            reason=f"no grant covers this location/org for {permit.action}",
        )

    async def reauthorize(
        self, actor: Actor, space: Space, action: str, org_id: str | None, location: Location
    ) -> Permit:
        """A stored request's requester, asked again now (an approval arrives later)."""
        return await self.narrow(await self.admit(actor, space, action, org_id), location)

    def approve(self, request: Permit, approver: Permit) -> Permit:
        """``request`` with ``approver`` on it: an ``approve`` permit for the same org and
        location, held by someone else."""
        same_place = (
            approver.location is not None
            and request.location is not None
            and approver.location.id == request.location.id
            and approver.org_id == request.org_id
        )
        if not (request.issued and approver.issued and approver.action == APPROVE and same_place):
            raise NotAllowed(replies.not_allowed(APPROVE), reason="approver's permit mismatch")
        if approver.actor.person_id == request.actor.person_id:
            raise NotAllowed(replies.NO_SELF_APPROVAL, reason="requester can't approve")
        return _issue(
            Permit(
                request.actor,
                request.space,
                request.action,
                request.org_id,
                request.grants,
                request.location,
                request.grant,
                approver.actor,
            )
        )

    def _refusal(self, decision: Decision, action: str) -> NotAllowed:
        log.info(
            "auth.decision", extra={"action": action, "allowed": False, "reason": decision.reason}
        )
        if self.policy.problem and not self.policy.grants:
            return NotAllowed(replies.NO_POLICY, reason=decision.reason)
        if decision.org_unknown:
            return NotAllowed(replies.WHO_ARE_YOU_UNKNOWN, reason=decision.reason)
        return NotAllowed(replies.not_allowed(action), reason=decision.reason)
