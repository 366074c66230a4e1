"""`create trunks` end to end through both ways a person reaches the bot — `trunkbot shell`
(``/file``, ``/press``) and the real webex-bot websocket against the fake Webex (the file
shared as Webex does, cards pressed as a client does) — with the same scenarios for each:
bad rows reported by number with no write, a mixed file, a 429 storm, Stop, a file in a
group space, a huge file, formula-looking cells that never reach the result file unescaped,
and passwords only in the 1:1 result file."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot.store import AuditRecord, Store
from bot.transports.shell import Shell
from commands.bulk import run
from tests.chat import ALICE, Chat, make_chat
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_over_websocket, running_bot
from tests.test_bulk import BAD_ROWS
from webexfake.calling import SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex, Message

POLICY = """
[[grant]]
domains   = ["example.com"]
actions   = ["trunk.create"]
locations = ["Madrid", "London HQ"]
orgs      = ["*"]
"""
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "+cmd", "@SUM(1)")


class Driver(Protocol):
    """A person with a file, on one transport; what the bot said back."""

    state: SandboxState

    async def send_file(self, data: bytes, text: str = ..., *, group: bool = ...) -> str: ...
    async def press(self, button: str) -> None: ...
    async def finished(self) -> None: ...
    def result(self) -> bytes: ...
    def everything_said(self) -> str: ...
    def progress(self) -> list[str]: ...
    async def audit(self) -> list[AuditRecord]: ...


class ShellDriver:
    """`trunkbot shell` in process: /file writes the file and attaches it; /press answers."""

    def __init__(self, chat: Chat, tmp_path: Path) -> None:
        self.chat, self.state, self.tmp = chat, chat.state, tmp_path
        self.out = io.StringIO()
        self.shell = Shell(router=chat.app.router, email=ALICE, out=self.out)
        self.shell.outbox.save_dir = tmp_path / "files"

    async def line(self, typed: str) -> str:
        start = self.out.tell()
        await self.shell.handle_line(typed)
        return self.out.getvalue()[start:]

    async def send_file(
        self, data: bytes, text: str = "create trunks", *, group: bool = False
    ) -> str:
        path = self.tmp / "sites.csv"
        path.write_bytes(data)
        if group:
            await self.line("/space group")
        return await self.line(f"/file {path} {text}")

    async def press(self, button: str) -> None:
        await self.line(f"/press {button}")

    async def finished(self) -> None:
        await run.wait_all()

    def result(self) -> bytes:
        [saved] = (self.tmp / "files").glob("*-result.csv")
        return saved.read_bytes()

    def everything_said(self) -> str:
        return self.out.getvalue()

    def progress(self) -> list[str]:
        return [line for line in self.out.getvalue().splitlines() if "⏳" in line]

    async def audit(self) -> list[AuditRecord]:
        return await self.chat.app.services.store.list_audit()


class WebsocketDriver:
    """The real bot over webex-bot's websocket: the file shared in the 1:1 (or a group)."""

    def __init__(self, fake: FakeWebex, state: SandboxState, store: Store | None = None) -> None:
        self.fake, self.state, self.store = fake, state, store
        self.alice = fake.add_person(ALICE, "Alice Example")
        self.dm = fake.add_room("direct", [self.alice])

    def said(self) -> list[Message]:
        return self.fake.messages_from_bot(include_deleted=True)

    async def settle(self, before: int) -> list[Message]:
        """The bot's new messages once it answered: a card came, or nothing more for 0.5 s."""
        seen, quiet = before, 0
        for _ in range(300):
            msgs = self.said()[before:]
            if any(m.attachments for m in msgs) or (msgs and quiet >= 10):
                return msgs
            quiet = quiet + 1 if len(self.said()) == seen else 0
            seen = len(self.said())
            await asyncio.sleep(0.05)
        raise AssertionError("the bot did not answer")

    async def send_file(
        self, data: bytes, text: str = "create trunks", *, group: bool = False
    ) -> str:
        room = self.fake.add_room("group", [self.alice], title="Ops") if group else self.dm
        before = len(self.said())
        await self.fake.user_shares_file(self.alice, room, text, name="sites.csv", data=data)
        return "\n".join(m.markdown or m.text or "" for m in await self.settle(before))

    async def press(self, button: str) -> None:
        for card in reversed(self.said()):
            actions = card.attachments[0]["content"].get("actions", []) if card.attachments else []
            data = next((a["data"] for a in actions if a.get("title") == button), None)
            if data is not None:
                before = len(self.said())
                await self.fake.user_submits_card(self.alice, self.dm, card.id, data)
                await self.settle(before)
                return
        raise AssertionError(f"no card with {button}")

    async def finished(self) -> None:
        for _ in range(400):
            if self.fake.files_from_bot(to_person=self.alice):
                await run.wait_all()
                return
            await asyncio.sleep(0.05)
        raise AssertionError("no result file")

    def result(self) -> bytes:
        [content] = self.fake.files_from_bot(to_person=self.alice)
        assert content.name == "sites-result.csv"
        return content.data

    def everything_said(self) -> str:
        return "\n".join(m.markdown or m.text or "" for m in self.said())

    def progress(self) -> list[str]:
        """The progress message as posted, then each edit (PUT /messages)."""
        posted = [m.markdown or "" for m in self.said() if "⏳" in (m.markdown or "")][:1]
        edits = self.fake.requests_to("/v1/messages", method="PUT")
        return posted + [str((r.json or {}).get("markdown", "")) for r in edits]

    async def audit(self) -> list[AuditRecord]:
        assert self.store is not None
        return await self.store.list_audit()


@pytest.fixture(params=["shell", "websocket"])
async def person(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
) -> AsyncIterator[Driver]:
    if request.param == "shell":
        virtual = [0.0]

        async def tick(seconds: float) -> None:
            virtual[0] += seconds
            await asyncio.sleep(0.001)

        timing = run.Timing(sleep=tick, clock=lambda: virtual[0], progress_every=0.01)
        monkeypatch.setattr(run, "TIMING", timing)
        chat = await make_chat(policy=POLICY)
        try:
            yield ShellDriver(chat, tmp_path)
            await run.wait_all()
        finally:
            await chat.app.aclose()
    else:
        monkeypatch.setattr(run, "TIMING", run.Timing(progress_every=0.05))
        state = SandboxState.seeded()
        async with bot_over_websocket(fake_webex_factory, tmp_path, POLICY, state) as (
            fake,
            runner,
        ):
            yield WebsocketDriver(fake, state, runner.app.services.store)
            await run.wait_all()


def writes(state: SandboxState) -> list[Any]:
    """Every call that could change something in the calling API (a password is generated
    only for a create, so that POST counts too)."""
    return [c for c in state.requests if c.method != "GET"]


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def cells_of(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


async def test_bad_rows_are_reported_by_number_and_nothing_is_written(person: Driver) -> None:
    said = await person.send_file(BAD_ROWS.encode(), "create trunks dry-run")
    assert "1 of 5 rows are ready" in said
    for where in ("row 3, Name", "row 4, Location", "row 6, Port"):
        assert where in said
    assert "also in row 2" in said  # row 5's name repeats row 2's
    assert "Dry run: nothing was created." in said
    said = await person.send_file(b"name,location\nno-1,Atlantis\nno-2,Paris Office\n")
    assert "0 of 2 rows are ready" in said
    assert "row 2, location" in said
    assert "row 3, location" in said
    assert writes(person.state) == []


async def test_a_mixed_file_creates_the_good_rows_and_formulas_stay_text(person: Driver) -> None:
    formula_rows = "".join(f'"{f.replace(chr(34), chr(34) * 2)}",Madrid\n' for f in FORMULAS)
    body = "\ufeffname,location\nmix-1,Madrid\nmix-2,Atlantis\nmix-3,London HQ\n" + formula_rows
    said = await person.send_file(body.encode())
    assert "5 of 6 rows are ready" in said
    assert "row 3, location" in said
    assert writes(person.state) == []  # nothing before Create
    await person.press("Create")
    await person.finished()
    data = person.result()
    rows = rows_of(data)
    assert [r["status"] for r in rows] == ["created"] * 5
    assert list(rows[0])[:6] == ["row", "name", "status", "id", "error", "tracking_id"]
    assert {r["row"] for r in rows} == {"2", "4", "5", "6", "7"}
    # What a spreadsheet would run is text in the result: no cell starts with = + - @.
    assert not [c for c in cells_of(data) if c[:1] in ("=", "+", "-", "@")]
    for formula in FORMULAS:
        assert any(c == "'" + formula for c in cells_of(data)), formula
        assert person.state.trunk_by_name(formula) is not None  # the name itself is kept
    assert person.state.trunk_by_name("mix-2") is None
    passwords = [r["password"] for r in rows]
    assert all(passwords)
    said = person.everything_said()
    assert "✅ Done: 5 created, 0 failed." in said
    assert not [p for p in passwords if p in said]  # passwords only in the 1:1 file
    audit = await person.audit()
    per_row = [a for a in audit if (a.event_id or "").startswith("bulk:") and a.trunk_id]
    assert sorted(a.trunk_id or "" for a in per_row) == sorted(r["id"] for r in rows)
    [job] = [a for a in audit if (a.event_id or "").count(":") == 1 and a.result]
    assert job.result == "bulk: 5 created, 0 failed, 0 not attempted"


async def test_a_429_storm_is_waited_out_and_nothing_is_duplicated(person: Driver) -> None:
    rows = "".join(f"storm-{i},Madrid\n" for i in range(8))
    said = await person.send_file(("name,location\n" + rows).encode())
    assert "Create 8 trunks" in said
    person.state.faults.add(
        "status",
        method="POST",
        path_suffix="/premisePstn/trunks",
        times=6,
        status=429,
        retry_after="1",
    )
    await person.press("Create")
    await person.finished()
    made = [t.name for t in person.state.trunks.values() if t.name.startswith("storm-")]
    assert sorted(made) == sorted(f"storm-{i}" for i in range(8))  # each once
    posts = person.state.calls("POST", "/premisePstn/trunks")
    assert len(posts) == 6 + 8  # six refused with 429 and tried again, eight created
    assert [r["status"] for r in rows_of(person.result())] == ["created"] * 8


async def test_stop_lets_rows_in_flight_finish_and_says_what_was_and_wasnt(
    person: Driver,
) -> None:
    rows = "".join(f"stop-{i},Madrid\n" for i in range(30))
    await person.send_file(("name,location\n" + rows).encode())
    person.state.faults.add("latency", path_suffix="/premisePstn/trunks", seconds=0.2, times=None)
    await person.press("Create")
    await person.press("Stop")
    await person.finished()
    result = rows_of(person.result())
    statuses = [r["status"] for r in result]
    assert "skipped" in statuses
    created = {r["name"] for r in result if r["status"] == "created"}
    made = {t.name for t in person.state.trunks.values() if t.name.startswith("stop-")}
    assert created == made  # every trunk it made is in the file, and nothing else
    assert len(person.state.calls("POST", "/premisePstn/trunks")) == len(made)
    assert "⏹ Stopped" in person.everything_said()


async def test_a_file_in_a_group_space_is_refused_unread(person: Driver) -> None:
    said = await person.send_file(b"name,location\ngrp-1,Madrid\n", group=True)
    assert "only in our 1:1 space" in said
    assert writes(person.state) == []
    assert person.state.trunk_by_name("grp-1") is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"name,location\n" + b"x" * (1024 * 1024 + 1), "at most 1 MiB"),
        (b"name,location\n" + b"x,Madrid\n" * 5001, "more than 5,000 rows"),
    ],
)
async def test_a_huge_file_is_one_sentence(person: Driver, body: bytes, words: str) -> None:
    said = await person.send_file(body)
    assert words in said
    assert len(said.strip().splitlines()) == 1
    assert writes(person.state) == []
    if isinstance(person, WebsocketDriver) and "MiB" in words:
        # Its size was asked first (HEAD): the file itself was never downloaded.
        assert person.fake.requests_to("/v1/contents", method="HEAD")
        assert not person.fake.requests_to("/v1/contents", method="GET")


async def die_mid_job(state: SandboxState, names: list[str]) -> list[str]:
    """Once a few of the job's rows exist, the process running it dies: its rows in flight
    end where they are. The names of the trunks made before it died."""
    for _ in range(300):
        if sum(1 for t in state.trunks.values() if t.name in names) >= 3:
            break
        await asyncio.sleep(0.02)
    # Rows in flight reach their trunk's details and wait there (their trunks made, their
    # keys done), so the process dies between two rows' writes, as a killed one would.
    details = "/v1/telephony/config/premisePstn/trunks/"
    state.faults.add("latency", method="GET", path_prefix=details, seconds=30, times=None)
    await asyncio.sleep(0.6)
    tasks = list(run._TASKS)
    assert tasks, "the job had already finished"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    state.faults.clear("latency")
    made_before = [t.name for t in state.trunks.values() if t.name in names]
    assert 3 <= len(made_before) < len(names)  # mid-job
    return made_before


def assert_carried_on(
    said: str, state: SandboxState, names: list[str], made_before: list[str], result: bytes
) -> None:
    """The next process took the job over and said so; every row exists once and is in the
    result file as created; the rows made before the restart have no password there (it
    died with that process), the others have theirs."""
    assert "I was restarted during your bulk create" in said, said
    made = sorted(t.name for t in state.trunks.values() if t.name in names)
    assert made == sorted(names)  # every row, once
    rows = rows_of(result)
    assert sorted(r["name"] for r in rows) == sorted(names)
    assert {r["status"] for r in rows} == {"created"}
    assert all(not r["password"] for r in rows if r["name"] in made_before)
    assert all(r["password"] for r in rows if r["name"] not in made_before)


async def test_a_restart_mid_job_resumes_over_the_websocket_without_a_duplicate(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
) -> None:
    """The process dies while rows are in flight (its tasks cancelled mid-POST); the next one
    takes the job over once the first stopped beating, says so, and creates every row once."""
    monkeypatch.setattr(run, "TIMING", run.Timing(progress_every=0.05, stale_after=1.0))
    state = SandboxState.seeded()
    state.faults.add("latency", path_suffix="/premisePstn/trunks", seconds=0.2, times=None)
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(POLICY)
    person = WebsocketDriver(fake, state)
    names = [f"res-{i}" for i in range(12)]
    async with running_bot(fake, tmp_path):
        await person.send_file(
            ("name,location\n" + "".join(f"{n},Madrid\n" for n in names)).encode()
        )
        await person.press("Create")
        made_before = await die_mid_job(state, names)
    assert not fake.files_from_bot(to_person=person.alice)
    monkeypatch.setattr(run, "OWNER", "the-next-process")
    run._STOPS.clear()
    await asyncio.sleep(1.5)  # the first process's beat goes stale
    async with running_bot(fake, tmp_path):
        await person.finished()
    assert_carried_on(person.everything_said(), state, names, made_before, person.result())


async def test_a_big_bad_file_is_reported_capped_and_summarised(person: Driver) -> None:
    body = "name,location\n" + "".join(f"cap-{i},Atlantis\n" for i in range(300))
    said = await person.send_file(body.encode())
    assert "0 of 300 rows are ready" in said
    listed = [line for line in said.splitlines() if line.lstrip("• ").startswith("row ")]
    assert len(listed) == 20
    assert "…and 280 more problems (rows 22, 23, 24," in said
    assert len(said.encode()) < 7439  # one Webex message
    assert writes(person.state) == []


async def test_a_spreadsheet_is_one_sentence(person: Driver) -> None:
    if isinstance(person, WebsocketDriver):
        before = len(person.said())
        await person.fake.user_shares_file(
            person.alice,
            person.dm,
            "create trunks",
            name="sites.xlsx",
            data=b"PK\x03\x04",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        said = "\n".join(m.markdown or "" for m in await person.settle(before))
    else:
        assert isinstance(person, ShellDriver)
        path = person.tmp / "sites.xlsx"
        path.write_bytes(b"PK\x03\x04")
        said = await person.line(f"/file {path}")
    assert "is a spreadsheet, not a CSV file: save it as" in said
    assert writes(person.state) == []


async def test_progress_says_what_is_done_failed_left_and_how_long(person: Driver) -> None:
    assert run.Timing().progress_every <= 10  # the promise: at least every 10 seconds
    rows = "".join(f"prog-{i},Madrid\n" for i in range(12))
    await person.send_file(("name,location\n" + rows).encode())
    person.state.faults.add("latency", path_suffix="/premisePstn/trunks", seconds=0.05, times=None)
    person.state.faults.add(  # two rows Webex refuses
        "status",
        method="POST",
        path_suffix="/premisePstn/trunks",
        times=2,
        status=400,
        description="Invalid trunk",
    )
    await person.press("Create")
    await person.finished()
    shown = person.progress()
    assert len(shown) >= 2, shown  # posted, then edited
    assert any(
        re.search(r"⏳ Creating trunks: \d+ created, \d+ failed, \d+ to go, about", p)
        for p in shown
    ), shown
    assert "⚠️ Done: 10 created, 2 failed." in person.everything_said()
