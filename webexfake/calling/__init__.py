"""The sandbox: a faithful in-memory fake of the Webex REST endpoints Trunkbot uses.

    state = SandboxState.seeded()
    client = httpx.AsyncClient(transport=SandboxTransport(state),
                               base_url="https://webexapis.com/v1",
                               headers={"Authorization": f"Bearer {DEMO_ADMIN_TOKEN}"})

or over real HTTP: ``async with await serve(state) as server: … server.base_url …``.
Faults: ``state.faults.add("status", method="POST", path_suffix="/premisePstn/trunks",
status=429, retry_after="3")``. Requests received: ``state.calls("POST", "/premisePstn/trunks")``.
"""

from webexfake.calling.app import build_app
from webexfake.calling.seed import (
    DEMO_ADMIN_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_READ_ONLY_TOKEN,
    DEMO_REFRESH_TOKEN,
)
from webexfake.calling.server import SandboxServer, demo_settings_and_transport, serve
from webexfake.calling.state import (
    ADMIN_SCOPES,
    READ_ONLY_SCOPES,
    DeviceTypeLimits,
    SandboxLocation,
    SandboxState,
    SandboxTrunk,
)
from webexfake.calling.transport import SandboxTransport
from webexfake.faults import INJECTABLE_STATUSES, Fault, FaultKind, FaultPlan
from webexfake.ids import make_id, parse_id, seeded_id
from webexfake.recorder import RecordedRequest, RequestLog

__all__ = [
    "ADMIN_SCOPES",
    "DEMO_ADMIN_TOKEN",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_READ_ONLY_TOKEN",
    "DEMO_REFRESH_TOKEN",
    "INJECTABLE_STATUSES",
    "READ_ONLY_SCOPES",
    "DeviceTypeLimits",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "RecordedRequest",
    "RequestLog",
    "SandboxLocation",
    "SandboxServer",
    "SandboxState",
    "SandboxTransport",
    "SandboxTrunk",
    "build_app",
    "demo_settings_and_transport",
    "make_id",
    "parse_id",
    "seeded_id",
    "serve",
]
