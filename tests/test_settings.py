"""Settings: one typed object from env, files and TOML; problems are one line, secrets masked."""

from __future__ import annotations

import os
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


@pytest.mark.parametrize("level", ["debug", "Warning", "ERROR", " critical\n"])
def test_log_level_in_any_case(monkeypatch: pytest.MonkeyPatch, level: str) -> None:
    """A log level is one of Python's five, in any case; it comes out upper-case."""
    monkeypatch.setenv("TRUNKBOT_LOG_LEVEL", level)
    assert load_settings().log_level == level.strip().upper()


@pytest.mark.parametrize("level", ["LOUD", "TRACE", "10"])
def test_an_unknown_log_level_names_the_five(monkeypatch: pytest.MonkeyPatch, level: str) -> None:
    monkeypatch.setenv("TRUNKBOT_LOG_LEVEL", level)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.user_message == (
        "Setting TRUNKBOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL "
        "(any case)."
    )


def test_an_empty_value_is_unset_in_every_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`NAME=` (or only whitespace) never hides a lower source, nor replaces a default."""
    (tmp_path / "tok").write_text(TOKEN + "\n")
    (tmp_path / ".env").write_text("TRUNKBOT_ORG_ID=\nTRUNKBOT_BOT_TOKEN=bot-from-dotenv\n")
    (tmp_path / "c.toml").write_text('org_id = "org-from-toml"\napi_url = ""\n')
    monkeypatch.setenv("TRUNKBOT_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.setenv("TRUNKBOT_ADMIN_TOKEN", "")
    monkeypatch.setenv("TRUNKBOT_ADMIN_TOKEN_FILE", str(tmp_path / "tok"))
    monkeypatch.setenv("TRUNKBOT_BOT_TOKEN", " \n")
    monkeypatch.setenv("TRUNKBOT_WEBHOOK_SECRET", "")
    s = load_settings()
    assert s.admin_token is not None
    assert s.admin_token.get_secret_value() == TOKEN  # the _FILE, despite the empty variable
    assert s.bot_token is not None
    assert s.bot_token.get_secret_value() == "bot-from-dotenv"
    assert s.org_id == "org-from-toml"  # .env's empty value hides nothing
    assert s.api_url == "https://webexapis.com/v1"  # TOML's empty value: the default
    assert s.webhook_secret is None


@pytest.mark.parametrize("source", ["env", "dotenv", "secrets-dir"])
def test_a_token_with_a_trailing_newline_is_the_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str
) -> None:
    """A token pasted with its newline (or a CRLF) works, from any source."""
    if source == "env":
        monkeypatch.setenv("TRUNKBOT_BOT_TOKEN", TOKEN + "\r\n")
    elif source == "dotenv":
        (tmp_path / ".env").write_text(f'TRUNKBOT_BOT_TOKEN="{TOKEN}\\n"\n')
    else:
        (tmp_path / "secrets").mkdir()
        (tmp_path / "secrets" / "trunkbot_bot_token").write_text(TOKEN + "\n\n")
        monkeypatch.setenv("TRUNKBOT_SECRETS_DIR", str(tmp_path / "secrets"))
    s = load_settings()
    assert s.bot_token is not None
    assert s.bot_token.get_secret_value() == TOKEN


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apl_url = 'x'\n", "unknown setting `apl_url` (did you mean `api_url`?)"),
        ("API_URL = 'x'\n", "unknown setting `API_URL` (did you mean `api_url`?)"),
        ("[webex]\napi_url = 'x'\n", "unknown setting `webex`: keys are"),
        ("frobnicate = 1\n", "unknown setting `frobnicate`: keys are"),
        ("api_url = \n", "is not valid TOML: Invalid value (at line 1, column 11)."),
        ("org_id = 'a'\n\nbot_token 'x'\n", "is not valid TOML: Expected '=' after a key"),
    ],
    ids=["typo", "upper-case", "table", "no-match", "no-value", "no-equals"],
)
def test_config_file_problems_are_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, message: str
) -> None:
    """An unknown key is refused with the nearest setting; a syntax error names line, column."""
    (tmp_path / "c.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "c.toml")
    assert message in err.value.user_message
    assert str(tmp_path / "c.toml") in err.value.user_message
    assert "\n" not in err.value.user_message
    if "Expected" in message:
        assert "(at line 3, column 11)" in err.value.user_message
    assert "'x'" not in err.value.user_message


def test_config_file_is_read_without_touching_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--config`` applies to that load only: TRUNKBOT_CONFIG is never written, a later load
    without it doesn't see the file, and it wins over TRUNKBOT_CONFIG."""
    monkeypatch.delenv("TRUNKBOT_CONFIG", raising=False)
    (tmp_path / "c.toml").write_text('org_id = "from-config"\n')
    assert load_settings(tmp_path / "c.toml").org_id == "from-config"
    assert "TRUNKBOT_CONFIG" not in os.environ
    assert load_settings().org_id is None
    (tmp_path / "env.toml").write_text('org_id = "from-env-config"\n')
    monkeypatch.setenv("TRUNKBOT_CONFIG", str(tmp_path / "env.toml"))
    assert load_settings().org_id == "from-env-config"
    assert load_settings(tmp_path / "c.toml").org_id == "from-config"
    assert os.environ["TRUNKBOT_CONFIG"] == str(tmp_path / "env.toml")
