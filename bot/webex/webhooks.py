"""The bot's own webhooks (``/v1/webhooks``, with the bot's token): list, create, update.

`trunkbot webhooks sync --url …` makes exactly two of them — messages and attachmentActions,
both ``created`` — point at the URL with the webhook secret, creating or updating them by
name, idempotently. A webhook the bot didn't create under those names is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from pydantic import SecretStr

from bot.webex.http import WebexHttp
from bot.webex.models import WireModel

WEBHOOKS = "/webhooks"
#: (name, resource, event) of the webhooks `trunkbot serve` needs.
OURS = (
    ("trunkbot messages", "messages", "created"),
    ("trunkbot card actions", "attachmentActions", "created"),
)


class Webhook(WireModel):
    id: str
    name: str
    target_url: str
    resource: str
    event: str
    status: str | None = None
    filter: str | None = None


@dataclass(frozen=True)
class Synced:
    name: str
    action: str  # "created" or "updated"
    webhook: Webhook


class WebhooksClient:
    def __init__(self, http: WebexHttp) -> None:
        self._http = http

    async def all(self) -> list[Webhook]:
        items = await self._http.get_pages(WEBHOOKS, {"max": 100}, "items")
        return [Webhook.model_validate(i) for i in items]

    async def sync(self, url: str, secret: SecretStr) -> list[Synced]:
        """Make the bot's two webhooks point at ``url`` with ``secret`` (PUT when one of that
        name exists, POST otherwise); nothing else is changed or deleted."""
        existing = {w.name: w for w in await self.all()}
        out = []
        for name, resource, event in OURS:
            found = existing.get(name)
            if found is not None and (found.resource, found.event) == (resource, event):
                body = {
                    "name": name,
                    "targetUrl": url,
                    "secret": secret.get_secret_value(),
                    "status": "active",
                }
                answer = await self._http.request(
                    "PUT", f"{WEBHOOKS}/{quote(found.id, safe='')}", json=body, retry_5xx=True
                )
                out.append(Synced(name, "updated", Webhook.model_validate(answer.json())))
                continue
            body = {
                "name": name,
                "targetUrl": url,
                "resource": resource,
                "event": event,
                "secret": secret.get_secret_value(),
            }
            answer = await self._http.request("POST", WEBHOOKS, json=body)
            out.append(Synced(name, "created", Webhook.model_validate(answer.json())))
        return out
