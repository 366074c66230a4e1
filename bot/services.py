"""What commands need, in one container: the gate (to ask again for a stored request's
requester), the admin identity's clients, the store, the default org, the password vault.

A leaf of the core: it imports the gate, the store and the Webex clients, and nothing that
imports it back. The composition root (bot/app.py) builds it; commands receive it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.auth import Policy
from bot.gate import Gate, Permit
from bot.store import Store
from bot.vault import PasswordVault
from bot.webex.calling import CallingClient
from bot.webex.http import WebexHttp
from bot.webex.models import Location
from bot.webex.trunk_admin import TrunkAdmin

CARD_TTL = 15 * 60.0  # a card works for 15 minutes
APPROVAL_TTL = 24 * 3600.0  # an approval request waits a day for a decision


@dataclass
class Services:
    """What commands need: the gate (for a stored request's requester, asked again), the
    admin identity's clients, the store, the default org."""

    gate: Gate
    calling: CallingClient
    trunks: TrunkAdmin
    admin_http: WebexHttp
    store: Store
    org_id: str | None = None
    vault: PasswordVault = field(default_factory=lambda: PasswordVault())
    card_ttl: float = CARD_TTL
    approval_ttl: float = APPROVAL_TTL
    _token_org: str | None = field(default=None, repr=False)
    _token_org_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def policy(self) -> Policy:
        return self.gate.policy

    async def find_location(self, query: str, org_id: str | None, permit: Permit) -> Location:
        """``query`` among the org's locations; hints name only those ``permit`` covers."""
        return await self.calling.find_location(
            query, org_id=org_id, visible=lambda loc: permit.covers(loc.id, loc.name)
        )

    async def target_org(self, requested: str | None) -> str | None:
        """The org a trunk call acts on: ``org=``, else TRUNKBOT_ORG_ID, else the token's org."""
        if requested:
            return requested
        if self.org_id:
            return self.org_id
        async with self._token_org_lock:  # a burst at start asks once, not once per command
            if self._token_org is None:
                await self.check_admin()
        return self._token_org or None

    async def check_admin(self) -> str | None:
        """Ask Webex who the admin credentials are (``GET /people/me``; its errors are
        theirs) and keep the token's org for :meth:`target_org`: start-up asks, so the
        first commands don't. Returns the org trunk calls act on by default."""
        me = await self.admin_http.get_json("/people/me")
        org = me.get("orgId") if isinstance(me, dict) else None
        self._token_org = org if isinstance(org, str) else ""
        return self.org_id or self._token_org or None
