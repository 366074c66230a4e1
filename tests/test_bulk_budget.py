"""A bulk job shares the org's budget: while it runs against a calling API limited to N
requests a second (the fake's sliding second, 429 + Retry-After waited for real), another
person's single `create trunk` commands go through, their requests seldom refused, and the
job still creates every row once."""

from __future__ import annotations

import asyncio

import pytest

from bot.webex.http import CALL_OBSERVERS
from commands.bulk import run
from commands.bulk.pace import CURRENT
from tests.chat import make_chat
from tests.test_bulk import FileOutbox, send
from webexfake.faults_rate import RateLimit

BOB = "bob@example.com"


async def test_single_commands_keep_working_during_a_bulk_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run, "TIMING", run.Timing(progress_every=0.5))
    chat = await make_chat()
    chat.outbox = FileOutbox()
    chat.app.services.admin_http.sleep = asyncio.sleep  # Retry-After, waited for real
    refused = {"job": 0, "others": 0}

    def observe(_method: str, path: str, status: int, _seconds: float) -> None:
        if status == 429 and "/telephony/" in path:
            refused["job" if CURRENT.get() is not None else "others"] += 1

    CALL_OBSERVERS.append(observe)
    try:
        names = [f"budget-{i}" for i in range(30)]
        replies = await send(chat, "name,location\n" + "".join(f"{n},Madrid\n" for n in names))
        chat.state.faults.rate_limit = RateLimit(per_second=10)
        await chat.submit(replies[-1], "Create")
        await asyncio.sleep(2.0)  # the job has met the limit and runs at its pace
        for i in range(3):
            answer = await chat.answer(f"create trunk name=single-{i} location=Madrid", person=BOB)
            assert chat.state.trunk_by_name(f"single-{i}") is not None, answer
            await asyncio.sleep(0.5)
        await run.wait_all()
        made = sorted(t.name for t in chat.state.trunks.values() if t.name in names)
        assert made == sorted(names)  # every row, once
        assert refused["job"] > 0  # the job did meet the limit
        assert refused["others"] <= 2  # their requests go through (one may wait a second)
    finally:
        CALL_OBSERVERS.remove(observe)
        await chat.app.aclose()
