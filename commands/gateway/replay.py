"""A change's keyed claim, shared by these commands: the first answer again for a second
press or a redelivery, and a failure recorded so a retry is allowed only when nothing
changed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.errors import BotError, WebexError
from bot.events import Context
from bot.markdown import esc
from bot.replies import ALREADY_FAILED, webex_refused

if TYPE_CHECKING:
    from bot.services import Services


async def answered(services: Services, ctx: Context, key: str, name: str) -> bool:
    """The first answer of ``key`` again (True), or False when it is free to run."""
    record = await services.store.get_create(key)
    if record is None or record.state.value == "released":
        return False
    ctx.audit.result = "duplicate"
    if record.state.value == "done":
        await ctx.reply(str(json.loads(record.result_json or "{}").get("sentence", "Done.")))
    elif record.state.value == "failed":
        failed = json.loads(record.error_json or "{}")
        await ctx.reply(str(failed.get("sentence") or ALREADY_FAILED))
    else:
        await ctx.reply(f"I'm already on it for **{esc(name)}**.")
    return True


async def key_failed(services: Services, key: str, exc: BotError) -> None:
    """Record the failure: retryable (the key released) unless Webex refused for good."""
    sentence = exc.user_message
    retryable = True
    if isinstance(exc, WebexError):
        sentence = webex_refused(exc.user_message)
        retryable = exc.status is None or exc.status >= 500 or exc.status == 429
    await services.store.fail_create(key, json.dumps({"sentence": sentence}), retryable=retryable)
