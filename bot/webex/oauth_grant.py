"""The service app's token endpoint: one refresh-token grant and what its answer means.

``POST /v1/access_token`` (form-encoded, RFC 6749 §6) answers a new access token and,
because Webex rotates it on each use, a new refresh token. Its refusals become
:mod:`bot.errors` types with one sentence for the operator: ``invalid_grant`` is a
:class:`RefreshTokenRejected` (a ConfigError), ``invalid_client`` a ConfigError, other 4xx a
WebexAuthError, no answer a WebexUnreachable. Caching, the refresh schedule and persistence
are :mod:`bot.webex.tokens`'s.

No token, secret or form body is ever logged.
"""

from __future__ import annotations

import logging

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from bot.errors import ConfigError, WebexAuthError
from bot.logs import SECRETS
from bot.webex.errors import bad_response, error_for_exception, error_for_status

__all__ = [
    "ACCESS_TOKEN_PATH",
    "CLIENT_REJECTED",
    "REFRESH_REFUSED",
    "REFRESH_REVOKED",
    "AccessTokenAnswer",
    "RefreshTokenRejected",
    "refresh_grant",
]

log = logging.getLogger("bot.webex.tokens")  # the service app's log lines keep one logger name

ACCESS_TOKEN_PATH = "/access_token"  # noqa: S105 - a path, relative to the client's base URL (TRUNKBOT_API_URL)

REFRESH_REVOKED = (
    "Webex refused the service app's refresh token as revoked or expired: re-authorize the "
    "service app in Control Hub and put its new refresh token in "
    "TRUNKBOT_SERVICE_APP_REFRESH_TOKEN."
)
CLIENT_REJECTED = (
    "Webex refused the service app's client ID or secret: check "
    "TRUNKBOT_SERVICE_APP_CLIENT_ID and TRUNKBOT_SERVICE_APP_CLIENT_SECRET against the "
    "service app on developer.webex.com."
)
REFRESH_REFUSED = (
    "Webex refused to refresh the service app's access token. Ask the bot's operator to run "
    "`trunkbot check`."
)


class RefreshTokenRejected(ConfigError):
    """``invalid_grant``: the refresh token was revoked, expired, or already rotated away."""


# --- the token endpoint's answers --------------------------------------------------------


class AccessTokenAnswer(BaseModel):
    """``POST /v1/access_token`` → 200."""

    model_config = ConfigDict(extra="ignore")

    access_token: str = Field(min_length=1, repr=False)
    expires_in: float = Field(gt=0)
    refresh_token: str | None = Field(default=None, min_length=1, repr=False)
    refresh_token_expires_in: float | None = Field(default=None, gt=0)


class OAuthErrorAnswer(BaseModel):
    """``{"error": …, "error_description": …}`` (RFC 6749 §5.2)."""

    model_config = ConfigDict(extra="ignore")

    error: str
    error_description: str | None = None


async def refresh_grant(
    client: httpx.AsyncClient,
    *,
    client_id: str,
    client_secret: SecretStr,
    refresh_token: str,
    request_timeout: httpx.Timeout,
) -> AccessTokenAnswer:
    """``POST /access_token`` with a refresh-token grant: the answer, or a BotError.

    A form-encoded POST on ``client`` (its ``base_url`` is the API URL), never with an
    ``Authorization`` header: the grant is the credential.
    """
    form = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": client_secret.get_secret_value(),
        "refresh_token": refresh_token,
    }
    request = client.build_request(
        "POST",
        ACCESS_TOKEN_PATH,
        data=form,
        headers={"Accept": "application/json"},
        timeout=request_timeout,
    )
    request.headers.pop("Authorization", None)  # the grant is the credential, no bearer
    path = request.url.path
    try:
        response = await client.send(request)
    except httpx.HTTPError as exc:
        log.warning(
            "service_app.refresh_failed: %s",
            type(exc).__name__,
            extra={"error": type(exc).__name__},
        )
        raise error_for_exception(exc, method="POST", path=path) from None
    status = response.status_code
    if status == 200:
        try:
            return AccessTokenAnswer.model_validate_json(response.content)
        except ValidationError:  # its text would quote the tokens
            log.warning("service_app.refresh_unreadable", extra={"status": status})
            raise bad_response(response) from None
    error, description = _oauth_error(response)
    log.warning(
        "service_app.refresh_refused: HTTP %d %s",
        status,
        error or "-",
        extra={"status": status, "oauth_error": error or ""},
    )
    if error == "invalid_grant":
        raise RefreshTokenRejected(REFRESH_REVOKED)
    if error == "invalid_client" or status == 401:
        raise ConfigError(CLIENT_REJECTED)
    if 400 <= status < 500 and status != 429:
        said = description or error
        raise WebexAuthError(
            REFRESH_REFUSED,
            status=status,
            description=SECRETS.scrub(said) if said else None,
            tracking_id=response.headers.get("trackingid"),
            method="POST",
            path=path,
        )
    raise error_for_status(response, method="POST")


def _oauth_error(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = OAuthErrorAnswer.model_validate_json(response.content)
    except ValidationError:
        return None, None
    description = (body.error_description or "").strip()[:300] or None
    return body.error.strip()[:64] or None, description
