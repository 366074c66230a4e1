"""Call routing around a trunk: route groups and a location's premises PSTN connection.

Paths and bodies follow call-routing.yml and location-call-settings.yml:

* ``…/premisePstn/routeGroups``: list (``routeGroups``: id, name, inUse), create
  (``{name, localGateways: [{id, priority}]}`` → ``{id}``), get one (name, localGateways with
  id, name, locationId, priority), and PUT, which **replaces the whole** ``localGateways``
  list: a trunk is added by sending every member plus the new one.
* ``GET/PUT /telephony/config/locations/{id}``: ``connection: {type: TRUNK | ROUTE_GROUP,
  id}``. Webex returns ``connection`` only for a premises PSTN; a location with a PSTN
  subscription (cloud-connected PSTN) has ``subscriptionId`` instead, and the API can't
  change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from pydantic import Field

from bot import replies
from bot.errors import UsageError, WebexBadResponse
from bot.markdown import esc
from bot.webex.calling import LOCATIONS, CallingClient
from bot.webex.errors import json_object
from bot.webex.locations import name_key
from bot.webex.models import WireModel

ROUTE_GROUPS = "/telephony/config/premisePstn/routeGroups"
MAX_MEMBERS = 10  # trunks per route group (call-routing.yml: "a maximum of 10 trunks")
TRUNK, ROUTE_GROUP = "TRUNK", "ROUTE_GROUP"


class Member(WireModel):
    """One trunk of a route group."""

    id: str
    name: str = ""
    location_id: str | None = None
    location_name: str | None = None
    priority: int = 1


class RouteGroup(WireModel):
    id: str = ""  # not in the GET body; filled in from the path
    name: str
    local_gateways: list[Member] = Field(default_factory=list)


class Connection(WireModel):
    type: str
    id: str


class TelephonyLocation(WireModel):
    """The part of ``GET /telephony/config/locations/{id}`` that routing needs."""

    id: str = ""
    name: str = ""
    connection: Connection | None = None
    subscription_id: str | None = None

    @property
    def premises(self) -> bool:
        """True unless the location's PSTN is a subscription (cloud-connected PSTN)."""
        return self.connection is not None or not self.subscription_id


@dataclass(frozen=True)
class Added:
    """What adding a trunk to a route group did."""

    group: RouteGroup  # as it is now
    already: bool = False  # the trunk was a member already: nothing was written
    created: bool = False  # the group didn't exist and was made with this trunk


class GroupFull(UsageError):
    """The route group holds Webex's maximum of trunks already."""


class RoutingAdmin:
    """Route groups and a location's PSTN connection, over the calling client's HTTP."""

    def __init__(self, calling: CallingClient) -> None:
        self.calling = calling
        self._http = calling.http

    def _group_path(self, group_id: str) -> str:
        return f"{ROUTE_GROUPS}/{quote(group_id, safe='')}"

    async def find_group(self, name: str, org_id: str | None = None) -> str | None:
        """The ID of the route group with that name (any case), or None."""
        params = self.calling.params(org_id, name=name.strip())
        rows = await self._http.get_pages(ROUTE_GROUPS, params, "routeGroups")
        wanted = name_key(name)
        for row in rows:
            if name_key(str(row.get("name", ""))) == wanted and isinstance(row.get("id"), str):
                return str(row["id"])
        return None

    async def get_group(self, group_id: str, org_id: str | None = None) -> RouteGroup:
        response = await self._http.request(
            "GET", self._group_path(group_id), params=self.calling.params(org_id)
        )
        group = self.calling.parse(RouteGroup, json_object(response), response)
        return group.model_copy(update={"id": group_id})

    async def put_members(
        self, group: RouteGroup, members: list[Member], org_id: str | None = None
    ) -> None:
        """PUT the whole member list (Webex replaces it; a repeat writes the same)."""
        body = {
            "name": group.name,
            "localGateways": [{"id": m.id, "priority": m.priority} for m in members],
        }
        await self._http.request(
            "PUT",
            self._group_path(group.id),
            params=self.calling.params(org_id),
            json=body,
            retry_5xx=True,
        )

    async def create_group(
        self, name: str, members: list[Member], org_id: str | None = None
    ) -> str:
        body = {
            "name": name,
            "localGateways": [{"id": m.id, "priority": m.priority} for m in members],
        }
        created = await self._http.post_json(
            ROUTE_GROUPS, body, self.calling.params(org_id), retry_5xx=False
        )
        group_id = created.get("id")
        if not isinstance(group_id, str):
            raise WebexBadResponse(replies.WEBEX_BAD_RESPONSE, method="POST", path=ROUTE_GROUPS)
        return group_id

    async def add_trunk(
        self,
        trunk_id: str,
        group_name: str,
        *,
        priority: int | None = None,
        org_id: str | None = None,
        create_missing: bool = False,
    ) -> Added:
        """Put the trunk in the named group: read it, append (next free priority unless
        ``priority``), PUT the whole list. A member already is answered, not written."""
        group_id = await self.find_group(group_name, org_id)
        if group_id is None:
            if not create_missing:
                raise UsageError(
                    f'There\'s no route group named "{esc(group_name)}". Check the name, or '
                    "create it with a trunk: `create trunk … route-group=<name>`."
                )
            member = Member(id=trunk_id, priority=priority or 1)
            new_id = await self.create_group(group_name.strip(), [member], org_id)
            return Added(await self.get_group(new_id, org_id), created=True)
        group = await self.get_group(group_id, org_id)
        if any(m.id == trunk_id for m in group.local_gateways):
            return Added(group, already=True)
        if len(group.local_gateways) >= MAX_MEMBERS:
            raise GroupFull(
                f"Route group **{esc(group.name)}** already has {MAX_MEMBERS} trunks, the most "
                "Webex allows. Take one out in Control Hub first, or use another group."
            )
        next_free = max((m.priority for m in group.local_gateways), default=0) + 1
        members = [*group.local_gateways, Member(id=trunk_id, priority=priority or next_free)]
        await self.put_members(group, members, org_id)
        return Added(await self.get_group(group_id, org_id))

    async def location(self, location_id: str, org_id: str | None = None) -> TelephonyLocation:
        path = f"{LOCATIONS}/{quote(location_id, safe='')}"
        response = await self._http.request("GET", path, params=self.calling.params(org_id))
        found = self.calling.parse(TelephonyLocation, json_object(response), response)
        return found.model_copy(update={"id": location_id})

    async def set_connection(
        self, location_id: str, kind: str, target_id: str, org_id: str | None = None
    ) -> None:
        """PUT the location's premises PSTN connection (a repeat sets the same)."""
        await self._http.request(
            "PUT",
            f"{LOCATIONS}/{quote(location_id, safe='')}",
            params=self.calling.params(org_id),
            json={"connection": {"type": kind, "id": target_id}},
            retry_5xx=True,
        )


# --- what to say about it (the create's route-group= and `add trunk … to route group`) ----


def members_lines(group: RouteGroup) -> list[str]:
    """The group's members, by priority (lowest first: Webex tries it first)."""
    ordered = sorted(group.local_gateways, key=lambda m: (m.priority, m.name.casefold()))
    lines = []
    for member in ordered:
        where = f", {esc(member.location_name)}" if member.location_name else ""
        lines.append(f"• {member.priority}: **{esc(member.name or member.id)}**{where}")
    return lines


def added_sentence(trunk: str, added: Added) -> str:
    group = added.group
    if added.already:
        head = f"Trunk **{esc(trunk)}** is already in route group **{esc(group.name)}**: nothing "
        head += "to change."
    elif added.created:
        head = f"✅ Route group **{esc(group.name)}** created with trunk **{esc(trunk)}** in it."
    else:
        head = f"✅ Trunk **{esc(trunk)}** added to route group **{esc(group.name)}**."
    return "\n".join([head, f"Members ({len(group.local_gateways)}):", *members_lines(group)])


def add_after_create_failed(trunk: str, group: str, sentence: str) -> str:
    return (
        f"❌ Trunk **{esc(trunk)}** was created, but I couldn't add it to route group "
        f"**{esc(group)}**: {sentence.removeprefix('❌ ')} The trunk stays as it is; to try "
        f'again, say `add trunk {esc(trunk)} to route group "{esc(group)}"`.'
    )
