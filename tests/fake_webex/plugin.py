"""pytest fixtures for the fake cloud. Register with
``pytest_plugins = ["tests.fake_webex.plugin"]`` in the root ``conftest.py``, or bind them in a
test module: ``fake_webex = plugin.fake_webex`` (and ``fake_webex_factory``).

* ``fake_webex`` — a started :class:`FakeWebex` with default identities; ``SSL_CERT_FILE`` and
  ``REQUESTS_CA_BUNDLE`` point at its CA for the test (so default httpx clients and requests
  trust it). Sync fixture: usable from sync and async tests alike (the server has its own
  thread and loop).
* ``fake_webex_factory`` — ``factory(**FakeWebex kwargs) -> FakeWebex`` for custom ones (e.g.
  ``extra_app=build_app(state)``); every fake it starts is stopped at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from webexfake.messaging.server import FakeWebex


@pytest.fixture
def fake_webex_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeWebex]]:
    started: list[FakeWebex] = []

    def factory(**kwargs: Any) -> FakeWebex:
        fake = FakeWebex(**kwargs).start()
        started.append(fake)
        for key, value in fake.tls.env().items():
            monkeypatch.setenv(key, value)
        return fake

    yield factory
    for fake in reversed(started):
        fake.stop()


@pytest.fixture
def fake_webex(fake_webex_factory: Callable[..., FakeWebex]) -> FakeWebex:
    return fake_webex_factory()
