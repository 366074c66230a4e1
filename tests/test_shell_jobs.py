"""`trunkbot shell` runs the features' jobs as `trunkbot run` does: a bulk create that a
previous shell left half done (the process died with rows in flight) is taken over by the
next shell's housekeeping, which says so and creates every remaining row once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.transports.shell_jobs import keep_house
from commands.bulk import run
from tests.chat import make_chat
from tests.test_bulk_transports import POLICY, ShellDriver, assert_carried_on, die_mid_job


async def test_the_next_shell_carries_on_a_bulk_create_the_last_one_left(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(run, "TIMING", run.Timing(progress_every=0.05, stale_after=1.0))
    chat = await make_chat(policy=POLICY)
    state = chat.state
    state.faults.add("latency", path_suffix="/premisePstn/trunks", seconds=0.2, times=None)
    names = [f"sh-{i}" for i in range(12)]
    first = ShellDriver(chat, tmp_path)
    house: asyncio.Task[None] | None = None
    try:
        await first.send_file(
            ("name,location\n" + "".join(f"{n},Madrid\n" for n in names)).encode()
        )
        await first.press("Create")
        made_before = await die_mid_job(state, names)
        monkeypatch.setattr(run, "OWNER", "the-next-shell")
        run._STOPS.clear()

        # The next shell: its housekeeping, a round every 0.2 s, finds the job once its
        # owner has been silent for stale_after, and carries it on.
        second = ShellDriver(chat, tmp_path)  # a new shell on the same database and org
        house = asyncio.create_task(keep_house(chat.app.jobs, second.shell.outbox, every=0.2))
        for _ in range(300):
            if "I was restarted during your bulk create" in second.everything_said():
                break
            await asyncio.sleep(0.05)
        await run.wait_all()
        said = second.everything_said()
        assert_carried_on(said, state, names, made_before, second.result())
    finally:
        if house is not None:
            house.cancel()
            await asyncio.gather(house, return_exceptions=True)
        await run.wait_all()
        await chat.app.aclose()
