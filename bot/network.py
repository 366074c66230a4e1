"""Why a connection failed, in a few words an operator can act on.

httpx, requests and urllib3 each wrap the socket error that matters (a DNS failure, a refused
connection, a timeout, an untrusted certificate) in layers of their own, and their texts quote
URLs and sometimes headers. :func:`cause` digs the socket-level reason out of any of them and
names it in our words only, never in the exception's text; :func:`host_of` names where we
tried to go.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

_ERRNO = {
    errno.ECONNREFUSED: "the connection was refused (nothing listens there)",
    errno.ECONNRESET: "the connection was reset",
    errno.ENETUNREACH: "the network is unreachable",
    errno.EHOSTUNREACH: "there is no route to the host",
    errno.ETIMEDOUT: "no answer in time (timeout)",
    errno.EADDRNOTAVAIL: "the address is not available",
}


def _chain(exc: BaseException, limit: int = 32) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps: causes, contexts, ``.reason``, exception args."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < limit:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested: list[object] = [current.__cause__, current.__context__]
        nested.append(getattr(current, "reason", None))
        nested.extend(current.args)
        todo.extend(e for e in nested if isinstance(e, BaseException))


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return True
    # requests.Timeout, urllib3's ConnectTimeoutError / ReadTimeoutError: no import needed.
    return "Timeout" in type(exc).__name__


def cause(exc: BaseException) -> str:
    """A few words for why ``exc`` (or what it wraps) failed: DNS, refused, timeout, TLS…"""
    chain = list(_chain(exc))
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return (
                "its TLS certificate isn't trusted (behind a TLS-inspecting proxy, set "
                "SSL_CERT_FILE to a CA bundle that holds the proxy's CA)"
            )
    for e in chain:
        if isinstance(e, socket.gaierror):
            return "the name doesn't resolve (DNS failure)"
    for e in chain:
        if isinstance(e, httpx.ProxyError) or "ProxyError" in type(e).__name__:
            return "the proxy refused or failed the connection (check HTTPS_PROXY)"
    for e in chain:
        if _is_timeout(e):
            return "no answer in time (timeout)"
    for e in chain:
        if isinstance(e, ssl.SSLError):
            return "the TLS handshake failed"
    for e in chain:
        if isinstance(e, OSError) and e.errno in _ERRNO:
            return _ERRNO[e.errno]
    for e in chain:
        if isinstance(e, ConnectionRefusedError):
            return _ERRNO[errno.ECONNREFUSED]
        if isinstance(e, ConnectionResetError):
            return _ERRNO[errno.ECONNRESET]
    for e in chain:
        if isinstance(e, OSError) and e.strerror:
            return e.strerror[:1].lower() + e.strerror[1:]
    return "the connection failed"


def host_of(url: str) -> str:
    """``host:port`` of a URL (the default port for its scheme when it has none)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return f"{host}:{port}"
