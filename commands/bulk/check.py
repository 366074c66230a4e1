"""Every row of a file checked before anything is created: the same field rules as a text
create (bot.validation), the location among those the person may use, the device type and
its call limits, Webex's own address check for certificate-based rows, and the name free —
within the file and in Webex. One Webex read each for locations, trunk types and trunks,
whatever the file's size. A ``route-group`` needs ``routegroup.write`` on the row's
location (without approval, as on a text create) and room in the group: one read per group
named; a group that doesn't exist yet is made with the first trunk that joins it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import NotAllowed, UsageError, WebexError
from bot.gate import Permit
from bot.grammar import Fields
from bot.markdown import esc
from bot.validation import InvalidRequest, TrunkRequest, check_certificate
from bot.webex.errors import user_sentence
from bot.webex.models import DeviceType, Location
from bot.webex.refusals import known_refusal
from bot.webex.routing import MAX_MEMBERS, RoutingAdmin
from commands.bulk.sheet import Sheet

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(frozen=True)
class Good:
    row: int
    request: TrunkRequest
    location: Location
    device: DeviceType | None

    def record(self) -> dict[str, object]:
        """What the store keeps of the row (never a password: a file has none)."""
        req = self.request
        out: dict[str, object] = {"name": req.name, "type": req.trunk_type.value}
        out.update(req.settings(self.device.device_type if self.device else None))
        return out


@dataclass(frozen=True)
class Bad:
    row: int
    column: str  # as the header wrote it ("" for the whole row)
    problem: str  # one sentence


@dataclass
class Checked:
    good: list[Good]
    bad: list[Bad]

    @property
    def locations(self) -> list[Location]:
        seen: dict[str, Location] = {}
        for g in self.good:
            seen.setdefault(g.location.id, g.location)
        return list(seen.values())


def _find(query: str, locations: list[Location]) -> Location | list[str]:
    """The location named or identified by ``query`` (any case); else close names."""
    folded = " ".join(query.split()).casefold()
    for loc in locations:
        if loc.id == query or " ".join(loc.name.split()).casefold() == folded:
            return loc
    names = [loc.name for loc in locations]
    return difflib.get_close_matches(query, names, n=2, cutoff=0.6)


async def check_rows(services: Services, sheet: Sheet, permit: Permit) -> Checked:
    """Every row's problems (row, column, sentence), and the rows that may be created."""
    org_id = permit.org_id
    calling = services.calling
    locations = await calling.list_locations(org_id=org_id)
    visible = [loc for loc in locations if permit.covers(loc.id, loc.name)]
    trunk_types = await calling.trunk_types(org_id=org_id)
    taken = {t.name.strip().casefold() for t in await calling.list_trunks(org_id=org_id)}
    first_row: dict[str, int] = {}
    good: list[Good] = []
    bad: list[Bad] = []

    def col(key: str) -> str:
        return sheet.typed.get(key, key)

    for row in sheet.rows:
        if row.extra:
            bad.append(Bad(row.number, "", "has more cells than the header has columns."))
            continue
        fields = Fields()
        for key, value in row.cells.items():
            fields[key] = value
            fields.typed[key] = col(key)
        try:
            req = TrunkRequest.from_fields(fields)
        except InvalidRequest as exc:
            bad += [Bad(row.number, col(p.key or p.field), p.message) for p in exc.problems]
            continue
        problems: list[Bad] = []
        found = _find(req.location, locations)
        location: Location | None = None
        if isinstance(found, list):
            hint = f" Did you mean **{esc(found[0])}**?" if found else ""
            problems.append(
                Bad(
                    row.number,
                    col("location"),
                    f"no calling location **{esc(req.location)}**.{hint}",
                )
            )
        elif found not in visible:
            problems.append(
                Bad(
                    row.number,
                    col("location"),
                    f"you may not create trunks in **{esc(found.name)}**.",
                )
            )
        else:
            location = found
        device: DeviceType | None = None
        try:
            if req.certificate_based or req.device_type:
                device = check_certificate(req, trunk_types)
        except InvalidRequest as exc:
            problems += [Bad(row.number, col(p.key or p.field), p.message) for p in exc.problems]
        except UsageError as exc:
            problems.append(Bad(row.number, col("device"), exc.user_message))
        folded = req.name.strip().casefold()
        if folded in first_row:
            problems.append(
                Bad(
                    row.number,
                    col("name"),
                    f"**{esc(req.name)}** is also in row {first_row[folded]}.",
                )
            )
        else:
            first_row[folded] = row.number
            if folded in taken:
                problems.append(
                    Bad(
                        row.number,
                        col("name"),
                        f"a trunk named **{esc(req.name)}** already exists.",
                    )
                )
        if not problems and req.certificate_based and req.address and req.domain:
            try:
                await services.trunks.validate(req.address, req.domain, req.port, org_id=org_id)
            except WebexError as exc:
                refusal = known_refusal(exc, req.address, req.domain)
                problems.append(Bad(row.number, col("address"), user_sentence(refusal)))
        if problems or location is None:
            bad += problems
            continue
        good.append(Good(row.number, req, location, device))
    return await _check_groups(services, permit, Checked(good, bad), col)


GROUP_ACTION = "routegroup.write"
GROUP_NEEDS_APPROVAL = (
    "changing route groups needs a second person's approval for you: leave this cell empty "
    "and add the trunk afterwards with `add trunk <name> to route group <group>`."
)


async def _check_groups(
    services: Services, permit: Permit, checked: Checked, col: Callable[[str], str]
) -> Checked:
    """Rows with a ``route-group``: the person's ``routegroup.write`` on the row's location,
    and room in the group for every row joining it (Webex's maximum of trunks)."""
    joining = [g for g in checked.good if g.request.route_group]
    if not joining:
        return checked
    allowed: dict[str, str | None] = {}  # location ID → why not (None: allowed)
    room: dict[str, int] = {}  # group (folded) → trunks it can still take
    routing = RoutingAdmin(services.calling)
    keep: list[Good] = [g for g in checked.good if not g.request.route_group]
    bad = list(checked.bad)
    for g in joining:
        if g.location.id not in allowed:
            try:
                group_permit = await services.gate.reauthorize(
                    permit.actor, permit.space, GROUP_ACTION, permit.org_id, g.location
                )
                allowed[g.location.id] = (
                    GROUP_NEEDS_APPROVAL if group_permit.needs_approval else None
                )
            except NotAllowed as exc:
                allowed[g.location.id] = exc.user_message
        group = str(g.request.route_group)
        folded = " ".join(group.split()).casefold()
        if folded not in room:
            group_id = await routing.find_group(group, permit.org_id)
            members = 0
            if group_id is not None:
                members = len((await routing.get_group(group_id, permit.org_id)).local_gateways)
            room[folded] = MAX_MEMBERS - members
        why = allowed[g.location.id]
        if why is None and room[folded] <= 0:
            why = (
                f"route group **{esc(group)}** would hold more than {MAX_MEMBERS} trunks, the "
                "most Webex allows."
            )
        if why is not None:
            bad.append(Bad(g.row, col("route-group"), why))
            continue
        room[folded] -= 1
        keep.append(g)
    keep.sort(key=lambda g: g.row)
    bad.sort(key=lambda b: b.row)
    return Checked(keep, bad)
