"""The composition root: builds clients, policy and router from Settings.

Nothing else constructs httpx clients or reads Settings; tests build an :class:`App` the
same way, pointing the admin client at the sandbox by swapping its transport.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import IO, Any

import httpx
from pydantic import SecretStr

from bot.auth import MembershipCheck, Policy
from bot.events import Job
from bot.flood import FloodGuard
from bot.gate import Gate
from bot.router import Router
from bot.services import APPROVAL_TTL, CARD_TTL, Services
from bot.settings import Settings
from bot.store import Store
from bot.webex.calling import CallingClient
from bot.webex.http import WebexHttp
from bot.webex.keepalive import KeepAliveTransport
from bot.webex.token_store import KeyedTokenStore, TokenStore
from bot.webex.tokens import ServiceAppTokens
from bot.webex.trunk_admin import TrunkAdmin

log = logging.getLogger(__name__)

USER_AGENT = "trunkbot/0.1 (+https://github.com/trunkbot)"
__all__ = ["APPROVAL_TTL", "CARD_TTL", "App", "Services", "build_app", "open_app"]


def static_token(token: SecretStr) -> Any:
    async def provide() -> str:
        return token.get_secret_value()

    return provide


def admin_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one shared AsyncClient of the admin identity (TLS trust from SSL_CERT_FILE)."""
    return httpx.AsyncClient(
        base_url=settings.api_url,
        transport=transport or KeepAliveTransport(),  # keep-alive (keepalive.py)
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(20.0, connect=10.0),
    )


def admin_http(
    settings: Settings, client: httpx.AsyncClient, *, token_store: TokenStore | None = None
) -> WebexHttp:
    """The admin identity over ``client``: TRUNKBOT_ADMIN_TOKEN as is, or else the service
    app's access token, refreshed before expiry and once on a 401 (``token_store`` keeps the
    rotated refresh token; default: the file in the state directory)."""
    if settings.admin_token is not None:
        return WebexHttp(client, token_provider=static_token(settings.admin_token))
    tokens = ServiceAppTokens.from_settings(settings, client, store=token_store)
    return WebexHttp(client, token_provider=tokens.token, on_unauthorized=tokens.on_unauthorized)


@dataclass
class App:
    settings: Settings
    services: Services
    router: Router
    clients: list[httpx.AsyncClient]
    jobs: list[Job] = field(default_factory=list)
    owns_store: bool = False
    held: list[IO[bytes]] = field(default_factory=list)  # locks kept for the process's life

    async def aclose(self) -> None:
        await self.services.calling.stop_reads()  # a start-up read still under way
        for client in self.clients:
            await client.aclose()
        if self.owns_store:
            await self.services.store.close()
        for handle in self.held:
            handle.close()


def build_app(
    settings: Settings,
    *,
    store: Store,
    policy: Policy | None = None,
    admin_transport: httpx.AsyncBaseTransport | None = None,
    bot_names: tuple[str, ...] = (),
    membership: MembershipCheck | None = None,
    token_store: TokenStore | None = None,
) -> App:
    """Wire everything for one process. ``admin_transport`` swaps the wire (sandbox, tests);
    ``token_store`` keeps a service app's rotated tokens (default: a 0600 file)."""
    from commands import all_commands, all_jobs, card_reader

    client = admin_client(settings, admin_transport)
    http = admin_http(settings, client, token_store=token_store)
    gate = Gate(policy if policy is not None else Policy.load(settings.policy), membership)
    calling = CallingClient(http, org_id=settings.org_id)
    services = Services(
        gate=gate,
        calling=calling,
        trunks=TrunkAdmin(calling),
        admin_http=http,
        store=store,
        org_id=settings.org_id,
    )
    router = Router(
        all_commands(services),
        bot_names=bot_names,
        gate=gate,
        resolve_org=services.target_org,
        find_location=services.find_location,
        read_card=card_reader(services),
        audit=store,
        flood=FloodGuard(settings.rate_per_minute, settings.max_in_flight),
    )
    return App(
        settings=settings,
        services=services,
        router=router,
        clients=[client],
        jobs=all_jobs(services),
    )


async def open_app(settings: Settings, **kwargs: Any) -> App:
    """Open the store TRUNKBOT_DATABASE_URL names, then :func:`build_app` around it."""
    from bot.store import open_store

    store = await open_store(settings.effective_database_url)
    if settings.admin_token is None and settings.service_app_client_id:
        # Replicas share the rotated refresh token through the database, not a local file.
        kwargs.setdefault("token_store", KeyedTokenStore(store, settings.service_app_client_id))
    try:
        app = build_app(settings, store=store, **kwargs)
    except BaseException:
        await store.close()
        raise
    app.owns_store = True
    return app
