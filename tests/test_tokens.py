"""Service app tokens against the sandbox's token endpoint: first token, expiry, 401,
concurrency, the rotated refresh token surviving a restart, the operator's override, the
failures' sentences — and no token, refresh token or client secret in any log line.

Only the transport is swapped (``SandboxTransport``); time is a settable clock handed to
``ServiceAppTokens`` (the sandbox's own expiry is set on its grants).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.app import build_app
from bot.auth import Policy
from bot.check import run_check
from bot.errors import ConfigError, WebexServerError, WebexUnreachable
from bot.settings import Settings
from bot.store import open_store
from bot.webex.errors import user_sentence
from bot.webex.http import WebexHttp
from bot.webex.token_store import FileTokenStore, KeyedTokenStore, TokenStore, fingerprint
from bot.webex.tokens import (
    CLIENT_REJECTED,
    INCOMPLETE,
    REFRESH_REVOKED,
    RefreshTokenRejected,
    ServiceAppTokens,
)
from webexfake.calling import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    SandboxState,
    SandboxTransport,
    serve,
)
from webexfake.calling.state import ACCESS_TOKEN_LIFETIME

API = "https://webexapis.com/v1"
POLICY = (
    '[[grant]]\npeople=["a@example.com"]\nactions=["trunk.create"]\nlocations=["*"]\norgs=["*"]\n'
)


@dataclass
class Clock:
    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    state: SandboxState
    client: httpx.AsyncClient
    store: FileTokenStore
    clock: Clock

    def tokens(
        self,
        *,
        refresh_token: str = DEMO_REFRESH_TOKEN,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        store: TokenStore | None = None,
    ) -> ServiceAppTokens:
        return ServiceAppTokens(
            self.client,
            client_id=client_id,
            client_secret=SecretStr(client_secret),
            refresh_token=SecretStr(refresh_token),
            store=store if store is not None else self.store,
            clock=self.clock,
        )

    def http(self, tokens: ServiceAppTokens) -> WebexHttp:
        return WebexHttp(self.client, tokens.token, on_unauthorized=tokens.on_unauthorized)

    def refreshes(self) -> list[str]:
        """The refresh token sent by each POST /access_token, in order."""
        return [
            (c.form or {}).get("refresh_token", "")
            for c in self.state.calls("POST", "/access_token")
        ]

    def bearer_of(self, path: str) -> list[str]:
        return [
            c.headers.get("authorization", "").removeprefix("Bearer ")
            for c in self.state.calls("GET", path)
        ]

    def saved(self) -> dict[str, object]:
        data = json.loads(self.store.path.read_text())
        assert isinstance(data, dict)
        return data

    def secrets(self) -> set[str]:
        """Every credential the sandbox ever issued or accepted for the service app."""
        values = {DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN}
        values |= set(self.state.tokens) | set(self.state.refresh_tokens)
        for call in self.state.calls("POST", "/access_token"):
            values.add((call.form or {}).get("refresh_token", ""))
        values.discard("")
        return values


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    state = SandboxState.seeded()
    transport = SandboxTransport(state)
    async with httpx.AsyncClient(transport=transport, base_url=API) as client:
        yield Rig(state, client, FileTokenStore(tmp_path / "state" / "tokens.json"), Clock())


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TRUNKBOT_* from the developer's shell; the state directory in tmp_path."""
    for key in list(os.environ):
        if key.startswith("TRUNKBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TRUNKBOT_SECRETS_DIR", str(tmp_path / "no-secrets"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.toml").write_text(POLICY)
    return tmp_path / "xdg" / "trunkbot"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def service_app_settings(api_url: str = API, **extra: object) -> Settings:
    values: dict[str, object] = {
        "admin_token": None,
        "service_app_client_id": DEMO_CLIENT_ID,
        "service_app_client_secret": SecretStr(DEMO_CLIENT_SECRET),
        "service_app_refresh_token": SecretStr(DEMO_REFRESH_TOKEN),
        "api_url": api_url,
        "policy": Path("policy.toml"),
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


# --- getting and refreshing ---------------------------------------------------------------


async def test_first_token_comes_from_a_refresh_without_a_bearer(rig: Rig) -> None:
    tokens = rig.tokens()
    me = await rig.http(tokens).get_json("/people/me")

    assert me["displayName"] == "Sandbox Admin"
    [post] = rig.state.calls("POST", "/access_token")
    assert "authorization" not in post.headers
    assert post.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert post.form == {
        "grant_type": "refresh_token",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "refresh_token": DEMO_REFRESH_TOKEN,
    }
    access = await tokens.token()
    assert rig.bearer_of("/people/me") == [access]
    assert tokens.access_expires_at == pytest.approx(rig.clock.now + ACCESS_TOKEN_LIFETIME)
    assert len(rig.state.calls("POST", "/access_token")) == 1  # cached


async def test_near_expiry_the_token_is_refreshed_before_use(rig: Rig) -> None:
    tokens = rig.tokens()
    http = rig.http(tokens)
    first = await tokens.token()
    expires = tokens.access_expires_at
    assert expires is not None

    rig.clock.now = expires - 2 * 3600  # outside the 1-hour margin: kept
    assert await tokens.token() == first
    rig.clock.now = expires - 30 * 60  # inside it: refreshed before the call goes out
    await http.get_json("/people/me")

    second = await tokens.token()
    assert second != first
    assert rig.bearer_of("/people/me") == [second]  # the old token was never sent
    assert len(rig.state.calls("POST", "/access_token")) == 2


async def test_a_401_refreshes_once_then_the_call_succeeds(rig: Rig) -> None:
    tokens = rig.tokens()
    http = rig.http(tokens)
    first = await tokens.token()
    rig.state.revoke_token(first)  # Webex forgot it before its expiry

    locations = await http.get_json("/telephony/config/locations")

    second = await tokens.token()
    assert locations["locations"]
    assert rig.bearer_of("/telephony/config/locations") == [first, second]
    assert len(rig.state.calls("POST", "/access_token")) == 2


async def test_twenty_callers_at_expiry_share_one_refresh(rig: Rig) -> None:
    tokens = rig.tokens()
    http = rig.http(tokens)
    first = await tokens.token()
    rig.state.tokens[first].expires_at = time.time() - 1  # the sandbox says 401 to it too
    rig.clock.now += ACCESS_TOKEN_LIFETIME

    answers = await asyncio.gather(*(http.get_json("/people/me") for _ in range(20)))

    assert all(a["displayName"] == "Sandbox Admin" for a in answers)
    assert len(rig.state.calls("POST", "/access_token")) == 2  # the first token, then one
    assert set(rig.bearer_of("/people/me")) == {await tokens.token()}


async def test_twenty_callers_from_cold_share_one_refresh(rig: Rig) -> None:
    tokens = rig.tokens()
    got = await asyncio.gather(*(tokens.token() for _ in range(20)))
    assert len(set(got)) == 1
    assert len(rig.state.calls("POST", "/access_token")) == 1


async def test_twenty_concurrent_401s_share_one_refresh(rig: Rig) -> None:
    tokens = rig.tokens()
    http = rig.http(tokens)
    rig.state.revoke_token(await tokens.token())

    await asyncio.gather(*(http.get_json("/people/me") for _ in range(20)))

    assert len(rig.state.calls("POST", "/access_token")) == 2
    assert len(rig.state.calls("GET", "/people/me")) == 40  # each: a 401, then a success


# --- persistence ----------------------------------------------------------------------------


async def test_the_rotated_refresh_token_is_saved_private(rig: Rig) -> None:
    tokens = rig.tokens()
    access = await tokens.token()

    saved = rig.saved()
    assert mode(rig.store.path) == 0o600
    assert mode(rig.store.path.parent) == 0o700
    assert saved["client_id"] == DEMO_CLIENT_ID
    assert saved["refresh_token"] in rig.state.refresh_tokens  # the rotated, live one
    assert saved["refresh_token"] != DEMO_REFRESH_TOKEN
    assert saved["configured_refresh_sha256"] == fingerprint(DEMO_REFRESH_TOKEN)
    assert saved["access_token"] == access
    assert saved["access_expires_at"] == pytest.approx(rig.clock.now + ACCESS_TOKEN_LIFETIME)
    assert saved["refresh_expires_at"]
    assert [p.name for p in rig.store.path.parent.iterdir()] == [rig.store.path.name]


async def test_after_a_restart_the_saved_refresh_token_is_used(rig: Rig) -> None:
    await rig.tokens().token()
    rotated = rig.saved()["refresh_token"]
    assert DEMO_REFRESH_TOKEN not in rig.state.refresh_tokens  # the configured one is spent

    # Restart soon after: the saved access token is still good, no refresh at all.
    soon = rig.tokens()
    await rig.http(soon).get_json("/people/me")
    assert len(rig.state.calls("POST", "/access_token")) == 1

    # Restart after the access token expired: the saved, rotated refresh token is used.
    rig.clock.now += ACCESS_TOKEN_LIFETIME
    later = rig.tokens()
    me = await rig.http(later).get_json("/people/me")

    assert me["displayName"] == "Sandbox Admin"
    assert rig.refreshes() == [DEMO_REFRESH_TOKEN, rotated]
    assert rig.saved()["refresh_token"] in rig.state.refresh_tokens


async def test_a_new_configured_refresh_token_overrides_the_file(rig: Rig) -> None:
    await rig.tokens().token()
    # The operator re-authorized the service app and pasted its new refresh token.
    fresh = rig.state.issue_refresh_token("OPERATOR-NEW-REFRESH-TOKEN-0001", DEMO_CLIENT_ID)

    tokens = rig.tokens(refresh_token=fresh)
    await rig.http(tokens).get_json("/people/me")

    assert rig.refreshes()[-1] == fresh
    assert rig.saved()["configured_refresh_sha256"] == fingerprint(fresh)

    # …and from now on its rotated successor is the one kept across restarts.
    rig.clock.now += ACCESS_TOKEN_LIFETIME
    await rig.tokens(refresh_token=fresh).token()
    assert rig.refreshes()[-1] not in (fresh, DEMO_REFRESH_TOKEN)


async def test_a_file_of_another_client_id_is_ignored(rig: Rig) -> None:
    other_id = "C-another-service-app"
    rig.state.add_client(other_id, "other-secret-value")
    other_refresh = rig.state.issue_refresh_token("OTHER-APP-REFRESH-TOKEN-0001", other_id)
    await rig.tokens(
        client_id=other_id, client_secret="other-secret-value", refresh_token=other_refresh
    ).token()

    await rig.tokens().token()  # same fingerprint would not matter: another app's tokens

    assert rig.refreshes() == [other_refresh, DEMO_REFRESH_TOKEN]
    assert rig.saved()["client_id"] == DEMO_CLIENT_ID


async def test_a_corrupt_file_falls_back_to_the_configured_token(rig: Rig) -> None:
    rig.store.path.parent.mkdir(parents=True)
    rig.store.path.write_text('{"refresh_token": ')
    await rig.tokens().token()
    assert rig.refreshes() == [DEMO_REFRESH_TOKEN]
    assert rig.saved()["client_id"] == DEMO_CLIENT_ID


async def test_a_token_rotated_by_another_process_is_picked_up(rig: Rig) -> None:
    """`trunkbot check` next to `trunkbot run`: both share the file; one rotates."""
    running = rig.tokens()
    await running.token()
    checker = rig.tokens()
    await checker.token()  # the saved access token: no refresh
    assert len(rig.state.calls("POST", "/access_token")) == 1
    await checker.on_unauthorized()  # rotates: `running` now holds a spent refresh token
    newest = rig.saved()["refresh_token"]

    rig.clock.now += ACCESS_TOKEN_LIFETIME
    await rig.http(running).get_json("/people/me")

    assert rig.refreshes()[-1] == newest
    assert len(rig.state.calls("POST", "/access_token")) == 4  # incl. one invalid_grant


async def test_the_file_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "deep" / "dir" / "tokens.json")
    old = os.umask(0)
    try:
        await store.save('{"a": 1}')
        await store.save('{"a": 2}')  # replaced, still private
    finally:
        os.umask(old)
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    assert await store.load() == '{"a": 2}'
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["tokens.json"]


async def test_a_loosened_file_is_tightened_on_load(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    await store.save("{}")
    store.path.chmod(0o644)
    assert await store.load() == "{}"
    assert mode(store.path) == 0o600
    assert await FileTokenStore(tmp_path / "missing.json").load() is None


async def test_a_keyed_store_plugs_in_with_the_client_id_as_key(rig: Rig) -> None:
    class Blobs:
        def __init__(self) -> None:
            self.rows: dict[str, str] = {}

        async def load_tokens(self, key: str) -> str | None:
            return self.rows.get(key)

        async def save_tokens(self, key: str, blob: str) -> None:
            self.rows[key] = blob

    blobs = Blobs()
    store = KeyedTokenStore(blobs, DEMO_CLIENT_ID)
    await rig.tokens(store=store).token()
    rig.clock.now += ACCESS_TOKEN_LIFETIME
    await rig.tokens(store=store).token()

    assert list(blobs.rows) == [DEMO_CLIENT_ID]
    assert rig.refreshes()[1] not in (DEMO_REFRESH_TOKEN, "")
    assert not rig.store.path.exists()


# --- failures -------------------------------------------------------------------------------


async def test_a_revoked_refresh_token_is_one_clear_sentence(rig: Rig) -> None:
    rig.state.refresh_tokens.clear()  # revoked in Control Hub
    tokens = rig.tokens()

    with pytest.raises(RefreshTokenRejected) as caught:
        await rig.http(tokens).get_json("/people/me")

    error = caught.value
    assert isinstance(error, ConfigError)
    assert error.user_message == REFRESH_REVOKED
    assert "re-authorize the service app in Control Hub" in REFRESH_REVOKED
    assert "TRUNKBOT_SERVICE_APP_REFRESH_TOKEN" in REFRESH_REVOKED
    assert REFRESH_REVOKED.count(". ") == 0  # one sentence
    assert REFRESH_REVOKED.endswith(".")
    shown = user_sentence(error) + str(error) + repr(error)
    for secret in (DEMO_REFRESH_TOKEN, DEMO_CLIENT_SECRET):
        assert secret not in shown
    assert not rig.state.calls("GET", "/people/me")  # no call went out without a token


async def test_twenty_callers_with_a_revoked_token_share_one_refusal(rig: Rig) -> None:
    rig.state.refresh_tokens.clear()
    tokens = rig.tokens()
    results = await asyncio.gather(*(tokens.token() for _ in range(20)), return_exceptions=True)
    assert all(isinstance(r, RefreshTokenRejected) for r in results)
    assert len(rig.state.calls("POST", "/access_token")) == 1


async def test_a_wrong_client_secret_names_the_settings(rig: Rig) -> None:
    with pytest.raises(ConfigError) as caught:
        await rig.tokens(client_secret="not-the-secret-0000").token()
    assert caught.value.user_message == CLIENT_REJECTED
    assert "not-the-secret-0000" not in str(caught.value)


async def test_no_answer_is_webex_unreachable(rig: Rig) -> None:
    rig.state.faults.add("reset", method="POST", path_suffix="/access_token")
    with pytest.raises(WebexUnreachable):
        await rig.tokens().token()
    rig.state.faults.add("status", method="POST", path_suffix="/access_token", status=503)
    with pytest.raises(WebexServerError):
        await rig.tokens().token()
    await rig.tokens().token()  # both faults spent: the next try works
    assert rig.refreshes()[-1] == DEMO_REFRESH_TOKEN


async def test_nothing_secret_is_logged_at_debug(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = rig.tokens()
    http = rig.http(tokens)
    await http.get_json("/people/me")  # first token
    rig.clock.now = (tokens.access_expires_at or 0) - 60
    await http.get_json("/people/me")  # near expiry
    rig.state.revoke_token(await tokens.token())
    await http.get_json("/people/me")  # 401
    rig.state.tokens[await tokens.token()].expires_at = time.time() - 1
    rig.clock.now += ACCESS_TOKEN_LIFETIME
    await asyncio.gather(*(http.get_json("/people/me") for _ in range(20)))  # at expiry
    rig.clock.now += ACCESS_TOKEN_LIFETIME
    await rig.http(rig.tokens()).get_json("/people/me")  # after a restart
    rig.clock.now += ACCESS_TOKEN_LIFETIME
    with pytest.raises(ConfigError):
        await rig.tokens(client_secret="wrong-secret-value-1").token()
    rig.state.refresh_tokens.clear()
    with pytest.raises(RefreshTokenRejected):
        await rig.http(rig.tokens()).get_json("/people/me")

    assert len(rig.state.calls("POST", "/access_token")) == 7
    assert caplog.records
    logged = caplog.text + "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    secrets = rig.secrets() | {"wrong-secret-value-1"}
    assert len(secrets) > 8
    for secret in secrets:
        assert secret not in logged


# --- wiring ---------------------------------------------------------------------------------


async def test_build_app_uses_the_service_app(clean_env: Path) -> None:
    state = SandboxState.seeded()
    app = build_app(
        service_app_settings(),
        store=await open_store("sqlite:///:memory:"),
        policy=Policy.parse(POLICY),
        admin_transport=SandboxTransport(state),
    )
    try:
        locations = await app.services.calling.list_locations()
    finally:
        await app.aclose()

    assert "London HQ" in [loc.name for loc in locations]
    assert len(state.calls("POST", "/access_token")) == 1
    saved = clean_env / "service-app-tokens.json"
    assert mode(saved) == 0o600
    assert mode(saved.parent) == 0o700
    assert json.loads(saved.read_text())["refresh_token"] in state.refresh_tokens


async def test_build_app_names_a_missing_service_app_setting(clean_env: Path) -> None:
    settings = service_app_settings(service_app_client_secret=None)
    store = await open_store("sqlite:///:memory:")
    with pytest.raises(ConfigError) as caught:
        build_app(settings, store=store, policy=Policy.parse(POLICY))
    await store.close()
    assert caught.value.user_message == INCOMPLETE.format(
        missing="TRUNKBOT_SERVICE_APP_CLIENT_SECRET"
    )


@pytest.fixture
async def served() -> AsyncIterator[tuple[SandboxState, str]]:
    state = SandboxState.seeded()
    async with await serve(state) as server:
        yield state, server.base_url


async def test_trunkbot_check_with_service_app_credentials(
    clean_env: Path, served: tuple[SandboxState, str]
) -> None:
    state, url = served
    out = StringIO()
    assert await run_check(service_app_settings(url), out) == 0, out.getvalue()
    assert "service app token answers" in out.getvalue()
    assert "All checks passed." in out.getvalue()

    state.refresh_tokens.clear()
    (clean_env / "service-app-tokens.json").unlink()
    out = StringIO()
    assert await run_check(service_app_settings(url), out) == 2
    assert REFRESH_REVOKED in out.getvalue()
    assert DEMO_REFRESH_TOKEN not in out.getvalue()
