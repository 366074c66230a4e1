"""A trunk's life after its create: find it, read its usage, change it, delete it, validate.

Paths and bodies follow call-routing.yml: ``GET/PUT/DELETE …/trunks/{id}``, ``…/usage`` and
its four lists (route groups, dial plans, PSTN connections, call-to-extension), and the trunk
validation (``actions/validate/invoke``, falling back to the deprecated ``fqdnValidation``
where the newer one answers 404).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from bot.errors import Ambiguity, UsageError, WebexNotFound
from bot.replies import esc
from bot.webex.calling import TRUNKS, CallingClient
from bot.webex.errors import json_object
from bot.webex.locations import name_key
from bot.webex.models import IdName, TrunkSummary, TrunkUpdate, TrunkUsage


class TrunkNotFound(UsageError):
    """No trunk matches what the person typed (among those they may see)."""


class AmbiguousTrunk(Ambiguity):
    """Several trunks match; ``candidates`` lists them."""

    def __init__(self, user_message: str, candidates: list[TrunkSummary]) -> None:
        super().__init__(user_message, "trunk", [(c.name, c.id) for c in candidates])
        self.candidates = candidates


@dataclass(frozen=True)
class Usage:
    """What uses a trunk: the counts, and the named things behind each."""

    counts: TrunkUsage
    route_groups: list[IdName] = field(default_factory=list)
    dial_plans: list[IdName] = field(default_factory=list)
    pstn_locations: list[IdName] = field(default_factory=list)
    extension_locations: list[IdName] = field(default_factory=list)

    @property
    def in_use(self) -> bool:
        return self.counts.total > 0 or any(
            (self.route_groups, self.dial_plans, self.pstn_locations, self.extension_locations)
        )


# (the count field, the list's path suffix, its item key, whether it pages)
_USAGE_LISTS = {
    "route_groups": ("route_group_count", "usageRouteGroup", "routeGroup", False),
    "dial_plans": ("dial_plan_count", "usageDialPlan", "dialPlans", True),
    "pstn_locations": ("pstn_connection_count", "usagePstnConnection", "locations", False),
    "extension_locations": ("call_to_extension_count", "usageCallToExtension", "locations", True),
}


class TrunkAdmin:
    """Trunk reads and writes beyond the create, over the calling client's HTTP."""

    def __init__(self, calling: CallingClient) -> None:
        self.calling = calling
        self._http = calling.http

    def _path(self, trunk_id: str, suffix: str = "") -> str:
        return f"{TRUNKS}/{quote(trunk_id, safe='')}" + (f"/{suffix}" if suffix else "")

    async def find_trunk(
        self,
        query: str,
        org_id: str | None = None,
        *,
        visible: Callable[[TrunkSummary], bool] | None = None,
    ) -> TrunkSummary:
        """The trunk whose ID is ``query``, else whose name is it (any case), else the only one
        whose name contains it — among those ``visible`` admits (the person's locations)."""
        trunks = await self.calling.list_trunks(org_id=org_id)
        wanted = name_key(query)
        for trunk in trunks:
            if trunk.id == query.strip():
                return trunk
        exact = [t for t in trunks if name_key(t.name) == wanted]
        if exact:
            return exact[0]  # names are unique in an org; the gate checks its location
        shown = [t for t in trunks if visible is None or visible(t)]
        matches = [t for t in shown if wanted and wanted in name_key(t.name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = [t.name for t in matches]
            raise AmbiguousTrunk(_ambiguous(query, names), matches)
        raise TrunkNotFound(_not_found(query))

    async def usage(self, trunk_id: str, org_id: str | None = None) -> Usage:
        """The usage counts, and each non-empty list behind them, named."""
        params = self.calling.params(org_id)
        counts = TrunkUsage.model_validate(
            await self._http.get_json(self._path(trunk_id, "usage"), params)
        )

        async def named(count_field: str, suffix: str, key: str, paged: bool) -> list[IdName]:
            if not getattr(counts, count_field):
                return []
            path = self._path(trunk_id, suffix)
            if paged:
                items = await self._http.get_pages(path, params, key)
            else:
                raw = (await self._http.get_json(path, params)).get(key)
                items = [i for i in raw if isinstance(i, dict)] if isinstance(raw, list) else []
            return [IdName.model_validate(i) for i in items if i.get("id")]

        lists = await asyncio.gather(*(named(*spec) for spec in _USAGE_LISTS.values()))
        return Usage(counts, *lists)

    async def update_trunk(
        self, trunk_id: str, body: TrunkUpdate, org_id: str | None = None
    ) -> None:
        """PUT the trunk's new settings (a repeat sets the same values: safe to retry)."""
        await self._http.request(
            "PUT",
            self._path(trunk_id),
            params=self.calling.params(org_id),
            json=body.wire(),
            retry_5xx=True,
        )

    async def delete_trunk(self, trunk_id: str, org_id: str | None = None) -> bool:
        """DELETE the trunk; False when it was already gone (a repeat deletes nothing)."""
        try:
            await self._http.request(
                "DELETE", self._path(trunk_id), params=self.calling.params(org_id)
            )
        except WebexNotFound:
            return False
        return True

    async def validate(
        self, address: str, domain: str, port: int | None, org_id: str | None = None
    ) -> None:
        """Webex's own check of a certificate-based trunk's address and domain (the newer
        ``validate`` action; the deprecated ``fqdnValidation`` where it answers 404)."""
        body: dict[str, object] = {
            "fqdnAddress": address,
            "fqdnDomain": domain,
            "trunkType": "CERTIFICATE_BASED",
        }
        if port is not None:
            body["fqdnPort"] = port
        try:
            response = await self._http.request(
                "POST",
                f"{TRUNKS}/actions/validate/invoke",
                params=self.calling.params(org_id),
                json=body,
                retry_5xx=True,
            )
        except WebexNotFound:
            await self.calling.validate_fqdn(address, domain, port, org_id)
            return
        if response.status_code == 200 and response.content:
            json_object(response)  # a body we can't read is Webex's problem, said once


def _ambiguous(query: str, names: list[str]) -> str:
    listed = ", ".join(f"**{esc(n)}**" for n in names[:10])
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    return f'"{esc(query)}" matches {len(names)} trunks: {listed}{more}. Which one?'


def _not_found(query: str) -> str:
    return f'I can\'t find a trunk named "{esc(query)}" that you may see. `list trunks` shows them.'
