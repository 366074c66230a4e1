"""The audit trail as an auditor reads it: `audit` in chat, `trunkbot audit` on the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import replies
from bot.audit_view import FIELDS, MAX_MESSAGE_BYTES, chat_reply
from bot.cli import main
from bot.store import AuditRecord, open_store
from bot.transports.shell import person_id_for
from commands.audit import MAX_LAST
from tests.chat import DEFAULT_POLICY, Chat, make_chat
from webexfake.calling import seeded_id

AUDREY = "audrey@example.com"  # the auditor: audit.read only
MALLORY = "mallory@evil.example"
PAT = "pat@example.com"
LONDON = seeded_id("LOCATION", "London HQ")
TYPED = "Typed0nlyInChat#42"  # a password alice types; it must never come back


# --- chat ------------------------------------------------------------------------------------


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    """A trail made through the harness, oldest first: alice creates lon-1; mallory is refused;
    pat is refused New York; Webex refuses alice's par-1 (typed password, tracking ID)."""
    chat = await make_chat()
    await chat.say('create trunk name=lon-1 location="London HQ"')
    await chat.say('create trunk name=evil-1 location="London HQ"', person=MALLORY)
    await chat.say('create trunk name=ny-1 location="New York"', person=PAT)
    chat.state.faults.add("status", method="POST", path_suffix="/premisePstn/trunks", status=400)
    await chat.say(f'create trunk name=par-1 location="Paris Office" password={TYPED}')
    yield chat
    await chat.app.aclose()


def rows_of(reply: str) -> list[str]:
    """Which rows a reply lists, newest first: each by its trunk name, else its email."""
    out = []
    for line in reply.splitlines():
        if line.startswith("• "):
            name = re.search(r"\*\*(.+?)\*\*", line)
            out.append(name.group(1) if name else line.split(" · ")[1])
    return out


async def test_auditor_sees_every_attempt_with_its_fields(chat: Chat) -> None:
    """`audit`: newest first, one line per attempt, with who, what, where, result and IDs."""
    trunk = chat.state.trunk_by_name("lon-1")
    assert trunk is not None
    reply = await chat.answer("audit", person=AUDREY)
    head, *lines = reply.splitlines()
    assert head == replies.audit_header(4, None, None)
    expected = [
        [
            "alice@example.com",
            "trunk.create",
            "✅ allowed",
            "Paris Office",
            "failed (HTTP 400)",
            "**par-1**",
            "tracking ID `ROUTER_",
            "Webex refused the request",
        ],
        [PAT, "trunk.create", "⛔ refused", "New York", "**ny-1**", "only in London HQ and Paris"],
        [MALLORY, "trunk.create", "⛔ refused", "not allowed to create trunks"],
        [
            "alice@example.com",
            "✅ allowed",
            "London HQ",
            "created",
            "**lon-1**",
            f"`…{trunk.id[-10:]}`",
        ],
    ]
    assert len(lines) == len(expected)
    for line, parts in zip(lines, expected, strict=True):
        assert re.match(r"• \d{4}-\d\d-\d\d \d\d:\d\d · ", line), line
        for part in parts:
            assert part in line, (part, line)
    assert TYPED not in reply


@pytest.mark.parametrize(
    ("command", "rows"),
    [
        ("audit", ["par-1", "ny-1", MALLORY, "lon-1"]),
        ("audit person=alice@example.com", ["par-1", "lon-1"]),
        ("audit person=ALICE@Example.com", ["par-1", "lon-1"]),
        (f"audit person={person_id_for(PAT)}", ["ny-1"]),
        (f"audit email={MALLORY}", [MALLORY]),
        ('audit location="London HQ"', ["lon-1"]),
        ("audit location='london hq'", ["lon-1"]),
        (f"audit locationId={LONDON}", ["lon-1"]),
        ("audit last 2", ["par-1", "ny-1"]),
        ("audit last=2", ["par-1", "ny-1"]),
        ("audit LAST = 1", ["par-1"]),
        ('audit last 1 Location="Paris Office" person=alice@example.com', ["par-1"]),
        ("audit location=Madrid", []),
        ("audit person=nobody@example.com location='London HQ'", []),
    ],
)
async def test_filters_and_last(chat: Chat, command: str, rows: list[str]) -> None:
    """`person=`, `location=` and `last N` pick exactly the rows asked for, newest first."""
    reply = await chat.answer(command, person=AUDREY)
    assert rows_of(reply) == rows
    if not rows:
        assert "\n" not in reply
        assert reply.startswith("No audit rows ")


async def test_more_than_the_maximum_is_capped_and_said(chat: Chat) -> None:
    """`last 99` shows at most 50 rows and says so."""
    reply = await chat.answer("audit last 99", person=AUDREY)
    assert replies.audit_capped(MAX_LAST) in reply.splitlines()
    assert len(rows_of(reply)) == 4


@pytest.mark.parametrize("person", ["alice@example.com", "eve@evil.example", "erin@example.com"])
async def test_refused_without_audit_read(chat: Chat, person: str) -> None:
    """Someone without audit.read gets one refusal, no rows, and the refusal is on record."""
    replies_ = await chat.say("audit last 5", person=person)
    assert [r.markdown for r in replies_] == [replies.not_allowed("audit.read")]
    (row,) = await chat.app.services.store.list_audit(person=person, limit=1)
    assert (row.action, row.decision, row.result) == ("audit.read", "refused", "refused")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("audit colour=blue", replies.audit_unknown_key("colour", None)),
        ("audit locaton=Madrid", replies.audit_unknown_key("locaton", "location")),
        ("audit yesterday", replies.audit_bare_word("yesterday")),
        ("audit last", replies.audit_bad_last(MAX_LAST)),
        ("audit last ten", replies.audit_bad_last(MAX_LAST)),
        ("audit last=0", replies.audit_bad_last(MAX_LAST)),
        ("audit last -3", replies.audit_bad_last(MAX_LAST)),
        ("audit person=a@x.com email=b@x.com", replies.audit_repeated_key("email")),
        ("audit person= location=Madrid", replies.empty_value("person")),
        ('audit location="London HQ', replies.unterminated_quote("location")),
    ],
)
async def test_bad_arguments_get_one_sentence(chat: Chat, command: str, expected: str) -> None:
    """Unknown keys, stray words and bad numbers: one line saying what to type, no rows."""
    reply = await chat.answer(command, person=AUDREY)
    assert reply == expected
    assert "\n" not in reply
    assert "•" not in reply


async def test_grant_for_some_locations_shows_only_those() -> None:
    """audit.read for London HQ only: other locations' rows stay hidden, and asking is refused."""
    policy = DEFAULT_POLICY + (
        '\n[[grant]]\npeople = ["lara@example.com"]\nactions = ["audit.read"]\n'
        'locations = ["London HQ"]\norgs = ["*"]\n'
    )
    chat = await make_chat(policy=policy)
    try:
        await chat.say('create trunk name=lon-1 location="London HQ"')
        await chat.say('create trunk name=mad-1 location="Madrid"')
        await chat.say('create trunk name=evil-1 location="London HQ"', person=MALLORY)
        assert rows_of(await chat.answer("audit", person="lara@example.com")) == ["lon-1"]
        assert await chat.answer("audit location=Madrid", person="lara@example.com") == (
            replies.only_in_locations("audit.read", ["London HQ"])
        )
        assert rows_of(await chat.answer("audit", person=AUDREY))[-3:] == [
            MALLORY,
            "mad-1",
            "lon-1",
        ]
    finally:
        await chat.app.aclose()


async def test_reply_fits_one_webex_message_and_is_escaped(chat: Chat) -> None:
    """50 long rows: under 7,439 bytes, the rest counted; markup and mentions stay inert."""
    store = chat.app.services.store
    for n in range(60):
        await store.append_audit(
            AuditRecord(
                action="trunk.create",
                decision="allowed",
                email=f"long_{n}@example.com",
                location_name="**Bold** <@all> [x](https://evil.example)",
                request={"name": "n" * 50 + f"-{n}*_`<@all>", "password": "pw-never"},
                reason="x" * 300,
                result="created",
                trunk_id="Y2lzY29zcGFyazovL3VzL1RSVU5LL" + "a" * 40 + str(n),
                tracking_id="ROUTER_" + "b" * 50,
            )
        )
    reply = await chat.answer("audit last 50", person=AUDREY)
    assert len(reply.encode("utf-8")) <= MAX_MESSAGE_BYTES
    shown = len(rows_of(reply))
    assert 0 < shown < 50
    assert reply.splitlines()[-1] == replies.audit_more(50 - shown)
    assert "<@all>" not in reply
    assert "[x](" not in reply
    assert "pw-never" not in reply


@pytest.mark.parametrize("limit", [400, 1000, MAX_MESSAGE_BYTES])
def test_chat_reply_respects_any_byte_limit(limit: int) -> None:
    """Whatever the limit, the reply fits it when one row can, and counts what it left out."""
    records = [
        AuditRecord(action="trunk.create", decision="refused", email=f"p{n}@example.com")
        for n in range(50)
    ]
    reply = chat_reply(records, limit=limit)
    shown = len(rows_of(reply))
    assert len(reply.encode("utf-8")) <= limit
    assert shown > 0
    if shown < 50:
        assert reply.endswith(replies.audit_more(50 - shown))


async def test_no_typed_password_in_any_audit_row(chat: Chat) -> None:
    """The password alice typed is nowhere in the trail, nor in what `audit` answers."""
    await chat.say("audit", person=AUDREY)
    rows = await chat.app.services.store.list_audit()
    assert TYPED not in repr(rows)
    assert all(TYPED not in r.markdown for r in chat.outbox.sent)


# --- command line ----------------------------------------------------------------------------

CLI_SECRET = "Cli0nlySecret#77"  # never registered with the log scrubber: only the view stops it


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


TRAIL = [
    AuditRecord(
        action="trunk.create",
        decision="allowed",
        at=at("2026-10-31T23:59:59"),
        event_id="ev-1",
        person_id="person-ann",
        email="ann@example.com",
        location_id=LONDON,
        location_name="London HQ",
        request={"name": "lon-1", "type": "registering", "org": "org-1"},
        result="created",
        trunk_id="trunk-lon-1",
        duration_ms=812,
    ),
    AuditRecord(
        action="trunk.create",
        decision="refused",
        at=at("2026-11-01T00:00:00"),
        event_id="ev-2",
        email="mallory@evil.example",
        reason="You're not allowed to create trunks.",
        result="refused",
    ),
    AuditRecord(
        action="trunk.create",
        decision="allowed",
        at=at("2026-11-02T09:30:00"),
        event_id="ev-3",
        email="bob@example.com",
        location_name="Paris Office, 2nd floor",  # a comma, for CSV quoting
        request={
            "name": "par-1",
            "password": CLI_SECRET,
            "card": {"sipPassword": CLI_SECRET},
            "comment": f"the password is {CLI_SECRET}",  # the store keeps it: can't know
        },
        reason=f"Webex refused password={CLI_SECRET}",
        result="failed",
        status=400,
        error_code=25000,
        tracking_id="ROUTER_abc",
    ),
]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A SQLite trail of TRAIL written through the store, and a clean environment naming it."""
    path = tmp_path / "trail.db"

    async def fill() -> None:
        async with await open_store(f"sqlite:///{path}") as store:
            for record in TRAIL:
                await store.append_audit(record)

    asyncio.run(fill())
    for name in [n for n in os.environ if n.startswith("TRUNKBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TRUNKBOT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("TRUNKBOT_SECRETS_DIR", str(tmp_path / "no-secrets"))
    monkeypatch.setenv("TRUNKBOT_LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield path
    root.handlers[:], root.level = handlers, level  # main() installs its own log handler


def trunkbot(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    out, err = capsys.readouterr()
    return code, out, err


def emails_in_json(out: str) -> list[str | None]:
    return [row["email"] for row in json.loads(out)]


def emails_in_csv(out: str) -> list[str | None]:
    return [row["email"] for row in csv.DictReader(io.StringIO(out))]


def emails_in_table(out: str) -> list[str | None]:
    return [line.split()[2] for line in out.splitlines()[1:]]


EVERYONE = ["ann@example.com", "mallory@evil.example", "bob@example.com"]


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize(
    ("since", "emails"),
    [
        (None, EVERYONE),
        ("2026-11-01", EVERYONE[1:]),  # a date is midnight UTC, inclusive
        ("2026-11-01T00:00:01", EVERYONE[2:]),
        ("2026-11-01T01:00+01:00", EVERYONE[1:]),  # an offset counts
        ("2026-11-02T09:30:00Z", EVERYONE[2:]),
        ("2026-10-31 23:59:59", EVERYONE),
        ("2026-11-03", []),
    ],
)
def test_cli_prints_the_trail_oldest_first(
    database: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    since: str | None,
    emails: list[str],
) -> None:
    """`trunkbot audit [--since] --format X`: the rows from then on, oldest first; exit 0."""
    code, out, err = trunkbot(capsys, "--format", fmt, *(["--since", since] if since else []))
    assert code == 0, err
    read = {"table": emails_in_table, "csv": emails_in_csv, "json": emails_in_json}[fmt]
    if emails:
        assert read(out) == emails
        assert err == ""
    else:
        assert out == {"table": "", "csv": ",".join(FIELDS) + "\n", "json": "[]\n"}[fmt]
        assert err.strip() == replies.audit_cli_empty("2026-11-03T00:00:00.000Z")


def test_cli_json_fields(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON: one array of objects with every field, ISO UTC times, the request's picked values."""
    code, out, _ = trunkbot(capsys, "--format", "json")
    assert code == 0
    first, second, third = json.loads(out)
    assert list(first) == list(FIELDS)
    assert first["at"] == "2026-10-31T23:59:59.000Z"
    assert datetime.fromisoformat(first["at"]) == TRAIL[0].at
    assert (first["trunk_name"], first["trunk_type"], first["org_id"]) == (
        "lon-1",
        "registering",
        "org-1",
    )
    assert (first["trunk_id"], first["duration_ms"], first["location_id"]) == (
        "trunk-lon-1",
        812,
        LONDON,
    )
    assert (second["decision"], second["trunk_name"], second["reason"]) == (
        "refused",
        None,
        "You're not allowed to create trunks.",
    )
    assert (third["status"], third["error_code"], third["tracking_id"]) == (
        400,
        25000,
        "ROUTER_abc",
    )
    assert "request" not in first


def test_cli_csv_and_table_shapes(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV: the header, then quoted rows; table: a heading and columns that line up."""
    _, out, _ = trunkbot(capsys, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == list(FIELDS)
    assert rows[3][FIELDS.index("location_name")] == "Paris Office, 2nd floor"
    assert rows[2][FIELDS.index("location_name")] == ""

    _, out, _ = trunkbot(capsys)  # table is the default
    lines = out.splitlines()
    assert lines[0].startswith("WHEN (UTC)")
    assert lines[1].startswith("2026-10-31 23:59:59  ann@example.com")
    for heading in ("WHO", "ACTION", "OUTCOME", "LOCATION", "TRUNK", "WHY"):
        column = lines[0].index(heading)
        assert all(line[column - 2 : column] == "  " for line in lines), heading
    assert "lon-1" in lines[1]
    assert "failed (400)" in lines[3]
    assert max(len(line) for line in lines) <= 120  # IDs are in CSV and JSON only


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_never_prints_a_password(
    database: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """A request that held a password: the store strips it, the view prints picked fields only."""

    async def stored() -> list[AuditRecord]:
        async with await open_store(f"sqlite:///{database}") as store:
            return await store.list_audit()

    kept = next(r for r in asyncio.run(stored()) if r.email == "bob@example.com")
    assert kept.request is not None
    assert "password" not in kept.request
    assert CLI_SECRET in kept.request["comment"]  # so only the view keeps it off the screen
    code, out, err = trunkbot(capsys, "--format", fmt)
    assert code == 0
    assert CLI_SECRET not in out + err
    assert "bob@example.com" in out


@pytest.mark.parametrize(
    "since", ["yesterday", "2026-13-01", "", "11/01/2026", "2026-11-01T25:00", "now"]
)
def test_cli_bad_since_exits_2_with_one_line(
    database: Path, capsys: pytest.CaptureFixture[str], since: str
) -> None:
    """A --since that isn't an ISO date or time: exit 2, one line on stderr, nothing on stdout."""
    code, out, err = trunkbot(capsys, "--since", since)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("trunkbot: --since must be an ISO date or time")


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_cli_missing_database_is_not_created(
    database: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    """No database file yet: a helpful line, an empty result, exit 0, and no file made."""
    missing = tmp_path / "nothing-here.db"
    monkeypatch.setenv("TRUNKBOT_DATABASE_URL", f"sqlite:///{missing}")
    code, out, err = trunkbot(capsys, "--format", fmt)
    assert code == 0
    assert out == ("[]\n" if fmt == "json" else "")
    assert err.strip() == replies.audit_cli_no_database(str(missing))
    assert not missing.exists()
