"""bot.network: the cause of a failed connection in a few words, from any library's wrapping."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest
import requests

from bot.network import cause, host_of


def _refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_real_failures_of_httpx_and_requests() -> None:
    """A name that can't resolve and a closed port, through both HTTP libraries we use."""
    port = _refused_port()
    seen = []
    for url in ("http://name.invalid/x", f"http://127.0.0.1:{port}/x"):
        with pytest.raises(httpx.HTTPError) as via_httpx:
            httpx.get(url, timeout=10)
        with pytest.raises(requests.RequestException) as via_requests:
            requests.get(url, timeout=10)
        assert cause(via_httpx.value) == cause(via_requests.value)
        seen.append(cause(via_httpx.value))
    assert seen == [
        "the name doesn't resolve (DNS failure)",
        "the connection was refused (nothing listens there)",
    ]


def _wrapped(inner: BaseException) -> BaseException:
    """``inner`` under two layers, as a library would raise it (a cause, then a context)."""
    layer = httpx.ConnectError("layer")
    layer.__cause__ = inner
    outer = RuntimeError("outer")
    outer.__context__ = layer
    outer.__suppress_context__ = True  # `raise … from None` still keeps the context
    return outer


@pytest.mark.parametrize(
    ("inner", "words"),
    [
        (TimeoutError("timed out"), "no answer in time (timeout)"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), "isn't trusted"),
        (ssl.SSLError(1, "wrong version number"), "the TLS handshake failed"),
        (ConnectionResetError(104, "Connection reset by peer"), "the connection was reset"),
        (OSError(101, "Network is unreachable"), "the network is unreachable"),
        (OSError(99999, "Something Odd"), "something Odd"),
        (ValueError("no idea"), "the connection failed"),
    ],
)
def test_causes_through_layers(inner: BaseException, words: str) -> None:
    assert words in cause(_wrapped(inner))


def test_host_of() -> None:
    assert host_of("https://webexapis.com/v1") == "webexapis.com:443"
    assert host_of("http://127.0.0.1:8765/v1") == "127.0.0.1:8765"
    assert host_of("https://u2c.wbx2.com/u2c/api/v1/catalog") == "u2c.wbx2.com:443"
