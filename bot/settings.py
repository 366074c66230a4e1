"""One typed Settings object, loaded once at the edge (the CLI) and passed inward.

Sources, highest priority first:

1. values passed in code (tests build Settings this way, with a clean environment);
2. environment variables ``TRUNKBOT_*``;
3. ``TRUNKBOT_<NAME>_FILE`` — a file holding the value (Docker/systemd secrets style);
4. a ``.env`` file in the working directory;
5. a secrets directory (``TRUNKBOT_SECRETS_DIR``, default ``/run/secrets``) with one file per
   setting, named ``trunkbot_bot_token`` and so on;
6. a TOML file named by ``--config`` / ``TRUNKBOT_CONFIG`` with lower-case keys
   (``api_url = "…"``).

Secrets are :class:`~pydantic.SecretStr`: masked in ``repr`` and never logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.errors import ConfigError

ENV_PREFIX = "TRUNKBOT_"
DEFAULT_API_URL = "https://webexapis.com/v1"
DEFAULT_U2C_URL = "https://u2c.wbx2.com/u2c/api/v1/catalog"


def default_state_dir() -> Path:
    """Where the embedded SQLite store lives: $XDG_STATE_HOME/trunkbot or ~/.local/state."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "trunkbot"


class _FileEnvSource(PydanticBaseSettingsSource):
    """``TRUNKBOT_<NAME>_FILE=/path`` reads the setting from that file (trailing newline cut)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        var = f"{ENV_PREFIX}{field_name.upper()}_FILE"
        path = os.environ.get(var)
        if not path:
            return None, field_name, False
        try:
            return Path(path).read_text(encoding="utf-8").strip(), field_name, False
        except OSError as exc:
            raise ConfigError(
                f"{var} names {path}, which can't be read ({exc.strerror})."
            ) from None

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, info in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(info, name)
            if value is not None:
                out[key] = value
        return out


class Settings(BaseSettings):
    """Everything Trunkbot can be told; names and defaults are in the README."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    admin_token: SecretStr | None = None
    service_app_client_id: str | None = None
    service_app_client_secret: SecretStr | None = None
    service_app_refresh_token: SecretStr | None = None
    api_url: str = DEFAULT_API_URL
    u2c_url: str = DEFAULT_U2C_URL
    org_id: str | None = None
    policy: Path = Field(default_factory=lambda: Path("policy.toml"))
    database_url: str | None = None
    webhook_secret: SecretStr | None = None
    log_format: str = "text"
    log_level: str = "INFO"
    # Flood control (per person): commands a minute, and commands in flight at once.
    rate_per_minute: int = Field(default=10, ge=1, le=10_000)
    max_in_flight: int = Field(default=3, ge=1, le=1_000)
    # Messages and card actions older than this (by Webex's `created` time) are ignored.
    max_event_age: float = Field(default=3600.0, gt=0)

    @field_validator("api_url", "u2c_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise ValueError("must be text or json")
        return value

    @property
    def has_admin_credentials(self) -> bool:
        return self.admin_token is not None or self.service_app_refresh_token is not None

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{default_state_dir() / 'trunkbot.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            env_settings,
            _FileEnvSource(settings_cls),
            dotenv_settings,
        ]
        secrets_dir = Path(os.environ.get(f"{ENV_PREFIX}SECRETS_DIR", "/run/secrets"))
        if secrets_dir.is_dir():
            from pydantic_settings import SecretsSettingsSource

            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir))
        config = os.environ.get(f"{ENV_PREFIX}CONFIG")
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load Settings, turning every problem into one ConfigError line (no values echoed)."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"The config file {config_file} does not exist.")
        os.environ[f"{ENV_PREFIX}CONFIG"] = str(config_file)
    else:
        env_config = os.environ.get(f"{ENV_PREFIX}CONFIG")
        if env_config and not Path(env_config).is_file():
            raise ConfigError(f"{ENV_PREFIX}CONFIG names {env_config}, which does not exist.")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ENV_PREFIX + "_".join(str(p) for p in first["loc"]).upper()
        # pydantic's own message may embed the value; we name the setting and the rule only.
        rule = first.get("msg", "is invalid").removeprefix("Value error, ")
        raise ConfigError(f"Setting {name} {rule}.") from None
    except ValueError as exc:  # a malformed TOML config file
        raise ConfigError(f"The config file can't be read: {type(exc).__name__}.") from None
