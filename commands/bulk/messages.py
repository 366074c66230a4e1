"""A bulk job's messages to its requester, 1:1: one progress message edited in place (a new
one when Webex's edit limit is near), and the rest. A message that can't be sent is logged,
never fatal to the job."""

from __future__ import annotations

import logging

from bot.errors import BotError
from bot.events import Outbox, Reply, Upload

log = logging.getLogger(__name__)

MAX_EDITS = 9  # Webex allows 10 edits of a message; the final text is one of them


class Messages:
    def __init__(
        self, outbox: Outbox, room_id: str, job_id: str, progress_id: str | None = None
    ) -> None:
        self.outbox, self.room_id, self.job_id = outbox, room_id, job_id
        self.progress_id = progress_id
        self.edits = 0

    async def say(self, markdown: str, *, file: Upload | None = None) -> str | None:
        try:
            return await self.outbox.send(
                Reply(markdown=markdown, room_id=self.room_id, private=True, file=file)
            )
        except BotError:
            log.warning("bulk.reply_failed", extra={"job": self.job_id})
            return None

    async def show(self, text: str) -> str | None:
        """The progress message says ``text`` now; its ID (kept with the job)."""
        try:
            if self.progress_id is None or self.edits >= MAX_EDITS:
                old = self.progress_id
                self.progress_id = await self.say(text)
                self.edits = 0
                if old is not None:
                    await self.outbox.delete(old)
            else:
                await self.outbox.send(
                    Reply(markdown=text, room_id=self.room_id, replaces=self.progress_id)
                )
                self.edits += 1
        except BotError:
            log.warning("bulk.progress_failed", extra={"job": self.job_id})
        return self.progress_id
