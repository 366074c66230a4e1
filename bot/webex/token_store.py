"""Where a service app's rotated tokens survive a restart.

The store holds the latest refresh token (and access token) together with the client ID and a
SHA-256 fingerprint of the refresh token that was *configured* when that chain started
(``TRUNKBOT_SERVICE_APP_REFRESH_TOKEN``). On start, :class:`bot.webex.tokens.ServiceAppTokens`
uses the persisted tokens only when both match the current settings:

* same client ID and same configured refresh token → the persisted (rotated) refresh token
  wins: the configured one was used up by the first refresh, and a restart keeps working;
* a different configured refresh token → the operator pasted a new one (after re-authorizing
  the service app): it wins, and the store is overwritten after its first refresh;
* a different client ID → another service app: the persisted tokens are ignored.

If Webex refuses the refresh token as revoked or expired, the store is read once more (another
process sharing it, such as ``trunkbot check`` next to ``trunkbot run``, may have rotated it)
before the operator is told to re-authorize the service app.

:class:`FileTokenStore` keeps this as JSON in ``$XDG_STATE_HOME/trunkbot/service-app-tokens.json``
(``~/.local/state/trunkbot/…``), written atomically (a temporary file, then ``os.replace``),
mode 0600 in a directory created 0700. Any store with async ``load_tokens(key)`` /
``save_tokens(key, blob)`` plugs in through :class:`KeyedTokenStore` (the key is the client ID).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ConfigError
from bot.logs import SECRETS
from bot.settings import default_state_dir

log = logging.getLogger(__name__)

TOKEN_FILE_NAME = "service-app-tokens.json"  # noqa: S105 - a file name


class TokenStore(Protocol):
    """Where the rotated tokens survive a restart: one opaque JSON blob for one service app."""

    async def load(self) -> str | None:
        """The blob last saved, or None when there is none."""
        ...

    async def save(self, blob: str) -> None:
        """Replace the blob (atomically: a crash leaves the old one or the new one)."""
        ...


class TokenBlobStore(Protocol):
    """What a database store offers (``bot.store``): blobs by key."""

    async def load_tokens(self, key: str) -> str | None: ...

    async def save_tokens(self, key: str, blob: str) -> None: ...


@dataclass
class KeyedTokenStore:
    """A :class:`TokenStore` over a keyed blob store; the key is the service app's client ID."""

    store: TokenBlobStore
    key: str

    async def load(self) -> str | None:
        return await self.store.load_tokens(self.key)

    async def save(self, blob: str) -> None:
        await self.store.save_tokens(self.key, blob)


def default_token_path() -> Path:
    return default_state_dir() / TOKEN_FILE_NAME


class FileTokenStore:
    """The blob in a JSON file, mode 0600, replaced atomically; the directory is made 0700."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_token_path()

    async def load(self) -> str | None:
        return await asyncio.to_thread(self._read)

    async def save(self, blob: str) -> None:
        await asyncio.to_thread(self._write, blob)

    def _read(self) -> str | None:
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
            if mode & 0o077:  # someone loosened it: tighten before reading
                log.warning(
                    "service_app.tokens_file_mode %s was %o, set to 600",
                    self.path,
                    mode,
                    extra={"path": str(self.path)},
                )
                os.chmod(self.path, 0o600)
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            # Ignoring it would fall back to a refresh token that has probably been rotated.
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(
                f"The service app token file {self.path} can't be read ({reason}): fix its "
                "owner and permissions, or delete it and set a new "
                "TRUNKBOT_SERVICE_APP_REFRESH_TOKEN."
            ) from None

    def _write(self, blob: str) -> None:
        directory = self.path.parent
        if not directory.is_dir():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(directory, 0o700)  # mkdir's mode is filtered by the umask
        tmp = directory / f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                _make_private(handle.fileno(), tmp)
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        with contextlib.suppress(OSError):  # make the rename durable (not on every platform)
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _make_private(fd: int, path: Path) -> None:
    """Mode 0600 whatever the umask was, and verified (a filesystem may ignore chmod)."""
    os.fchmod(fd, 0o600)
    if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
        raise PermissionError(f"{path} could not be made private (mode 0600)")


class PersistedTokens(BaseModel):
    """The blob's content (JSON). Token fields stay out of ``repr``."""

    model_config = ConfigDict(extra="ignore")

    version: int = 1
    client_id: str
    configured_refresh_sha256: str
    refresh_token: str = Field(min_length=1, repr=False)
    refresh_expires_at: float | None = None
    access_token: str | None = Field(default=None, repr=False)
    access_expires_at: float | None = None
    access_lifetime: float | None = None
    saved_at: float | None = None


def fingerprint(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()


def usable_saved(
    blob: str | None, *, client_id: str, configured_sha256: str, reason: str
) -> PersistedTokens | None:
    """The persisted tokens, if the persistence rule (module docstring) lets a start use them.

    The tokens it answers are registered with :data:`bot.logs.SECRETS`.
    """
    if not blob:
        return None
    try:
        saved = PersistedTokens.model_validate_json(blob)
    except ValidationError:  # its text may quote the blob: never logged
        log.warning("service_app.tokens_unreadable: ignored", extra={"reason": reason})
        return None
    if saved.client_id != client_id:
        log.info(
            "service_app.tokens_ignored: saved for another client ID", extra={"reason": reason}
        )
        return None
    if saved.configured_refresh_sha256 != configured_sha256:
        log.info(
            "service_app.tokens_ignored: a new refresh token is configured",
            extra={"reason": reason},
        )
        return None
    SECRETS.add(saved.refresh_token)
    SECRETS.add(saved.access_token)
    return saved
