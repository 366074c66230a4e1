"""`create trunks` with a CSV file, end to end through the router against the fake Webex:
every row checked before any write, a mixed file, a 429 storm, Stop, a restart mid-job, a
group space, a huge file, formula-looking cells."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass, field

import pytest

from bot import cards
from bot.events import Download, Event, FileTooBig, Reply
from bot.store.bulk import JobState, NewRow
from bot.transports.shell import person_id_for
from commands.bulk import run
from tests.chat import ALICE, Chat, RecordingOutbox, make_chat
from tests.clock import StoreClock
from webexfake.calling import seeded_id


@dataclass
class FileOutbox(RecordingOutbox):
    files: dict[str, bytes] = field(default_factory=dict)

    async def fetch_file(self, url: str, *, max_bytes: int) -> Download:
        data = self.files[url]
        if len(data) > max_bytes:
            raise FileTooBig(len(data))
        return Download("sites.csv", "text/csv", data)


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """The job's waits take a millisecond, and its clock moves by the time it waited (so
    its pace, cut by a 429 storm, grows back in fake seconds, not real ones)."""
    virtual = [0.0]

    async def tick(seconds: float) -> None:
        virtual[0] += seconds
        await asyncio.sleep(0.001)

    monkeypatch.setattr(
        run,
        "TIMING",
        run.Timing(sleep=tick, clock=lambda: virtual[0], progress_every=0.01),
    )


#: One good row and four bad ones (rows 3-6: no name, an unknown location, a name used twice
#: in the file, a port on a registering trunk), ";"-separated with a capitalised header.
BAD_ROWS = (
    "Name;Location;Type;Port\n"
    "ok-1;Madrid;;\n"
    ";Madrid;;\n"
    "bad-2;Atlantis;;\n"
    "ok-1;Madrid;;\n"
    "bad-4;Madrid;registering;5061\n"
)


async def chat_with_files() -> Chat:
    chat = await make_chat()
    chat.outbox = FileOutbox()
    return chat


async def send(
    chat: Chat, data: str | bytes, text: str = "create trunks", person: str = ALICE, **kw: str
) -> list[Reply]:
    assert isinstance(chat.outbox, FileOutbox)
    raw = data.encode() if isinstance(data, str) else data
    url = f"https://webexapis.com/v1/contents/{len(chat.outbox.files)}"
    chat.outbox.files[url] = raw
    n = len(chat.outbox.files)
    space = kw.get("space", "direct")
    from bot.events import Actor, Space, SpaceKind
    from bot.transports.shell import person_id_for

    event = Event(
        id=f"file-{n}",
        actor=Actor(person_id_for(person), person, chat.state.org_id),
        space=Space(f"room-{space}", SpaceKind(space)),
        text=text,
        message_id=f"file-{n}",
        mentions_bot=True,
        files=(url,),
    )
    ctx = await chat.app.router.handle(event, chat.outbox)
    assert ctx is not None
    return ctx.sent


def result_rows(chat: Chat) -> list[dict[str, str]]:
    [reply] = [r for r in chat.outbox.sent if r.file is not None]
    text = reply.file.content.decode("utf-8-sig") if reply.file else ""
    return list(csv.DictReader(io.StringIO(text)))


async def test_bad_rows_are_reported_by_number_and_nothing_is_written() -> None:
    chat = await chat_with_files()
    try:
        replies = await send(chat, BAD_ROWS, "create trunks dry-run")
        text = replies[-1].markdown
        assert "1 of 5 rows are ready" in text
        assert "row 3, Name" in text
        assert "row 4, Location" in text
        assert "also in row 2" in text
        assert "row 6, Port" in text
        assert "Dry run: nothing was created." in text
        assert chat.trunk_posts() == []
        assert [c for c in chat.state.requests if c.method != "GET"] == []
    finally:
        await chat.app.aclose()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("name,locaton\nx,Madrid\n", "Did you mean `location`?"),
        ("name,location,password\nx,Madrid,Secret1\n", "can't carry passwords"),
        ("name\nx\n", "at least `name` and `location`"),
        (b"\xff\xfename,location\n", "isn't UTF-8"),
        ("name,location\n" + "x,Madrid\n" * 5001, "more than 5,000 rows"),
        ("name,location\n" + "x" * (1024 * 1024 + 1), "at most 1 MiB"),
    ],
)
async def test_a_file_it_cannot_take_is_one_sentence(body: str | bytes, words: str) -> None:
    chat = await chat_with_files()
    try:
        replies = await send(chat, body)
        assert len(replies) == 1
        assert words in replies[0].markdown, replies[0].markdown
        assert chat.trunk_posts() == []
    finally:
        await chat.app.aclose()


async def test_no_file_and_a_group_space_are_refused() -> None:
    chat = await chat_with_files()
    try:
        assert "Attach a CSV file" in await chat.answer("create trunks")
        replies = await send(chat, "name,location\nx,Madrid\n", space="group")
        assert "only in our 1:1 space" in replies[-1].markdown
        assert chat.trunk_posts() == []
    finally:
        await chat.app.aclose()


async def test_a_mixed_file_creates_the_good_rows_and_neutralizes_formulas() -> None:
    chat = await chat_with_files()
    try:
        body = (
            "\ufeffname,location\n"
            "mix-1,Madrid\n"
            "mix-2,Nowhere\n"
            '"=HYPERLINK(""http://evil.example"",""x"")",Madrid\n'
        )
        replies = await send(chat, body)
        assert "2 of 3 rows are ready" in replies[-1].markdown
        # The problems are also a message of their own: clients show a card, not its text.
        assert replies[-2].card is None
        assert "row 3, location" in replies[-2].markdown
        card = replies[-1]
        assert card.card is not None
        assert card.card["body"][0]["text"].startswith("Create 2 trunks from ")
        await chat.submit(card, "Create")
        await run.wait_all()
        names = sorted(p["name"] for p in chat.trunk_posts())
        assert names == ['=HYPERLINK("http://evil.example","x")', "mix-1"]
        rows = result_rows(chat)
        assert [r["status"] for r in rows] == ["created", "created"]
        assert rows[1]["name"].startswith("'=HYPERLINK")
        assert all(r["id"] and r["password"] for r in rows)
        summary = next(r for r in chat.outbox.sent if r.file is not None)
        assert summary.markdown.startswith("✅ Done: 2 created, 0 failed.")
        audit = await chat.app.services.store.list_audit()
        assert sum(1 for a in audit if a.event_id and a.event_id.count(":") == 2) == 2
        assert any(a.result and a.result.startswith("bulk: 2 created") for a in audit)
        edits = [r for r in chat.outbox.sent if r.replaces]
        assert edits, "the progress message was never edited"
    finally:
        await chat.app.aclose()


async def test_a_429_storm_slows_it_down_and_nothing_is_duplicated() -> None:
    chat = await chat_with_files()
    try:
        rows = "".join(f"storm-{i},Madrid\n" for i in range(12))
        replies = await send(chat, "name,location\n" + rows)
        chat.state.faults.add(
            "status",
            method="POST",
            path_suffix="/premisePstn/trunks",
            times=6,
            status=429,
            retry_after="2",
        )
        await chat.submit(replies[-1], "Create")
        await run.wait_all()
        names = [p["name"] for p in chat.trunk_posts()]
        assert sorted(set(names)) == sorted(f"storm-{i}" for i in range(12))
        created = [t for t in chat.state.trunks.values() if t.name.startswith("storm-")]
        assert len(created) == 12
        assert 2.0 in chat.slept  # Retry-After honoured by the HTTP layer
        assert [r["status"] for r in result_rows(chat)] == ["created"] * 12
    finally:
        await chat.app.aclose()


async def test_stop_leaves_the_rest_out_and_says_what_was_created() -> None:
    chat = await chat_with_files()
    try:
        rows = "".join(f"stop-{i},Madrid\n" for i in range(20))
        replies = await send(chat, "name,location\n" + rows)
        await chat.submit(replies[-1], "Create")
        answer = await chat.answer("stop bulk")
        assert answer.startswith("Stopping the bulk create")
        await run.wait_all()
        statuses = [r["status"] for r in result_rows(chat)]
        assert "skipped" in statuses
        assert statuses.count("created") == len(chat.trunk_posts())
        summary = next(r for r in chat.outbox.sent if r.file is not None)
        assert summary.markdown.startswith("⏹ Stopped")
        assert await chat.answer("stop bulk") == "You have no bulk create running."
    finally:
        await chat.app.aclose()


async def test_a_restart_mid_job_resumes_without_a_duplicate() -> None:
    chat = await chat_with_files()
    store = chat.app.services.store
    clock = StoreClock(store)
    try:
        madrid = seeded_id("LOCATION", "Madrid")
        from bot.transports.shell import person_id_for

        alice = person_id_for(ALICE)
        await store.bulk.create(
            "job-r",
            requester=alice,
            room_id="room-direct",
            org_id=None,
            request={
                "file": "sites.csv",
                "requester": {"person_id": alice, "email": ALICE, "org_id": chat.state.org_id},
            },
            rows=[
                NewRow(n, f"res-{n}", madrid, {"name": f"res-{n}", "type": "REGISTERING"})
                for n in (2, 3, 4)
            ],
        )
        await store.bulk.move("job-r", JobState.RUNNING, only_from=(JobState.AWAITING,))
        # The dead process had claimed the job, and row 2's POST had landed before it died.
        await store.bulk.claim("job-r", "dead-process", stale_seconds=30)
        await store.begin_create(
            "bulk:job-r:2", name="res-2", org_id=None, location_id=madrid, requester=alice
        )
        from tests.chat import seed_trunk

        seed_trunk(chat.state, "res-2", "Madrid")
        assert await run.resume_orphans(chat.app.services, chat.outbox) == 0  # owner alive
        clock.advance(60)
        for job in chat.app.jobs:
            await job(chat.outbox, 300.0)
        await run.wait_all()
        texts = [r.markdown for r in chat.outbox.sent]
        assert any(t.startswith("I was restarted during your bulk create") for t in texts)
        assert sorted(p["name"] for p in chat.trunk_posts()) == ["res-3", "res-4"]
        assert [r["status"] for r in result_rows(chat)] == ["created"] * 3
        job = await store.bulk.get("job-r")
        assert job is not None
        assert job.state is JobState.DONE
    finally:
        await chat.app.aclose()


APPROVAL_POLICY = """
[[grant]]
people    = ["dave@example.com"]
actions   = ["trunk.create"]
approval  = "required"
approvers_space = "ROOM-APPROVERS"
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["erin@example.com"]
actions   = ["approve"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["lee@example.com"]
actions   = ["approve"]
locations = ["London HQ"]
orgs      = ["*"]
"""
DAVE, ERIN, LEE = "dave@example.com", "erin@example.com", "lee@example.com"


async def test_a_file_needing_approval_goes_through_one_approval() -> None:
    """Rows whose grant needs approval: Create sends the whole file to the approvers (counts
    per location); nothing is created before Approve; an approver who lacks one of the
    file's locations is refused, naming it, and the card stays for one who covers all."""
    chat = await make_chat(policy=APPROVAL_POLICY)
    chat.outbox = FileOutbox()
    try:
        body = "name,location\nap-1,Madrid\nap-2,Madrid\nap-3,London HQ\n"
        replies = await send(chat, body, person=DAVE)
        assert "3 of 3 rows are ready" in replies[-1].markdown
        asked = await chat.submit(replies[-1], "Create", person=DAVE)
        [card] = [r for r in asked if r.room_id == "ROOM-APPROVERS"]
        assert "asks to create the trunks from **sites.csv**" in card.markdown
        facts = cards.card_as_text(card.card or {})
        assert "Trunks to create: 3" in facts
        assert "Madrid: 2 trunks" in facts
        assert "London HQ: 1 trunk" in facts
        assert "needs a second person's approval" in asked[-1].markdown
        await run.wait_all()
        assert chat.trunk_posts() == []

        refused = await chat.submit(card, "Approve", person=LEE, room_id="ROOM-APPROVERS")
        assert refused[-1].markdown.startswith("You can't approve this request: it also")
        assert "Madrid" in refused[-1].markdown
        assert "London HQ" not in refused[-1].markdown
        await run.wait_all()
        assert chat.trunk_posts() == []

        mine = await chat.submit(card, "Approve", person=DAVE, room_id="ROOM-APPROVERS")
        assert mine[-1].markdown.startswith("You can't approve your own request")

        approved = await chat.submit(card, "Approve", person=ERIN, room_id="ROOM-APPROVERS")
        to_dave = [r.markdown for r in approved if r.room_id == "room-direct"]
        assert any("approved your request for the trunks from **sites.csv**" in t for t in to_dave)
        await run.wait_all()
        assert sorted(p["name"] for p in chat.trunk_posts()) == ["ap-1", "ap-2", "ap-3"]
        assert [r["status"] for r in result_rows(chat)] == ["created"] * 3
        summary = next(r for r in chat.outbox.sent if r.file is not None)
        assert summary.markdown.startswith("✅ Done: 3 created, 0 failed.")
        assert summary.room_id == "room-direct"
        again = await chat.submit(card, "Approve", person=ERIN, room_id="ROOM-APPROVERS")
        assert "Approved" not in again[-1].markdown
        assert len(chat.trunk_posts()) == 3
    finally:
        await chat.app.aclose()


async def test_an_approved_file_needs_its_approver_at_run_time() -> None:
    """The job carries its approver; the runner asks the gate again for each location, so
    a job without an approval (or whose approver lost a location) writes nothing there."""
    chat = await make_chat(policy=APPROVAL_POLICY)
    chat.outbox = FileOutbox()
    store = chat.app.services.store
    try:
        madrid = seeded_id("LOCATION", "Madrid")
        dave = person_id_for(DAVE)
        request = {
            "file": "sites.csv",
            "requester": {"person_id": dave, "email": DAVE, "org_id": chat.state.org_id},
        }
        await store.bulk.create(
            "job-na",
            requester=dave,
            room_id="room-direct",
            org_id=None,
            request=request,
            rows=[NewRow(2, "na-1", madrid, {"name": "na-1", "type": "REGISTERING"})],
        )
        await store.bulk.move("job-na", JobState.RUNNING, only_from=(JobState.AWAITING,))
        run.start(chat.app.services, chat.outbox, "job-na")
        await run.wait_all()
        assert chat.trunk_posts() == []
        assert [r["status"] for r in result_rows(chat)] == ["failed"]
    finally:
        await chat.app.aclose()


async def test_webex_refusals_of_a_row_are_our_sentences() -> None:
    """Webex's codes we understand (domain not verified, address in use) read in a row's
    problem as they do for a single create, with Webex's words and tracking ID after."""
    chat = await chat_with_files()
    try:
        head = "name,location,type,device,address,domain,port,max-calls\n"
        sbc = "certificate,Oracle ACME SBC"
        body = (
            head
            + f"ref-1,Paris Office,{sbc},sbc7.acme.corp,acme.corp,5061,100\n"
            + f"ref-2,Paris Office,{sbc},sbc1.sbc.example.com,sbc.example.com,5061,100\n"
        )
        text = (await send(chat, body, "create trunks dry-run"))[-1].markdown
        assert "row 2, address: The domain **acme.corp** isn't verified in this organization" in (
            text
        )
        assert "row 3, address: The address **sbc1.sbc.example.com** is already used" in text
        assert chat.trunk_posts() == []
    finally:
        await chat.app.aclose()


async def test_rows_created_before_a_restart_say_their_password_was_not_kept() -> None:
    """Generated passwords live in memory only: after a restart the rows created before it
    have none, and the result file and the summary say so with the command that sets one."""
    chat = await chat_with_files()
    store = chat.app.services.store
    clock = StoreClock(store)
    try:
        from tests.chat import seed_trunk

        madrid = seeded_id("LOCATION", "Madrid")
        alice = person_id_for(ALICE)
        names = {2: "pk-2", 3: "pk 3", 4: "pk-4", 5: "pk-5"}
        await store.bulk.create(
            "job-pk",
            requester=alice,
            room_id="room-direct",
            org_id=None,
            request={
                "file": "sites.csv",
                "requester": {"person_id": alice, "email": ALICE, "org_id": chat.state.org_id},
            },
            rows=[
                NewRow(n, name, madrid, {"name": name, "type": "REGISTERING"})
                for n, name in names.items()
            ],
        )
        await store.bulk.move("job-pk", JobState.RUNNING, only_from=(JobState.AWAITING,))
        await store.bulk.claim("job-pk", "dead-process", stale_seconds=30)
        # Before the restart: row 2 settled, row 3's create done but not settled, row 4's
        # POST landed without an answer; row 5 never started.
        two = seed_trunk(chat.state, "pk-2", "Madrid")
        await store.bulk.finish_row("job-pk", 2, run.RowState.CREATED, trunk_id=two)
        three = seed_trunk(chat.state, "pk 3", "Madrid")
        for n, name in ((3, "pk 3"), (4, "pk-4")):
            await store.begin_create(
                f"bulk:job-pk:{n}", name=name, org_id=None, location_id=madrid, requester=alice
            )
        await store.complete_create("bulk:job-pk:3", f'{{"trunk_id": "{three}"}}')
        seed_trunk(chat.state, "pk-4", "Madrid")
        clock.advance(60)
        for job in chat.app.jobs:
            await job(chat.outbox, 300.0)
        await run.wait_all()
        assert [p["name"] for p in chat.trunk_posts()] == ["pk-5"]
        rows = {int(r["row"]): r for r in result_rows(chat)}
        assert [rows[n]["status"] for n in (2, 3, 4, 5)] == ["created"] * 4
        assert rows[5]["password"]
        assert not rows[5]["error"]
        for n in (2, 3, 4):
            assert rows[n]["password"] == ""
            assert "its generated password was not kept" in rows[n]["error"]
        assert rows[2]["error"].endswith("Set a new one with: update trunk pk-2 password=auto")
        assert rows[3]["error"].endswith('update trunk "pk 3" password=auto')
        summary = next(r for r in chat.outbox.sent if r.file is not None).markdown
        assert "3 trunks were created before I was restarted" in summary
        assert "`update trunk pk-2 password=auto`" in summary
    finally:
        await chat.app.aclose()
