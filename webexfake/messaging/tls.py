"""A throw-away certificate authority and a server certificate for 127.0.0.1 / localhost.

One :class:`TlsMaterial` per process (:func:`shared_tls`) is enough: every fake server in the
session presents a certificate from it, so ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE`` can be set
once, before anything builds an SSL context, and stay valid for every test.

How each client stack is made to trust it:

* **httpx** (0.28): ``verify=True`` (the default) with ``trust_env=True`` reads ``SSL_CERT_FILE``
  when the client is built; or pass ``verify=tls.client_ssl_context()``.
* **requests** (webex-bot's ``requests.Session`` and webexpythonsdk's ``RestSession``): it does
  **not** read ``SSL_CERT_FILE``; it hands certifi's bundle to urllib3 unless
  ``REQUESTS_CA_BUNDLE`` (else ``CURL_CA_BUNDLE``) is set — read per request in
  ``Session.merge_environment_settings``, and it **wins over** ``session.verify`` while
  ``trust_env`` is on. This machine exports both (to the system bundle), so set
  ``REQUESTS_CA_BUNDLE``; ``session.verify = tls.ca_path`` alone does not work here.
* **websockets** (webex-bot's ``websockets.connect(..., ssl=ssl_context)``): webex-bot passes its
  module-level ``webex_bot.websockets.webex_websocket_client.ssl_context``, built at import time by
  ``ssl.create_default_context()`` (which honours ``SSL_CERT_FILE`` *as it is at that moment*)
  plus certifi. Rebind that attribute to ``tls.client_ssl_context()`` to be independent of
  import order.
"""

from __future__ import annotations

import atexit
import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import trustme

_shared: TlsMaterial | None = None
_shared_lock = threading.Lock()


@dataclass(frozen=True)
class TlsMaterial:
    """A CA and a server certificate, with their PEM files on disk."""

    ca: trustme.CA
    server_cert: trustme.LeafCert
    directory: Path

    @classmethod
    def create(cls, directory: Path | None = None) -> TlsMaterial:
        """A new CA and a certificate for ``127.0.0.1``, ``localhost`` and ``::1``."""
        ca = trustme.CA(organization_name="Trunkbot fake Webex CA")
        cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="fake-webex-tls-"))
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
        ca.cert_pem.write_to_path(str(directory / "ca.pem"))
        cert.private_key_pem.write_to_path(str(directory / "server.key"))
        cert.cert_chain_pems[0].write_to_path(str(directory / "server.pem"))
        for extra in cert.cert_chain_pems[1:]:
            extra.write_to_path(str(directory / "server.pem"), append=True)
        return cls(ca=ca, server_cert=cert, directory=directory)

    @property
    def ca_path(self) -> Path:
        """The CA certificate (PEM): the value for ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE``."""
        return self.directory / "ca.pem"

    @property
    def server_cert_path(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key_path(self) -> Path:
        return self.directory / "server.key"

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context trusting only this CA (hostname checking on)."""
        # Not ssl.create_default_context(): that would also load SSL_CERT_FILE and the system store.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.ca.configure_trust(ctx)
        return ctx

    def env(self) -> dict[str, str]:
        """Environment variables that make httpx, ssl's defaults and requests trust the CA."""
        path = str(self.ca_path)
        return {"SSL_CERT_FILE": path, "REQUESTS_CA_BUNDLE": path}


def shared_tls() -> TlsMaterial:
    """The process-wide CA and server certificate (created on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TlsMaterial.create()
        return _shared
