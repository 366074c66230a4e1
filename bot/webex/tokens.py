"""Service app tokens: refreshed through ``POST /v1/access_token``, kept across restarts.

A Webex service app has a client ID, a client secret and a refresh token (shown once in the
developer portal after a full admin authorizes the app in Control Hub). The access token
that the trunk API needs is obtained from them, lives about 14 days, and is refreshed here:

* :meth:`ServiceAppTokens.token` is the ``token_provider`` of :class:`~bot.webex.http.WebexHttp`.
  It answers the cached access token and refreshes first when there is none yet or it is
  within ``min(10 % of its lifetime, 1 hour)`` of expiry. Concurrent callers share one
  refresh (an :class:`asyncio.Lock`).
* :meth:`ServiceAppTokens.on_unauthorized` is the ``on_unauthorized`` hook: Webex answered 401,
  so refresh once. Concurrent 401s for the same token share that one refresh too.
* The refresh is a form-encoded POST on the admin client (never with an ``Authorization``
  header, never through WebexHttp's bearer path). Webex rotates the refresh token on each use,
  so the new one is saved at once through a :class:`TokenStore`.

The grant itself, and the sentence each refusal gets, is :mod:`bot.webex.oauth_grant`.

No token, secret or form body is ever logged: every token obtained (and the configured ones)
is registered with :data:`bot.logs.SECRETS`, which scrubs it from every log line anyway.

Persistence (which saved tokens a start may use, and the token file) is
:mod:`bot.webex.token_store`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

from bot.errors import BotError, ConfigError
from bot.logs import SECRETS
from bot.webex.oauth_grant import (
    CLIENT_REJECTED,
    REFRESH_REVOKED,
    AccessTokenAnswer,
    RefreshTokenRejected,
    refresh_grant,
)
from bot.webex.token_store import (
    FileTokenStore,
    PersistedTokens,
    TokenStore,
    fingerprint,
    usable_saved,
)

__all__ = [
    "CLIENT_REJECTED",
    "INCOMPLETE",
    "REFRESH_REVOKED",
    "RefreshTokenRejected",
    "ServiceAppTokens",
]

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

REFRESH_MARGIN_FRACTION = 0.10
REFRESH_MARGIN_MAX = 3600.0
#: Warn the operator when the refresh token itself has less than this left.
REFRESH_TOKEN_WARNING = 14 * 86400.0
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)

NO_CREDENTIALS = "No admin credentials: set TRUNKBOT_ADMIN_TOKEN (or the service app settings)."
INCOMPLETE = "The service app settings are incomplete: set {missing} too."
# --- the manager ---------------------------------------------------------------------------


class ServiceAppTokens:
    """The access token of one service app, refreshed before it expires and once on a 401.

    ``client`` is the admin identity's ``httpx.AsyncClient``; its ``base_url`` is the API URL.
    ``store`` None keeps the tokens in memory only. ``clock`` is wall time (``time.time``):
    expiry instants are saved and outlive the process.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        client_id: str,
        client_secret: SecretStr,
        refresh_token: SecretStr,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        configured = refresh_token.get_secret_value()
        SECRETS.add(client_secret.get_secret_value())
        SECRETS.add(configured)
        self.client_id = client_id
        self._client = client
        self._client_secret = client_secret
        self._configured_sha = fingerprint(configured)
        self._refresh_token = configured
        self._refresh_expires_at: float | None = None
        self._access: str | None = None
        self._access_expires_at = 0.0
        self._access_lifetime = 0.0
        self._store = store
        self._clock = clock
        self._timeout = timeout
        self._lock = asyncio.Lock()
        self._loaded = False
        #: Refreshes tried; lets callers that waited for the lock see one was just tried.
        self._attempts = 0
        self._last_error: BotError | None = None
        # The access token this task was last handed (token() and the 401 hook run in the
        # same task inside WebexHttp.request): a 401 for a token already replaced is not
        # refreshed again.
        self._handed: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            f"trunkbot_service_app_token_{id(self)}", default=None
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, client: httpx.AsyncClient, *, store: TokenStore | None = None
    ) -> ServiceAppTokens:
        """From the three TRUNKBOT_SERVICE_APP_* settings; ``store`` defaults to the file."""
        client_id = (settings.service_app_client_id or "").strip()
        secret = settings.service_app_client_secret
        refresh = settings.service_app_refresh_token
        values = {
            "TRUNKBOT_SERVICE_APP_CLIENT_ID": client_id,
            "TRUNKBOT_SERVICE_APP_CLIENT_SECRET": _plain(secret),
            "TRUNKBOT_SERVICE_APP_REFRESH_TOKEN": _plain(refresh),
        }
        missing = [name for name, value in values.items() if not value]
        if len(missing) == len(values):
            raise ConfigError(NO_CREDENTIALS)
        if missing or secret is None or refresh is None:
            raise ConfigError(INCOMPLETE.format(missing=" and ".join(missing)))
        return cls(
            client,
            client_id=client_id,
            client_secret=secret,
            refresh_token=refresh,
            store=store if store is not None else FileTokenStore(),
        )

    # --- the two hooks of WebexHttp ---------------------------------------------------

    async def token(self) -> str:
        """The access token, refreshed first when missing or close to expiry."""
        if not self._usable():
            attempts = self._attempts
            async with self._lock:
                await self._load_once()
                if not self._usable():
                    if self._attempts != attempts and self._last_error is not None:
                        raise self._last_error  # the refresh we waited for failed: same answer
                    await self._refresh("missing" if self._access is None else "expiring")
        token = self._access
        if token is None:  # pragma: no cover - _refresh sets it or raises
            raise ConfigError(NO_CREDENTIALS)
        self._handed.set(token)
        return token

    async def on_unauthorized(self) -> None:
        """Webex answered 401: refresh once, unless another caller already did."""
        failed = self._handed.get()
        attempts = self._attempts
        async with self._lock:
            if self._attempts != attempts:
                return  # a refresh ran while we waited for the lock
            if failed is not None and failed != self._access:
                return  # the token that failed was replaced since this caller got it
            await self._refresh("unauthorized")

    # --- inspection (tests, `trunkbot check`) -----------------------------------------

    @property
    def access_expires_at(self) -> float | None:
        return self._access_expires_at if self._access is not None else None

    @property
    def refresh_expires_at(self) -> float | None:
        return self._refresh_expires_at

    # --- internals --------------------------------------------------------------------

    def _usable(self) -> bool:
        if self._access is None:
            return False
        margin = min(REFRESH_MARGIN_FRACTION * self._access_lifetime, REFRESH_MARGIN_MAX)
        return self._clock() < self._access_expires_at - margin

    async def _load_once(self) -> None:
        if self._loaded or self._store is None:
            return
        saved = self._acceptable(await self._store.load(), reason="start")  # may raise: retried
        self._loaded = True
        if saved is not None:
            self._apply(saved)

    def _acceptable(self, blob: str | None, *, reason: str) -> PersistedTokens | None:
        return usable_saved(
            blob, client_id=self.client_id, configured_sha256=self._configured_sha, reason=reason
        )

    def _apply(self, saved: PersistedTokens) -> None:
        self._refresh_token = saved.refresh_token
        self._refresh_expires_at = saved.refresh_expires_at
        if saved.access_token and saved.access_expires_at and saved.access_lifetime:
            self._access = saved.access_token
            self._access_expires_at = saved.access_expires_at
            self._access_lifetime = saved.access_lifetime
        log.info("service_app.tokens_loaded", extra={"has_access_token": bool(self._access)})

    async def _refresh(self, reason: str) -> None:
        """One refresh (the caller holds the lock); the rotated tokens are saved at once."""
        self._attempts += 1
        try:
            await self._accept(await self._grant(), reason)
        except BotError as exc:
            self._last_error = exc
            raise
        self._last_error = None

    async def _grant(self) -> AccessTokenAnswer | None:
        """The token endpoint's answer, or None when the store already had a newer token."""
        used = self._refresh_token
        try:
            return await self._post(used)
        except RefreshTokenRejected:
            # Another process sharing the store (`trunkbot check` next to `trunkbot run`) may
            # have rotated it since we loaded it: adopt its tokens and try once more.
            if self._store is None:
                raise
            saved = self._acceptable(await self._store.load(), reason="rejected")
            if saved is None or saved.refresh_token == used:
                raise
            self._apply(saved)
            if self._usable() and self._access != self._handed.get():
                return None
            return await self._post(self._refresh_token)

    async def _accept(self, answer: AccessTokenAnswer | None, reason: str) -> None:
        if answer is None:  # adopted from the store, nothing new to save
            return
        SECRETS.add(answer.access_token)
        SECRETS.add(answer.refresh_token)
        now = self._clock()
        self._access = answer.access_token
        self._access_lifetime = answer.expires_in
        self._access_expires_at = now + answer.expires_in
        rotated = answer.refresh_token is not None and answer.refresh_token != self._refresh_token
        if answer.refresh_token is not None:
            self._refresh_token = answer.refresh_token
            if answer.refresh_token_expires_in is not None:
                self._refresh_expires_at = now + answer.refresh_token_expires_in
        log.info(
            "service_app.token_refreshed (%s): valid %.0f h",
            reason,
            answer.expires_in / 3600,
            extra={"reason": reason, "expires_in_s": round(answer.expires_in), "rotated": rotated},
        )
        left = None if self._refresh_expires_at is None else self._refresh_expires_at - now
        if left is not None and left < REFRESH_TOKEN_WARNING:
            log.warning(
                "service_app.refresh_token_expiring in %.0f days: re-authorize the service app "
                "in Control Hub and set TRUNKBOT_SERVICE_APP_REFRESH_TOKEN",
                left / 86400,
            )
        await self._persist()

    async def _persist(self) -> None:
        if self._store is None:
            return
        saved = PersistedTokens(
            client_id=self.client_id,
            configured_refresh_sha256=self._configured_sha,
            refresh_token=self._refresh_token,
            refresh_expires_at=self._refresh_expires_at,
            access_token=self._access,
            access_expires_at=self._access_expires_at,
            access_lifetime=self._access_lifetime,
            saved_at=self._clock(),
        )
        try:
            await self._store.save(saved.model_dump_json())
        except OSError as exc:
            # The old refresh token is already used up: a restart will need a new one.
            log.error(  # noqa: TRY400 - the traceback could carry a path only; keep one line
                "service_app.tokens_not_saved (%s): after a restart the service app needs a new "
                "refresh token",
                type(exc).__name__,
                extra={"error": type(exc).__name__},
            )

    async def _post(self, refresh_token: str) -> AccessTokenAnswer:
        return await refresh_grant(
            self._client,
            client_id=self.client_id,
            client_secret=self._client_secret,
            refresh_token=refresh_token,
            request_timeout=self._timeout,
        )


def _plain(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""
