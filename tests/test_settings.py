"""Settings: one typed object from env, files and TOML; problems are one line, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ConfigError
from bot.settings import load_settings

TOKEN = "ZmFrZS1hZG1pbi10b2tlbi0xMjM0NTY3ODkw"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts with no TRUNKBOT_* variable and an empty working directory."""
    import os

    for key in list(os.environ):
        if key.startswith("TRUNKBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TRUNKBOT_SECRETS_DIR", str(tmp_path / "no-secrets"))
    monkeypatch.chdir(tmp_path)


def test_defaults_match_the_contract() -> None:
    """With nothing set, the documented defaults apply."""
    s = load_settings()
    assert s.api_url == "https://webexapis.com/v1"
    assert s.u2c_url == "https://u2c.wbx2.com/u2c/api/v1/catalog"
    assert s.policy == Path("policy.toml")
    assert s.admin_token is None
    assert s.effective_database_url.startswith("sqlite:///")


def test_env_secret_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A token from the environment is a SecretStr: repr never shows it."""
    monkeypatch.setenv("TRUNKBOT_ADMIN_TOKEN", TOKEN)
    s = load_settings()
    assert s.admin_token is not None
    assert s.admin_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(s)
    assert TOKEN not in str(s)


@pytest.mark.parametrize("source", ["file-var", "secrets-dir", "dotenv", "toml"])
def test_every_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str) -> None:
    """The admin token can come from a _FILE variable, a secrets dir, .env or a TOML file."""
    if source == "file-var":
        (tmp_path / "tok").write_text(TOKEN + "\n")
        monkeypatch.setenv("TRUNKBOT_ADMIN_TOKEN_FILE", str(tmp_path / "tok"))
    elif source == "secrets-dir":
        (tmp_path / "secrets").mkdir()
        (tmp_path / "secrets" / "trunkbot_admin_token").write_text(TOKEN)
        monkeypatch.setenv("TRUNKBOT_SECRETS_DIR", str(tmp_path / "secrets"))
    elif source == "dotenv":
        (tmp_path / ".env").write_text(f"TRUNKBOT_ADMIN_TOKEN={TOKEN}\n")
    else:
        (tmp_path / "c.toml").write_text(
            f'admin_token = "{TOKEN}"\napi_url = "https://x.test/v1/"\n'
        )
        monkeypatch.setenv("TRUNKBOT_CONFIG", str(tmp_path / "c.toml"))
    s = load_settings()
    assert s.admin_token is not None
    assert s.admin_token.get_secret_value() == TOKEN
    if source == "toml":
        assert s.api_url == "https://x.test/v1"


def test_env_beats_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An environment variable wins over .env."""
    (tmp_path / ".env").write_text("TRUNKBOT_ORG_ID=from-dotenv\n")
    monkeypatch.setenv("TRUNKBOT_ORG_ID", "from-env")
    assert load_settings().org_id == "from-env"


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("TRUNKBOT_API_URL", "webexapis.com", "TRUNKBOT_API_URL must be an http(s) URL"),
        ("TRUNKBOT_LOG_FORMAT", "xml", "TRUNKBOT_LOG_FORMAT must be text or json"),
        ("TRUNKBOT_CONFIG", "/nonexistent/trunkbot.toml", "does not exist"),
        ("TRUNKBOT_ADMIN_TOKEN_FILE", "/nonexistent/token", "can't be read"),
    ],
    ids=["url", "log-format", "config-missing", "secret-file-missing"],
)
def test_config_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, fragment: str
) -> None:
    """A bad setting raises ConfigError with one line that names it."""
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert fragment in err.value.user_message
    assert "\n" not in err.value.user_message


def test_cli_config_error_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI prints the one line on stderr and exits with 2."""
    monkeypatch.setenv("TRUNKBOT_API_URL", f"ftp://{TOKEN}")
    assert main(["check"]) == 2
    out = capsys.readouterr()
    assert out.err.count("\n") == 1
    assert "TRUNKBOT_API_URL" in out.err
    assert TOKEN not in out.err + out.out
