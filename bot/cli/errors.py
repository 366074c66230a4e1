"""What a failure of the `trunkbot` command says: one line on stderr, naming the cause and
the fix (a busy port, Webex's catalog unreachable at start), never a traceback."""

from __future__ import annotations

import errno
import sys

from bot.cli.parser import EXIT_RUNTIME, EXIT_USAGE
from bot.network import cause, host_of
from bot.settings import Settings


def fail(message: str, code: int) -> int:
    print(f"trunkbot: {message}", file=sys.stderr)
    return code


def listen_failure(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use; pick another with --port."
    if exc.errno == errno.EACCES:
        return f"port {port} on {host} needs privileges; pick one above 1023 with --port."
    reason = exc.strerror or "it can't be opened"
    return f"can't listen on {host}:{port} ({reason}); pick another port with --port."


def websocket_failure(exc: BaseException, settings: Settings) -> tuple[str, int] | None:
    """One line for webex-bot failing to reach Webex at start (the service catalog, device
    registration), or None for an error that is not that."""
    import requests

    if isinstance(exc, PermissionError) and exc.errno is None:
        # Our websocket client's own sentence: the catalog refused the bot token (401).
        return str(exc), EXIT_USAGE
    if not isinstance(exc, requests.RequestException):
        return None
    url = exc.request.url if exc.request is not None and exc.request.url else settings.u2c_url
    host = host_of(str(url))
    is_catalog = host == host_of(settings.u2c_url)
    where = "the Webex service catalog (U2C)" if is_catalog else "Webex's device service"
    fix = "TRUNKBOT_U2C_URL" if is_catalog else "the network"
    response = exc.response
    if response is not None:
        return (
            f"{where} at {host} answered HTTP {response.status_code}; check {fix}, or try "
            "again in a few minutes.",
            EXIT_RUNTIME,
        )
    return (
        f"couldn't reach {where} at {host}: {cause(exc)}. Check the network, a proxy "
        f"(HTTPS_PROXY) or {fix}.",
        EXIT_RUNTIME,
    )
