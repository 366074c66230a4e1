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

import difflib
import importlib
import os
import tomllib
from contextvars import ContextVar
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
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_API_URL = "https://webexapis.com/v1"
# ``--config`` for the load under way (load_settings sets it around Settings()); the sources
# read it instead of the process environment, which nothing here writes.
_CONFIG_FILE: ContextVar[Path | None] = ContextVar("trunkbot_config_file", default=None)
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


class _Cleaned(PydanticBaseSettingsSource):
    """Another source's values with surrounding whitespace cut, and empty ones left out.

    ``TRUNKBOT_ADMIN_TOKEN=`` (or a value of only a newline) counts as unset wherever it comes
    from, so it never hides the same setting in a lower source (``…_FILE``, secrets, TOML),
    and a token pasted with a trailing newline is the token.
    """

    def __init__(self, inner: PydanticBaseSettingsSource) -> None:
        super().__init__(inner.settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # not used: __call__ asks the wrapped source

    # pydantic-settings hands every source what the higher ones found: pass it on.
    def _set_current_state(self, state: dict[str, Any]) -> None:
        super()._set_current_state(state)
        self._inner._set_current_state(state)

    def _set_settings_sources_data(self, states: dict[str, dict[str, Any]]) -> None:
        super()._set_settings_sources_data(states)
        self._inner._set_settings_sources_data(states)

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self._inner().items():
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
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
    # Webhook mode: the public https:// URL where `serve` receives Webex's webhooks (what
    # `trunkbot check` expects the bot's webhooks to point at; `webhooks sync`'s default).
    webhook_url: str | None = None
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

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// URL (Webex posts to it)")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise ValueError("must be text or json")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError("must be one of " + ", ".join(LOG_LEVELS) + " (any case)")
        return level

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
            _Cleaned(env_settings),
            _Cleaned(_FileEnvSource(settings_cls)),
            _Cleaned(dotenv_settings),
        ]
        secrets_dir = Path(os.environ.get(f"{ENV_PREFIX}SECRETS_DIR", "/run/secrets"))
        if secrets_dir.is_dir():
            from pydantic_settings import SecretsSettingsSource

            secrets = SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir)
            sources.append(_Cleaned(secrets))
        config = _config_file(_CONFIG_FILE.get())
        if config:
            toml = TomlConfigSettingsSource(settings_cls, toml_file=config)
            sources.append(_Cleaned(toml))
        return tuple(sources)


POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
POSTGRES_DRIVER_MISSING = (
    "TRUNKBOT_DATABASE_URL names a PostgreSQL database, but the PostgreSQL driver is not "
    "installed: pip install 'trunkbot[postgres]' (or use the default SQLite store)."
)


def database_driver_problem(url: str) -> str | None:
    """The sentence for a PostgreSQL URL without psycopg installed (an optional extra)."""
    if not url.startswith(POSTGRES_SCHEMES):
        return None
    try:
        importlib.import_module("psycopg")
        importlib.import_module("psycopg_pool")
    except ImportError:
        return POSTGRES_DRIVER_MISSING
    return None


def check_config_file(path: Path) -> None:
    """The TOML config file parses and every key in it is a setting; ConfigError otherwise.

    A typo must not pass silently (``apl_url`` would leave the default in force), so an
    unknown key is refused with the nearest real name. No value is ever echoed.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"The config file {path} can't be read ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"The config file {path} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message is fixed text plus "(at line L, column C)": no file content.
        raise ConfigError(
            f"The config file {path} is not valid TOML: {str(exc).splitlines()[0]}."
        ) from None
    fields = list(Settings.model_fields)
    for key in data:
        if key in fields:
            continue
        plain = key.lower().removeprefix(ENV_PREFIX.lower())
        close = [plain] if plain in fields else difflib.get_close_matches(plain, fields, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        raise ConfigError(
            f"The config file {path} has an unknown setting `{key[:60]}`{hint}: keys are the "
            "setting names in lower case without TRUNKBOT_, e.g. api_url."
        )


def _config_file(given: Path | None) -> Path | None:
    """The TOML file to read: ``--config`` when given, else ``TRUNKBOT_CONFIG`` if set."""
    if given is not None:
        return given
    named = os.environ.get(f"{ENV_PREFIX}CONFIG")
    return Path(named) if named else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load Settings, turning every problem into one ConfigError line (no values echoed).

    ``config_file`` (``--config``) is handed to the settings sources for this one load; the
    process environment is never written."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"The config file {config_file} does not exist.")
    else:
        env_config = os.environ.get(f"{ENV_PREFIX}CONFIG")
        if env_config and not Path(env_config).is_file():
            raise ConfigError(f"{ENV_PREFIX}CONFIG names {env_config}, which does not exist.")
    config = _config_file(config_file)
    if config:
        check_config_file(config)
    token = _CONFIG_FILE.set(config_file)
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
    finally:
        _CONFIG_FILE.reset(token)
