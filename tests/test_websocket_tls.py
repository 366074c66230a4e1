"""The websocket client's HTTPS (webex-bot's requests session: the service catalog, the
device registration, the rare conversation lookup) trusts the CA file it is given, even when
REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE name another bundle, and the process environment is left
as it was (nothing is written to os.environ)."""

from __future__ import annotations

import os
from typing import Any

import certifi
import pytest
import requests

from bot.transports.websocket import TrunkbotWebsocketClient
from tests.fake_webex.plugin import fake_webex, fake_webex_factory  # noqa: F401  -- fixtures
from webexfake.messaging import FakeWebex


def _ignore(*_args: Any) -> None:
    return None


async def _nothing(*_args: Any) -> None:
    return None


def test_the_given_ca_file_wins_and_the_environment_is_untouched(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The environment trusts only public CAs: the fake's private CA is in ca_file alone.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    with pytest.raises(requests.exceptions.SSLError):  # what the environment alone gives
        requests.get(fake_webex.u2c_url, timeout=10)

    # The constructor already fetches the service catalog over HTTPS (webex-bot's session).
    client = TrunkbotWebsocketClient(
        fake_webex.bot_token,
        u2c_url=fake_webex.u2c_url,
        ca_file=str(fake_webex.tls.ca_path),
        bot_id=fake_webex.bot.id,
        fetch=_nothing,
        accept=_nothing,
        deliver=_ignore,
    )
    assert client.device_url
    assert client._get_device_info()["webSocketUrl"].startswith("wss://")  # the WDM registration
    assert os.environ["REQUESTS_CA_BUNDLE"] == certifi.where()
    assert os.environ["CURL_CA_BUNDLE"] == certifi.where()
