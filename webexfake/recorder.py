"""The request recorder both halves of the fake share: every request received, in order.

    log.calls("POST", "/premisePstn/trunks")          # by method and path suffix
    log.requests_to("/v1/messages", method="POST")    # by path prefix
    [r.status for r in log.entries]                   # None where no answer reached the client

Requests a network fault stopped are recorded too, with the fault's kind.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class RecordedRequest:
    """One request the fake received (also those a fault stopped)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    body: bytes = b""
    status: int | None = None  # None when no response reached the client
    fault: str | None = None  # the FaultKind applied to it, if any
    at: float = field(default_factory=time.monotonic)


class RequestLog:
    """An append-only, thread-safe list of :class:`RecordedRequest`; ``on_record`` is called
    after each append (the messaging fake wakes its waiters with it)."""

    def __init__(self, on_record: Callable[[], None] | None = None) -> None:
        self._entries: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self.on_record = on_record

    def record(
        self,
        method: str,
        path: str,
        query_string: bytes,
        headers: dict[str, str],
        body: bytes,
        *,
        fault: str | None = None,
        status: int | None = None,
    ) -> RecordedRequest:
        """Append one received request (JSON and form bodies decoded; header names lowered);
        ``status`` when the answer is known already, else set it on the entry later."""
        headers = {k.lower(): v for k, v in headers.items()}
        content_type = headers.get("content-type", "")
        parsed: Any = None
        form: dict[str, str] | None = None
        if body and "json" in content_type:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        elif body and "x-www-form-urlencoded" in content_type:
            form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        query = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
        entry = RecordedRequest(
            method.upper(), path, query, headers, parsed, form, body, status=status, fault=fault
        )
        with self._lock:
            self._entries.append(entry)
        if self.on_record is not None:
            self.on_record()
        return entry

    @property
    def entries(self) -> list[RecordedRequest]:
        """Every recorded request, oldest first (a copy)."""
        with self._lock:
            return list(self._entries)

    def calls(
        self,
        method: str | None = None,
        path_suffix: str | None = None,
        *,
        faulted: bool | None = None,
    ) -> list[RecordedRequest]:
        """Recorded requests by method and path suffix; ``faulted`` filters on having a fault."""
        return [
            r
            for r in self.entries
            if (method is None or r.method == method.upper())
            and (path_suffix is None or r.path.endswith(path_suffix))
            and (faulted is None or (r.fault is not None) == faulted)
        ]

    def requests_to(self, prefix: str, *, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path starts with ``prefix`` (and of ``method``, if given)."""
        return [
            r
            for r in self.entries
            if r.path.startswith(prefix) and (method is None or r.method == method.upper())
        ]
