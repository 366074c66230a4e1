"""Ambiguity as a conversation: the bot asks "which one?", the person's next message answers.

When a command finds that what was typed matches several things (two locations, two trunks)
it raises :class:`~bot.errors.Ambiguity`; the router keeps the question here, keyed by the
space and the person, with each choice already written as the command's complete request.
Their next message in that space — the choice's name, or its number — runs that request
through the gate like any other. A question is forgotten after ``ttl`` seconds, when a new
command arrives, or when the process restarts (nothing typed is stored on disk).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache

TTL = 600.0
MAX_QUESTIONS = 10_000


@dataclass(frozen=True)
class Question:
    command_name: str
    choices: tuple[tuple[str, str], ...]  # (label, the complete request's args)


class FollowUps:
    def __init__(
        self,
        *,
        ttl: float = TTL,
        maxsize: int = MAX_QUESTIONS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._asked: TTLCache[tuple[str, str], Question] = TTLCache(
            maxsize=maxsize, ttl=ttl, timer=timer
        )

    def ask(self, room_id: str, person_id: str, question: Question) -> None:
        self._asked[(room_id, person_id)] = question

    def pending(self, room_id: str, person_id: str) -> Question | None:
        return self._asked.get((room_id, person_id))

    def forget(self, room_id: str, person_id: str) -> None:
        self._asked.pop((room_id, person_id), None)


def pick(question: Question, answer: str) -> str | None:
    """The args of the choice ``answer`` names (its number, its name, or the only name that
    contains it, any case), or None."""
    text = " ".join(answer.split()).strip(" .").casefold()
    if text.isdigit() and 1 <= int(text) <= len(question.choices):
        return question.choices[int(text) - 1][1]
    exact = [args for label, args in question.choices if label.casefold() == text]
    if len(exact) == 1:
        return exact[0]
    partial = [args for label, args in question.choices if text and text in label.casefold()]
    return partial[0] if len(partial) == 1 else None
