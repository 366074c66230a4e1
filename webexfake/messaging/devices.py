"""A WDM device registration and the websocket connections made to it, as the fake saw them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from webexfake.ids import new_uuid

from .model import Person, now_iso


@dataclass
class Device:
    """A WDM device registration."""

    owner: Person
    data: dict[str, Any]
    base_url: str
    uuid: str = field(default_factory=new_uuid)
    created: str = field(default_factory=now_iso)
    expired: bool = False

    @property
    def url(self) -> str:
        return f"{self.base_url}/wdm/api/v1/devices/{self.uuid}"

    @property
    def websocket_url(self) -> str:
        return f"{self.base_url.replace('https://', 'wss://', 1)}/ws/{self.uuid}"

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    def to_json(self) -> dict[str, Any]:
        body = dict(self.data)
        body.update(
            {
                "url": self.url,
                "webSocketUrl": self.websocket_url,
                "creationTime": self.created,
                "modificationTime": self.created,
                "services": {},
            }
        )
        return body


@dataclass
class WsConnection:
    """One websocket connection, as the fake saw it."""

    number: int
    device_id: str
    opened_at: float
    person: Person | None = None
    authorized: bool = False
    closed_at: float | None = None
    close_code: int | None = None
    acks: list[str] = field(default_factory=list)
    received: list[Any] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    # Server-loop internals.
    outbox: asyncio.Queue[tuple[str, Any]] | None = field(default=None, repr=False)
    abort: Any = field(default=None, repr=False)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
