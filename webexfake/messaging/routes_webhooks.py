"""``/v1/webhooks``: each identity sees and changes only its own webhooks (webhooks.yml)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.errors import ApiError
from webexfake.ids import make_id

from .model import (
    Person,
    now_iso,
)
from .routes_base import RoutesBase, json_body, optional_str


class WebhookRoutes(RoutesBase):
    _WEBHOOK_RESOURCES = frozenset({"messages", "attachmentActions", "memberships", "rooms"})

    @staticmethod
    def _webhook_json(hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if not k.startswith("_")}

    def _own_webhook(self, caller: Person, webhook_id: str) -> dict[str, Any]:
        with self.fake.records.lock:
            hook = self.fake.records.webhooks.get(webhook_id)
        if hook is None or hook["_owner"] != caller.uuid:
            raise ApiError(404, "Webhook not found.")
        return hook

    async def list_webhooks(self, request: Request) -> Response:
        caller = self.caller(request)
        with self.fake.records.lock:
            mine = [h for h in self.fake.records.webhooks.values() if h["_owner"] == caller.uuid]
        items = [self._webhook_json(h) for h in mine[: self.max_param(request, 100)]]
        return JSONResponse({"items": items})

    async def create_webhook(self, request: Request) -> Response:
        caller = self.caller(request)
        body = await json_body(request)
        for key in ("name", "targetUrl", "resource", "event"):
            if not optional_str(body, key):
                raise ApiError(400, f"{key} is required.")
        if body["resource"] not in self._WEBHOOK_RESOURCES:
            raise ApiError(400, "Invalid resource.")
        if not str(body["targetUrl"]).startswith(("https://", "http://")):
            raise ApiError(400, "Invalid targetUrl.")
        webhook_id = make_id("WEBHOOK")
        hook: dict[str, Any] = {
            "id": webhook_id,
            "name": body["name"],
            "targetUrl": body["targetUrl"],
            "resource": body["resource"],
            "event": body["event"],
            "orgId": make_id("ORGANIZATION", self.fake.org_uuid),
            "createdBy": caller.id,
            "appId": make_id("APPLICATION"),
            "ownedBy": "creator",
            "status": "active",
            "created": now_iso(),
            "_owner": caller.uuid,
            "_secret": body.get("secret"),
        }
        if isinstance(body.get("filter"), str):
            hook["filter"] = body["filter"]
        with self.fake.records.lock:
            self.fake.records.webhooks[webhook_id] = hook
        return JSONResponse(self._webhook_json(hook), status_code=200)

    async def get_webhook(self, request: Request) -> Response:
        caller = self.caller(request)
        return JSONResponse(
            self._webhook_json(self._own_webhook(caller, request.path_params["webhook_id"]))
        )

    async def update_webhook(self, request: Request) -> Response:
        caller = self.caller(request)
        hook = self._own_webhook(caller, request.path_params["webhook_id"])
        body = await json_body(request)
        for key in ("name", "targetUrl"):
            if not optional_str(body, key):
                raise ApiError(400, f"{key} is required.")
        with self.fake.records.lock:
            hook["name"], hook["targetUrl"] = body["name"], body["targetUrl"]
            if "secret" in body:
                hook["_secret"] = body["secret"]
            if body.get("status") in ("active", "inactive"):
                hook["status"] = body["status"]
        return JSONResponse(self._webhook_json(hook))

    async def delete_webhook(self, request: Request) -> Response:
        caller = self.caller(request)
        hook = self._own_webhook(caller, request.path_params["webhook_id"])
        with self.fake.records.lock:
            self.fake.records.webhooks.pop(hook["id"], None)
        return Response(status_code=204)
