"""The Webex Calling calls Trunkbot makes: locations, trunk types, passwords, trunks.

Which location a person means, and the cache of each org's locations: :mod:`bot.webex.locations`.

Paths and bodies follow call-routing.yml, location-call-settings.yml and
location-call-settings-call-handling.yml. Every answer is validated with the pydantic
models of :mod:`bot.webex.models`; a body that does not match becomes
:class:`~bot.errors.WebexBadResponse` with a safe sentence (never pydantic's text, which
quotes the input). Every method takes ``org_id`` (else the client's default) and sends it
as the ``orgId`` query parameter when set.

A trunk create is not idempotent, so :meth:`CallingClient.create_trunk` never repeats the
POST: after no answer or a 5xx it looks the trunk up by name and says what it found.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, Field, SecretStr, ValidationError

from bot import replies
from bot.errors import (
    WebexBadResponse,
    WebexError,
    WebexServerError,
    WebexUnreachable,
)
from bot.webex.errors import WebexConnectFailed, bad_response, json_object
from bot.webex.http import Params, WebexHttp
from bot.webex.locations import LocationCache, LocationNotFound, match_location
from bot.webex.models import (
    Location,
    TrunkCreate,
    TrunkDetails,
    TrunkSummary,
    TrunkType,
    TrunkTypeInfo,
    WireModel,
)
from bot.webex.trunk_create import (
    CreateOutcome,
    TrunkCreateUnknown,
    TrunkNotCreated,
    cause_of,
    redact,
)

log = logging.getLogger(__name__)

LOCATIONS = "/telephony/config/locations"
TRUNKS = "/telephony/config/premisePstn/trunks"
M = TypeVar("M", bound=BaseModel)


class _Locations(WireModel):
    locations: list[Location]


class _TrunkTypes(WireModel):
    trunk_types: list[TrunkTypeInfo]


class _Created(WireModel):
    id: str = Field(min_length=1)


class _Password(WireModel):
    example_sip_password: SecretStr


class CallingClient:
    """Webex Calling admin calls over one :class:`WebexHttp` (the admin identity)."""

    def __init__(
        self,
        http: WebexHttp,
        org_id: str | None = None,
        *,
        recovery_delay: float = 2.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self._org_id = org_id
        self._locations = LocationCache(timer)
        # A create that timed out may still be running at Webex: wait a moment before the
        # lookup that decides whether it landed.
        self._recovery_delay = recovery_delay

    def params(self, org_id: str | None, **extra: str) -> dict[str, str | int]:
        """Query parameters with ``orgId`` (``org_id``, else the client's default) when set;
        the sibling clients (bot.webex.trunk_admin, bot.webex.routing) send theirs too."""
        params: dict[str, str | int] = dict(extra)
        org = org_id or self._org_id
        if org:
            params["orgId"] = org
        return params

    @staticmethod
    def parse(model: type[M], data: Any, response: Any = None) -> M:
        """``data`` as ``model``; a body that doesn't match is WebexBadResponse (a safe
        sentence with the response's tracking ID, never pydantic's text)."""
        try:
            return model.model_validate(data)
        except ValidationError:
            if response is not None:
                raise bad_response(response) from None
            raise WebexBadResponse(replies.WEBEX_BAD_RESPONSE) from None

    async def list_locations(
        self, org_id: str | None = None, *, cached: bool = False
    ) -> list[Location]:
        """Every calling-enabled location (``GET /telephony/config/locations``, all pages).

        ``cached``: a recent answer will do (the hot path of a create: a location is looked
        up for every command, and locations rarely change): up to ``LOCATIONS_TTL`` seconds
        old as it is, up to ``LOCATIONS_STALE`` while a read replaces it in the background;
        callers without one share a single read (:class:`LocationCache`)."""
        key = org_id or self._org_id or ""
        if not cached:  # a read under way now is as fresh: a burst of misses makes one read
            return await asyncio.shield(self._reading(org_id, key))
        if (fresh := self._locations.fresh(key)) is not None:
            return fresh
        reading = self._reading(org_id, key)
        if (stale := self._locations.usable(key)) is not None:
            return stale
        return await asyncio.shield(reading)  # one caller cancelled leaves it to the rest

    def warm_locations(self, org_id: str | None = None) -> None:
        """Start reading an org's locations (at start-up: the first creates find them
        cached); a failure is logged and the first look-up reads them itself."""
        key = org_id or self._org_id or ""
        if self._locations.usable(key) is None:
            self._reading(org_id, key)

    def _reading(self, org_id: str | None, key: str) -> asyncio.Task[list[Location]]:
        """The org's read of its locations under way, or a new one."""
        return self._locations.shared_read(key, lambda: self._read_locations(org_id, key))

    async def stop_reads(self) -> None:
        """Cancel the locations reads under way (the app is closing its clients)."""
        await self._locations.cancel_reads()

    async def _read_locations(self, org_id: str | None, key: str) -> list[Location]:
        items = await self.http.get_pages(LOCATIONS, self.params(org_id), "locations")
        locations = self.parse(_Locations, {"locations": items}).locations
        self._locations.keep(key, locations)
        return locations

    async def find_location(
        self,
        query: str,
        org_id: str | None = None,
        *,
        visible: Callable[[Location], bool] | None = None,
    ) -> Location:
        """The location whose ID is ``query``, else whose name is it (any case), else the
        only one whose name contains it. With ``visible``, partial matches and the names a
        hint lists are only those it admits (a person is never shown locations outside
        their scope); an exact match is returned either way, for the gate to refuse.

        The org's locations may come from a recent answer; when nothing matches, they are
        read again before the person is told (a location made a moment ago works at once)."""
        try:
            return match_location(query, await self.list_locations(org_id, cached=True), visible)
        except LocationNotFound:
            return match_location(query, await self.list_locations(org_id), visible)

    async def trunk_types(self, org_id: str | None = None) -> list[TrunkTypeInfo]:
        """Trunk types and their device types (with concurrent-call bounds)."""
        response = await self.http.request(
            "GET", f"{TRUNKS}/trunkTypes", params=self.params(org_id)
        )
        body = json_object(response)
        raw = body.get("trunkTypes")
        if isinstance(raw, list):
            # A trunk type Webex adds later is not one we can create: skip it rather than
            # refuse the whole answer.
            known = {t.value for t in TrunkType}
            body["trunkTypes"] = [
                t for t in raw if not isinstance(t, dict) or t.get("trunkType") in known
            ]
        return self.parse(_TrunkTypes, body, response).trunk_types

    async def generate_password(self, location_id: str, org_id: str | None = None) -> SecretStr:
        """A SIP password Webex will accept for a trunk in this location."""
        response = await self.http.request(
            "POST",
            f"{LOCATIONS}/{quote(location_id, safe='')}/actions/generatePassword/invoke",
            params=self.params(org_id),
            json={"generate": ["sip"]},
            retry_5xx=True,  # it only suggests a password; nothing is stored
        )
        return self.parse(_Password, json_object(response), response).example_sip_password

    async def validate_fqdn(
        self, address: str, domain: str, port: int | None, org_id: str | None = None
    ) -> None:
        """Ask Webex whether a certificate-based trunk's address and domain are usable
        (400 code 25024: bad domain; 409 code 27571: address in use)."""
        body: dict[str, str | int] = {"address": address, "domain": domain}
        if port is not None:  # an SRV address may omit the port
            body["port"] = port
        await self.http.request(
            "POST",
            f"{TRUNKS}/actions/fqdnValidation/invoke",
            params=self.params(org_id),
            json=body,
            retry_5xx=True,  # a validation creates nothing
        )

    async def list_trunks(
        self, name: str | None = None, org_id: str | None = None
    ) -> list[TrunkSummary]:
        """Every trunk (all pages), narrowed by Webex's ``name`` filter when given."""
        extra: dict[str, str] = {}
        # The ``name`` parameter takes a comma-separated list (call-routing.yml), so a name
        # with a comma cannot be sent as a filter: list everything instead.
        if name and "," not in name:
            extra["name"] = name
        params: Params = self.params(org_id, **extra)
        items = await self.http.get_pages(TRUNKS, params, "trunks")
        return [self.parse(TrunkSummary, item) for item in items]

    async def find_trunk_by_name(self, name: str, org_id: str | None = None) -> TrunkSummary | None:
        """The trunk of that exact name (any case), or None. Webex's ``name`` matching is
        undocumented (exact? contains?), so the comparison is ours."""
        wanted = name.strip().casefold()
        for trunk in await self.list_trunks(name.strip(), org_id):
            if trunk.name.strip().casefold() == wanted:
                return trunk
        return None

    async def get_trunk(self, trunk_id: str, org_id: str | None = None) -> TrunkDetails:
        """A trunk's details; ``partial`` when Webex answered 206 (codes 25013/25014)."""
        response = await self.http.request(
            "GET", f"{TRUNKS}/{quote(trunk_id, safe='')}", params=self.params(org_id)
        )
        details = self.parse(TrunkDetails, json_object(response), response)
        return details.model_copy(update={"id": trunk_id, "partial": response.status_code == 206})

    async def create_trunk(self, body: TrunkCreate, org_id: str | None = None) -> CreateOutcome:
        """Create a trunk with one POST; never repeated (see the module docstring)."""
        try:
            response = await self.http.request(
                "POST", TRUNKS, params=self.params(org_id), json=body.wire()
            )
            created = self.parse(_Created, json_object(response), response)
        except WebexError as exc:
            redact(exc, body.password)
            if isinstance(exc, WebexConnectFailed):
                raise TrunkNotCreated(
                    replies.trunk_not_sent(body.name, cause_of(exc)), exc
                ) from None
            if not isinstance(exc, WebexUnreachable | WebexServerError | WebexBadResponse):
                raise
            return await self._recover(body, org_id, exc)
        log.debug("webex.trunk_created", extra={"trunk_id": created.id})  # INFO: trunk.created
        return CreateOutcome(trunk_id=created.id)

    async def _recover(
        self, body: TrunkCreate, org_id: str | None, exc: WebexError
    ) -> CreateOutcome:
        """After an unclear create: the trunk by name decides what happened."""
        cause = cause_of(exc)
        try:
            await self.http.sleep(self._recovery_delay)
            found = await self.find_trunk_by_name(body.name, org_id)
        except WebexError as lookup_error:
            log.warning(
                "webex.trunk_create_unknown",
                extra={"error": type(exc).__name__, "lookup_error": type(lookup_error).__name__},
            )
            raise TrunkCreateUnknown(
                replies.trunk_create_unknown(body.name, cause), exc, lookup_error
            ) from None
        if found is not None:
            log.warning(
                "webex.trunk_create_recovered",
                extra={"trunk_id": found.id, "error": type(exc).__name__},
            )
            return CreateOutcome(trunk_id=found.id, recovered=True)
        if isinstance(exc, WebexBadResponse):
            # Webex said "created" in a body we could not read, yet does not list it (yet).
            raise TrunkCreateUnknown(replies.trunk_create_unknown(body.name, cause), exc) from None
        raise TrunkNotCreated(replies.trunk_not_created(body.name, cause), exc) from None
