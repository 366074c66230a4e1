"""The shell's outbox: replies printed as a person reads them (cards as text, with how to
answer them), files the bot posts saved owner-only, files attached with /file served."""

from __future__ import annotations

import mimetypes
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote, urlparse

from bot import cards
from bot.errors import UsageError
from bot.events import Download, FileTooBig, Reply, Upload
from bot.transports.shell_cards import card_hint, card_title
from bot.transports.shell_terminal import terminal_text, tidy_card_text


@dataclass
class ShellOutbox:
    """Prints replies (cards as readable text); keeps them so tests can read the transcript."""

    out: TextIO
    bold: bool = False  # ANSI bold for **bold** (on a terminal)
    sent: list[Reply] = field(default_factory=list)
    last_card: tuple[str, dict[str, Any], str] | None = None  # message id, card, room id
    titles: dict[str, str] = field(default_factory=dict)  # card message id → its title
    # The files a person attached with /file (their file:// URLs): the only ones served.
    attached: set[str] = field(default_factory=set)
    # Where files the bot posts (a result CSV) are saved, owner-only; None: not saved.
    save_dir: Path | None = None

    async def fetch_file(self, url: str, *, max_bytes: int) -> Download:
        """A file attached with /file, as the bot's messaging client fetches a message's
        file from Webex: only what was attached, its size first, then the bytes."""
        if url not in self.attached:
            raise UsageError("That file wasn't attached in this shell, so I won't read it.")
        path = _path_of(url)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise FileTooBig(size)
            content = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"I couldn't read {path.name} ({exc.strerror or exc}).") from None
        if len(content) > max_bytes:
            raise FileTooBig(len(content))
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Download(name=path.name, content_type=content_type, content=content)

    def _show_file(self, upload: Upload) -> str:
        """The line for a file the bot posted (saved owner-only when there is a place)."""
        where = ""
        if self.save_dir is not None:
            try:
                where = f", saved to {_save(self.save_dir, upload)}"
            except OSError as exc:
                where = f", not saved ({exc.strerror or exc})"
        return f"\n📎 {upload.name} ({len(upload.content):,} bytes{where})"

    async def send(self, reply: Reply) -> str | None:
        self.sent.append(reply)
        message_id = f"shell-msg-{len(self.sent)}"
        prefix = "‹ "
        if reply.private and reply.to_person_id:
            prefix = f"‹ [1:1 to {reply.to_person_email or reply.to_person_id}] "
        elif reply.parent_id:
            prefix = "‹ [in thread] "
        elif reply.room_id and not reply.room_id.startswith("shell-"):
            prefix = f"‹ [in space {reply.room_id}] "
        if reply.replaces:
            prefix += "(update) "
        if reply.card is None:
            body = terminal_text(reply.markdown, bold=self.bold)
        else:
            body = tidy_card_text(cards.card_as_text(reply.card)) + card_hint(reply.card)
            self.titles[message_id] = card_title(reply.card)
            if reply.room_id:
                self.last_card = (message_id, reply.card, reply.room_id)
        if reply.file is not None:
            body += self._show_file(reply.file)
        self.out.write(prefix + body.replace("\n", "\n  ") + "\n")
        self.out.flush()
        return message_id

    async def delete(self, message_id: str) -> bool:
        title = self.titles.get(message_id, "a card")
        self.out.write(f"· (the bot removed its earlier card “{title}”)\n")
        self.out.flush()
        if self.last_card and self.last_card[0] == message_id:
            self.last_card = None
        return True


class LiveStdout:
    """Writes to whatever sys.stdout is now."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _path_of(url: str) -> Path:
    """The local path of a file:// URL."""
    return Path(unquote(urlparse(url).path))


def _save(directory: Path, upload: Upload) -> Path:
    """``upload`` written owner-only (0600) under ``directory``, never over another file."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem, dot, ext = Path(upload.name).name.rpartition(".")
    stem, ext = (stem, dot + ext) if stem else (ext, "")
    for n in range(1000):
        path = directory / (f"{stem}{ext}" if n == 0 else f"{stem}-{n}{ext}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(upload.content)
        return path
    raise FileExistsError(f"too many files named {upload.name}")
