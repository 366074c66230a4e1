"""The store keeps its promises on both databases: once means once, across tasks and replicas.

Every behaviour runs against SQLite (a file in WAL mode) and a real PostgreSQL server
(tests/pg.py). "Two replicas" are two stores opened on the same database: separate
connections, separate pools or threads, racing through the database alone.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.errors import ConfigError
from bot.logs import SECRETS
from bot.store import (
    LATEST,
    ApprovalOutcome,
    ApprovalStatus,
    AuditRecord,
    ClaimStatus,
    CreateState,
    NonceOutcome,
    Store,
    StoreUnavailable,
    open_store,
    sqlite_path,
    strip_secrets,
)
from bot.store.schema import MIGRATIONS
from bot.store.sql import SqlStore
from tests.pg import fresh_schema, require_server

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
ROOM, OTHER_ROOM = "room-direct-alice", "room-group-ops"
ALICE, MALLORY = "person-alice", "person-mallory"
CARD_MSG = "message-card-1"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'trunkbot.db'}"
        return
    async with fresh_schema(require_server()) as schema_url:
        yield schema_url


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    async with await open_store(url) as opened:
        yield opened


@pytest.fixture
async def replicas(url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database, as two replicas of the bot would have."""
    first, second = await asyncio.gather(open_store(url), open_store(url))
    async with first, second:
        yield first, second


def raw_execute(url: str, statement: str) -> None:
    """Run SQL straight on the database, past the store (as an operator's shell would)."""
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            conn.execute(statement)
            conn.commit()
        finally:
            conn.close()
    else:
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute(statement.encode())


# --- schema and opening ---------------------------------------------------------------------


def test_both_dialects_migrate_to_the_same_version() -> None:
    """SQLite and PostgreSQL have the same number of migrations."""
    assert len(MIGRATIONS["sqlite"]) == len(MIGRATIONS["postgresql"]) == LATEST


async def test_migrations_run_twice_are_a_no_op(url: str) -> None:
    """Migrating again, or reopening, changes nothing and keeps the data."""
    async with await open_store(url) as store:
        assert await store.schema_version() == LATEST
        await store.append_audit(AuditRecord(action="trunk.create", decision="allowed"))
        assert await store.migrate() == LATEST
    async with await open_store(url) as again:
        assert await again.schema_version() == LATEST
        assert len(await again.list_audit()) == 1


async def test_replicas_starting_together_migrate_once(url: str) -> None:
    """Four stores opening an empty database at once all end at the latest version."""
    stores = await asyncio.gather(*(open_store(url) for _ in range(4)))
    try:
        assert [await s.schema_version() for s in stores] == [LATEST] * 4
    finally:
        for s in stores:
            await s.close()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite:////var/lib/trunkbot/t.db", "/var/lib/trunkbot/t.db"),
        ("sqlite:///relative/t.db", "relative/t.db"),
    ],
    ids=["memory", "absolute", "relative"],
)
def test_sqlite_urls_name_files(url: str, path: str) -> None:
    """sqlite:/// is followed by the path: four slashes for an absolute one."""
    assert sqlite_path(url) == path


@pytest.mark.parametrize(
    "url", ["mysql://db/trunkbot", "sqlite://", "sqlite:///", "postgresql://x:y@[::1/db"]
)
async def test_unusable_urls_are_a_config_error(url: str) -> None:
    """A URL the store cannot use is one sentence for the operator, without its password."""
    with pytest.raises(ConfigError) as caught:
        await open_store(url)
    assert "y@" not in caught.value.user_message


async def test_an_absent_postgresql_server_is_reported() -> None:
    """Nothing listening: StoreUnavailable names host and port, never the password."""
    with pytest.raises(StoreUnavailable) as caught:
        await open_store("postgresql://bot:s3cret-pw@127.0.0.1:1/trunkbot")
    assert "127.0.0.1:1/trunkbot" in caught.value.user_message
    assert "s3cret-pw" not in caught.value.user_message


async def test_memory_store_works() -> None:
    """sqlite:///:memory: gives a working store, for tests elsewhere."""
    async with await open_store("sqlite:///:memory:") as store:
        assert await store.claim_event("e1")
        assert not await store.claim_event("e1")


async def test_missing_state_dir_is_created_owner_only(tmp_path: Path) -> None:
    """A missing state directory is made 0700 and the database file 0600."""
    db = tmp_path / "home" / ".local" / "state" / "trunkbot" / "trunkbot.db"
    async with await open_store(f"sqlite:///{db}") as store:
        await store.save_tokens("service-app", "{}")
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    """The SQLite file is in WAL mode, so the CLI can read while the bot writes."""
    db = tmp_path / "t.db"
    async with await open_store(f"sqlite:///{db}"):
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            conn.close()


async def test_naive_times_are_refused(store: Store) -> None:
    """A time without a zone is a caller bug, not a guess at local time."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.claim_event("e1", now=datetime(2025, 1, 1))


# --- handled events and intake --------------------------------------------------------------


async def test_an_event_is_claimed_once(replicas: tuple[Store, Store]) -> None:
    """A redelivered event id is claimed by nobody, on either replica."""
    a, b = replicas
    assert await a.claim_event("evt-1")
    assert not await a.claim_event("evt-1")
    assert not await b.claim_event("evt-1")
    assert await b.claim_event("evt-2")


async def test_racing_claims_of_one_event_have_one_winner(replicas: tuple[Store, Store]) -> None:
    """Twenty claims of one event id across two replicas: exactly one True."""
    a, b = replicas
    results = await asyncio.gather(*((a, b)[i % 2].claim_event("evt-race") for i in range(20)))
    assert results.count(True) == 1


async def test_unfinished_intake_comes_back_after_a_crash(store: Store) -> None:
    """A command recorded but not completed is pending once it is old enough."""
    payload = json.dumps({"text": "create trunk name=lon-1 location=London"})
    assert await store.record_intake("msg-1", "message", payload, now=at(0))
    assert not await store.record_intake("msg-1", "message", payload, now=at(1))
    await store.record_intake("msg-2", "card", "{}", now=at(2))
    assert await store.complete_intake("msg-2", now=at(3))

    assert await store.pending_intake(60, now=at(30)) == []
    [pending] = await store.pending_intake(60, now=at(61))
    assert (pending.event_id, pending.kind, pending.attempts) == ("msg-1", "message", 1)
    assert json.loads(pending.payload_json or "") == json.loads(payload)


async def test_pending_intake_is_handed_out_once_per_window(replicas: tuple[Store, Store]) -> None:
    """Two replicas restarting together do not both pick up the same command."""
    a, b = replicas
    await a.record_intake("msg-1", "message", "{}", now=at(0))
    first, second = await asyncio.gather(
        a.pending_intake(60, now=at(100)), b.pending_intake(60, now=at(100))
    )
    assert len(first) + len(second) == 1
    assert await a.pending_intake(60, now=at(120)) == []
    [again] = await b.pending_intake(60, now=at(161))
    assert again.attempts == 2


async def test_unfinished_intake_names_the_recorded_and_unfinished(store: Store) -> None:
    """Of the ids asked about: those recorded and not finished (neither answered nor given
    up); an unknown id is not one."""
    for event_id in ("msg-1", "msg-2", "msg-3"):
        await store.record_intake(event_id, "message", "{}", now=at(0))
    await store.complete_intake("msg-2", now=at(1))
    await store.abandon_intake("msg-3", now=at(1))
    asked = ["msg-1", "msg-2", "msg-3", "nobody-knows"]
    assert await store.unfinished_intake(asked) == {"msg-1"}
    assert await store.unfinished_intake([]) == set()


async def test_failed_fetches_are_counted_per_pending_intake(store: Store) -> None:
    """Each failed refetch adds one to that row only; a finished or unknown row counts 0."""
    await store.record_intake("msg-1", "message", "{}", now=at(0))
    await store.record_intake("msg-2", "message", "{}", now=at(0))
    assert [await store.intake_fetch_failed("msg-1") for _ in range(3)] == [1, 2, 3]
    assert await store.intake_fetch_failed("msg-2") == 1
    assert await store.intake_fetch_failed("nobody-knows") == 0
    await store.complete_intake("msg-2", now=at(1))
    assert await store.intake_fetch_failed("msg-2") == 0
    [pending] = await store.pending_intake(0, now=at(60))
    assert (pending.event_id, pending.fetch_failures, pending.attempts) == ("msg-1", 3, 1)


async def test_an_abandoned_intake_is_given_up_once(replicas: tuple[Store, Store]) -> None:
    """Two replicas give up the same row at once: one of them does it; it is pending no more,
    its payload is gone, and a week later prune takes it like any finished row."""
    a, b = replicas
    await a.record_intake("msg-1", "message", '{"text": "x"}', now=at(0))
    results = await asyncio.gather(
        a.abandon_intake("msg-1", now=at(10)), b.abandon_intake("msg-1", now=at(10))
    )
    assert sorted(results) == [False, True]
    assert not await a.abandon_intake("msg-1", now=at(11))
    assert not await a.complete_intake("msg-1", now=at(12))
    assert await a.pending_intake(0, now=at(1000)) == []
    assert await a.intake_fetch_failed("msg-1") == 0
    assert await a.prune(keep_seconds=86_400, now=at(2 * 86_400)) == 1


async def test_intake_rows_of_a_version_1_database_survive_the_migration(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database from before the fetch counter: its pending row is kept, counting from 0."""
    with monkeypatch.context() as patch:
        patch.setattr("bot.store.sql.MIGRATIONS", {d: m[:1] for d, m in MIGRATIONS.items()})
        async with await open_store(url) as old:
            assert await old.schema_version() == 1
            await old.record_intake("msg-v1", "message", "{}", now=at(0))
    async with await open_store(url) as new:
        assert await new.schema_version() == LATEST == 5
        assert await new.intake_fetch_failed("msg-v1") == 1
        [pending] = await new.pending_intake(0, now=at(60))
        assert (pending.event_id, pending.fetch_failures) == ("msg-v1", 1)


async def test_completed_intake_is_no_longer_pending(store: Store) -> None:
    """Completing forgets the command; completing twice is a no."""
    await store.record_intake("msg-1", "message", '{"text": "x"}', now=at(0))
    assert await store.complete_intake("msg-1", now=at(5))
    assert not await store.complete_intake("msg-1", now=at(6))
    assert await store.pending_intake(0, now=at(1000)) == []


# --- idempotency keys -------------------------------------------------------------------------


async def begin(store: Store, key: str = "msg-1", now: datetime | None = None) -> ClaimStatus:
    claim = await store.begin_create(
        key, name="lon-1", org_id="org-1", location_id="loc-london", requester=ALICE, now=now
    )
    return claim.status


async def test_the_first_claim_owns_the_key_and_a_redelivery_gets_the_result(store: Store) -> None:
    """First owner; then in progress; after completion, the stored result."""
    claim = await store.begin_create(
        "msg-1", name="lon-1", org_id="org-1", location_id="loc-london", requester=ALICE
    )
    assert claim.owner
    assert claim.record.state is CreateState.PENDING
    assert claim.record.attempts == 1
    assert await begin(store) is ClaimStatus.IN_PROGRESS

    assert await store.complete_create("msg-1", json.dumps({"id": "trunk-1"}))
    again = await store.begin_create(
        "msg-1", name="lon-1", org_id="org-1", location_id="loc-london", requester=ALICE
    )
    assert again.status is ClaimStatus.DONE
    assert json.loads(again.record.result_json or "") == {"id": "trunk-1"}
    assert not await store.complete_create("msg-1", "{}")


async def test_a_final_failure_is_replayed(store: Store) -> None:
    """A failure that is not retryable answers every redelivery, with no new owner."""
    await begin(store)
    error = json.dumps({"status": 409, "errorCode": 25200})
    assert await store.fail_create("msg-1", error, retryable=False)
    claim = await store.begin_create(
        "msg-1", name="lon-1", org_id="org-1", location_id="loc-london", requester=ALICE
    )
    assert claim.status is ClaimStatus.FAILED
    assert json.loads(claim.record.error_json or "") == {"status": 409, "errorCode": 25200}


async def test_a_failure_that_created_nothing_releases_the_key(store: Store) -> None:
    """After a retryable failure the next claim owns the key again."""
    await begin(store)
    assert await store.fail_create("msg-1", '{"status": 503}', retryable=True)
    assert (await store.get_create("msg-1")).state is CreateState.RELEASED  # type: ignore[union-attr]
    claim = await store.begin_create(
        "msg-1", name="lon-1", org_id="org-1", location_id="loc-london", requester=ALICE
    )
    assert claim.owner
    assert claim.record.attempts == 2
    assert claim.record.error_json is None
    assert await begin(store) is ClaimStatus.IN_PROGRESS


async def test_only_a_pending_key_can_fail(store: Store) -> None:
    """fail_create on an unknown or finished key changes nothing."""
    assert not await store.fail_create("nope", "{}", retryable=True)
    await begin(store)
    await store.complete_create("msg-1", "{}")
    assert not await store.fail_create("msg-1", "{}", retryable=True)
    assert (await store.get_create("msg-1")).state is CreateState.DONE  # type: ignore[union-attr]


async def test_pending_creates_are_found_for_reconciliation(store: Store) -> None:
    """Keys left pending past the threshold are listed; finished ones are not."""
    await begin(store, "msg-old", now=at(0))
    await begin(store, "msg-new", now=at(100))
    await begin(store, "msg-done", now=at(0))
    await store.complete_create("msg-done", "{}", now=at(1))
    stale = await store.pending_creates(60, now=at(120))
    assert [r.key for r in stale] == ["msg-old"]
    assert stale[0].name == "lon-1"


async def test_racing_tasks_on_one_key_have_one_owner(store: Store) -> None:
    """Ten tasks claiming one key in one process: one owner, nine told it is in progress."""
    statuses = await asyncio.gather(*(begin(store, "msg-race") for _ in range(10)))
    assert statuses.count(ClaimStatus.OWNER) == 1
    assert statuses.count(ClaimStatus.IN_PROGRESS) == 9


async def test_racing_replicas_on_one_key_have_one_owner(replicas: tuple[Store, Store]) -> None:
    """Two replicas racing on each of twenty keys: exactly one owner per key."""
    a, b = replicas
    keys = [f"msg-{i}" for i in range(20)]
    attempts = [(key, replica) for key in keys for replica in (a, b, a, b)]
    statuses = await asyncio.gather(*(begin(replica, key) for key, replica in attempts))
    owners = [key for (key, _), status in zip(attempts, statuses, strict=True) if status == "owner"]
    assert sorted(owners) == sorted(keys)


# --- card nonces ------------------------------------------------------------------------------


async def issue(store: Store, **kw: object) -> str:
    params: dict[str, object] = {
        "purpose": "create_trunk.confirm",
        "room_id": ROOM,
        "person_id": ALICE,
        "message_id": CARD_MSG,
        "payload_json": json.dumps({"name": "lon-1"}),
        "now": T0,
    }
    params.update(kw)
    return await store.issue_nonce(**params)  # type: ignore[arg-type]


async def test_nonces_are_long_random_and_url_safe(store: Store) -> None:
    """At least 128 random bits, URL-safe, never repeated."""
    nonces = {await issue(store) for _ in range(20)}
    assert len(nonces) == 20
    for nonce in nonces:
        assert len(nonce) >= 22  # 22 base64 characters carry 132 bits
        assert nonce.replace("-", "").replace("_", "").isalnum()


async def test_a_card_is_bound_to_its_message_once_posted(store: Store) -> None:
    """The message id is attached after posting, once; the record keeps what it was made for."""
    nonce = await issue(store, message_id=None)
    assert (await store.get_nonce(nonce)).message_id is None  # type: ignore[union-attr]
    assert await store.attach_message(nonce, CARD_MSG)
    assert await store.attach_message(nonce, CARD_MSG)
    assert not await store.attach_message(nonce, "message-other")
    assert not await store.attach_message("no-such-nonce", CARD_MSG)
    record = await store.get_nonce(nonce)
    assert record is not None
    assert (record.room_id, record.person_id, record.message_id) == (ROOM, ALICE, CARD_MSG)
    assert record.purpose == "create_trunk.confirm"
    assert json.loads(record.payload_json) == {"name": "lon-1"}
    assert record.expires_at == at(900)


@pytest.mark.parametrize(
    ("submission", "outcome"),
    [
        ({}, NonceOutcome.OK),
        ({"nonce": "forged-nonce"}, NonceOutcome.UNKNOWN),
        ({"room_id": OTHER_ROOM}, NonceOutcome.WRONG_ROOM),
        ({"message_id": "message-reposted"}, NonceOutcome.WRONG_MESSAGE),
        ({"person_id": MALLORY}, NonceOutcome.WRONG_PERSON),
        ({"now": at(900)}, NonceOutcome.EXPIRED),
        ({"now": at(899)}, NonceOutcome.OK),
    ],
    ids=["ok", "unknown", "wrong-room", "wrong-message", "wrong-person", "expired", "just-live"],
)
async def test_a_submission_is_checked_against_its_nonce(
    store: Store, submission: dict[str, object], outcome: NonceOutcome
) -> None:
    """Each way a submission can be wrong has its own outcome."""
    nonce = await issue(store)
    params: dict[str, object] = {
        "room_id": ROOM,
        "person_id": ALICE,
        "message_id": CARD_MSG,
        "now": at(60),
    }
    params.update(submission)
    result = await store.use_nonce(str(params.pop("nonce", nonce)), **params)  # type: ignore[arg-type]
    assert result.outcome is outcome
    assert (result.record is None) == (outcome is NonceOutcome.UNKNOWN)


async def test_a_refused_submission_leaves_the_card_live(store: Store) -> None:
    """Someone else's click, or a wrong room, uses nothing up: the owner can still submit."""
    nonce = await issue(store)
    ok = {"room_id": ROOM, "message_id": CARD_MSG, "now": at(5)}
    assert (await store.use_nonce(nonce, person_id=MALLORY, **ok)).outcome is (  # type: ignore[arg-type]
        NonceOutcome.WRONG_PERSON
    )
    wrong_room = await store.use_nonce(
        nonce, room_id=OTHER_ROOM, person_id=ALICE, message_id=CARD_MSG, now=at(6)
    )
    assert wrong_room.outcome is NonceOutcome.WRONG_ROOM
    mine = await store.use_nonce(
        nonce, room_id=ROOM, person_id=ALICE, message_id=CARD_MSG, now=at(7)
    )
    assert mine.ok
    assert mine.record is not None
    assert mine.record.used_by == ALICE


async def test_a_replayed_submission_is_told_used(store: Store) -> None:
    """The second use of a nonce is USED, even after it would have expired."""
    nonce = await issue(store)

    async def submit(seconds: float) -> NonceOutcome:
        result = await store.use_nonce(
            nonce, room_id=ROOM, person_id=ALICE, message_id=CARD_MSG, now=at(seconds)
        )
        return result.outcome

    assert [await submit(1), await submit(2), await submit(5000)] == [
        NonceOutcome.OK,
        NonceOutcome.USED,
        NonceOutcome.USED,
    ]


async def test_a_card_never_attached_to_a_message_is_refused(store: Store) -> None:
    """No message id bound yet: no submission can match it."""
    nonce = await issue(store, message_id=None)
    result = await store.use_nonce(nonce, room_id=ROOM, person_id=ALICE, message_id=CARD_MSG)
    assert result.outcome is NonceOutcome.WRONG_MESSAGE


async def test_a_card_for_a_group_may_be_used_by_anyone_there(store: Store) -> None:
    """person_must_match=False lets another person use it, and records who did."""
    nonce = await issue(store)
    result = await store.use_nonce(
        nonce,
        room_id=ROOM,
        person_id=MALLORY,
        message_id=CARD_MSG,
        person_must_match=False,
        now=at(1),
    )
    assert result.ok
    assert result.record is not None
    assert result.record.used_by == MALLORY


async def test_fifty_clicks_on_one_card_have_one_winner(replicas: tuple[Store, Store]) -> None:
    """Fifty concurrent uses of one nonce, from two replicas: one OK, forty-nine USED."""
    a, b = replicas
    nonce = await issue(a, now=None)
    results = await asyncio.gather(
        *(
            (a, b)[i % 2].use_nonce(nonce, room_id=ROOM, person_id=ALICE, message_id=CARD_MSG)
            for i in range(50)
        )
    )
    outcomes = [r.outcome for r in results]
    assert outcomes.count(NonceOutcome.OK) == 1
    assert outcomes.count(NonceOutcome.USED) == 49


async def test_fifty_clicks_in_one_process_have_one_winner(store: Store) -> None:
    """Fifty concurrent uses through one store: exactly one OK."""
    nonce = await issue(store, now=None)
    results = await asyncio.gather(
        *(
            store.use_nonce(nonce, room_id=ROOM, person_id=ALICE, message_id=CARD_MSG)
            for _ in range(50)
        )
    )
    assert [r.ok for r in results].count(True) == 1


# --- approvals --------------------------------------------------------------------------------


async def request_approval(store: Store) -> str:
    return await store.create_approval(
        request_json=json.dumps({"name": "lon-1", "location": "London HQ"}),
        requester_id=ALICE,
        approvers_room="room-approvers",
        ttl_seconds=3600,
        now=T0,
    )


@pytest.mark.parametrize(
    ("approve", "outcome", "status"),
    [
        (True, ApprovalOutcome.APPROVED, ApprovalStatus.APPROVED),
        (False, ApprovalOutcome.REJECTED, ApprovalStatus.REJECTED),
    ],
    ids=["approved", "rejected"],
)
async def test_the_first_decision_wins(
    store: Store, approve: bool, outcome: ApprovalOutcome, status: ApprovalStatus
) -> None:
    """An approver decides; a second decision, either way, is told it came too late."""
    approval_id = await request_approval(store)
    first = await store.decide_approval(
        approval_id, approver_id="person-bob", approve=approve, now=at(60)
    )
    assert first.outcome is outcome
    assert first.decided
    assert first.record is not None
    assert (first.record.status, first.record.approver_id) == (status, "person-bob")
    late = await store.decide_approval(
        approval_id, approver_id="person-carol", approve=not approve, now=at(61)
    )
    assert late.outcome is ApprovalOutcome.ALREADY_DECIDED
    assert late.record is not None
    assert late.record.approver_id == "person-bob"


async def test_racing_approvers_have_one_winner(replicas: tuple[Store, Store]) -> None:
    """Ten approvers clicking at once on two replicas: one decision stands."""
    a, b = replicas
    approval_id = await request_approval(a)
    results = await asyncio.gather(
        *(
            (a, b)[i % 2].decide_approval(
                approval_id, approver_id=f"approver-{i}", approve=i % 3 != 0, now=at(10)
            )
            for i in range(10)
        )
    )
    assert [r.decided for r in results].count(True) == 1


async def test_approvals_expire_once(store: Store) -> None:
    """Past its expiry a request cannot be decided, and is reported expired exactly once."""
    approval_id = await request_approval(store)
    assert await store.expire_approvals(now=at(3599)) == []
    late = await store.decide_approval(
        approval_id, approver_id="person-bob", approve=True, now=at(3600)
    )
    assert late.outcome is ApprovalOutcome.EXPIRED
    [expired] = await store.expire_approvals(now=at(3600))
    assert (expired.approval_id, expired.status) == (approval_id, ApprovalStatus.EXPIRED)
    assert expired.requester_id == ALICE
    assert await store.expire_approvals(now=at(4000)) == []
    assert (await store.decide_approval("nope", approver_id="x", approve=True)).outcome is (
        ApprovalOutcome.UNKNOWN
    )


# --- audit trail ------------------------------------------------------------------------------


def audit(seconds: float, **kw: object) -> AuditRecord:
    fields: dict[str, object] = {
        "action": "trunk.create",
        "decision": "allowed",
        "at": at(seconds),
        "person_id": ALICE,
        "email": "alice@example.com",
        "room_id": ROOM,
        "location_id": "loc-london",
        "location_name": "London HQ",
    }
    fields.update(kw)
    return AuditRecord(**fields)  # type: ignore[arg-type]


async def test_every_field_of_an_audit_row_round_trips(store: Store) -> None:
    """What goes in comes out, with an id and the time in UTC."""
    record = audit(
        0,
        event_id="evt-1",
        request={"name": "lon-1", "location": "London HQ", "maxCalls": 250},
        reason="grant 1",
        approver_id="person-bob",
        result="created",
        trunk_id="trunk-1",
        status=201,
        error_code=None,
        tracking_id="ROUTER_123",
        duration_ms=812,
    )
    row_id = await store.append_audit(record)
    [stored] = await store.list_audit()
    assert stored.id == row_id
    assert stored.at == at(0)
    assert stored.at.tzinfo is not None
    for name in ("event_id", "person_id", "email", "room_id", "action", "decision", "reason"):
        assert getattr(stored, name) == getattr(record, name), name
    assert stored.request == record.request
    assert (stored.result, stored.trunk_id, stored.status, stored.tracking_id) == (
        "created",
        "trunk-1",
        201,
        "ROUTER_123",
    )
    assert stored.duration_ms == 812


async def test_no_password_reaches_the_audit_trail(store: Store) -> None:
    """Secret-named keys go at any depth (flags stay), and password=… text is scrubbed."""
    request = {
        "name": "lon-1",
        "password": "Typed!Pw1",
        "Password": "Typed!Pw2",
        "nested": {"exampleSipPassword": "Gen3rated*Pw", "client_secret": "cs", "ok": 1},
        "list": [{"refresh_token": "rt", "access_token": "at", "keep": "x"}],
        "headers": {"Authorization": "Bearer abc"},
        "text": "create trunk name=lon-1 password=Typed!Pw3",
        "password_typed": True,
    }
    await store.append_audit(audit(0, request=request, reason="password=Typed!Pw4 refused"))
    [stored] = await store.list_audit()
    assert stored.request == {
        "name": "lon-1",
        "nested": {"ok": 1},
        "list": [{"keep": "x"}],
        "headers": {},
        "text": "create trunk name=lon-1 password=[redacted]",
        "password_typed": True,
    }
    assert stored.reason == "password=[redacted] refused"
    everything = json.dumps(stored.request) + (stored.reason or "")
    for secret in ("Typed!Pw", "Gen3rated", "Bearer", '"cs"', '"rt"'):
        assert secret not in everything


def test_secret_values_known_to_the_process_are_scrubbed_anywhere() -> None:
    """A password the process has seen is scrubbed from any string in the request."""
    SECRETS.add("Xq7#mZ2p!Lw9")
    assert strip_secrets({"note": "pw was Xq7#mZ2p!Lw9", "n": [1, "Xq7#mZ2p!Lw9"]}) == {
        "note": "pw was [redacted]",
        "n": [1, "[redacted]"],
    }


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit SET result = 'created', trunk_id = 'forged'",
        "DELETE FROM audit",
    ],
    ids=["update", "delete"],
)
async def test_the_audit_trail_is_append_only_in_the_database(
    url: str, store: Store, statement: str
) -> None:
    """UPDATE and DELETE are refused by the database itself, not just by our code."""
    await store.append_audit(audit(0, result="refused", decision="refused"))
    with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
        raw_execute(url, statement)
    [row] = await store.list_audit()
    assert (row.result, row.trunk_id) == ("refused", None)


async def test_the_audit_trail_cannot_be_truncated_on_postgresql() -> None:
    """TRUNCATE, which PostgreSQL has and SQLite has not, is refused too."""
    async with fresh_schema(require_server()) as url, await open_store(url) as store:
        await store.append_audit(audit(0))
        with pytest.raises(psycopg.Error, match="append-only"):
            raw_execute(url, "TRUNCATE audit")
        assert len(await store.list_audit()) == 1


def test_the_store_has_no_way_to_change_the_audit_trail() -> None:
    """Append and list are all the audit methods there are."""
    audit_methods = {name for name in dir(SqlStore) if "audit" in name and not name.startswith("_")}
    assert audit_methods == {"append_audit", "list_audit"}


async def test_the_audit_trail_filters_and_orders(store: Store) -> None:
    """By person (id or email, any case), location (id or name), since, newest first, last N."""
    await store.append_audit(audit(0, trunk_id="t0"))
    await store.append_audit(
        audit(10, trunk_id="t1", location_id="loc-paris", location_name="Paris")
    )
    await store.append_audit(
        audit(
            20, trunk_id="t2", person_id=MALLORY, email="mallory@evil.example", decision="refused"
        )
    )
    await store.append_audit(audit(30, trunk_id="t3"))

    async def ids(**kw: object) -> list[str | None]:
        return [r.trunk_id for r in await store.list_audit(**kw)]  # type: ignore[arg-type]

    assert await ids() == ["t3", "t2", "t1", "t0"]
    assert await ids(newest_first=False) == ["t0", "t1", "t2", "t3"]
    assert await ids(limit=2) == ["t3", "t2"]
    assert await ids(since=at(10)) == ["t3", "t2", "t1"]
    assert await ids(person="ALICE@example.com") == ["t3", "t1", "t0"]
    assert await ids(person=MALLORY) == ["t2"]
    assert await ids(location="paris") == ["t1"]
    assert await ids(location="loc-london", person=ALICE, limit=1) == ["t3"]


# --- service app tokens and housekeeping ------------------------------------------------------


async def test_rotated_tokens_survive_a_restart(url: str) -> None:
    """The last blob saved under a key is what a restarted process loads."""
    async with await open_store(url) as store:
        assert await store.load_tokens("service-app") is None
        await store.save_tokens("service-app", '{"refresh_token": "r1"}')
        await store.save_tokens("service-app", '{"refresh_token": "r2"}')
    async with await open_store(url) as restarted:
        assert await restarted.load_tokens("service-app") == '{"refresh_token": "r2"}'
        assert await restarted.load_tokens("other") is None


async def test_json_with_nul_characters_is_stored(store: Store) -> None:
    """A NUL in a payload (fuzzed input) is stored, as U+FFFD, rather than failing."""
    assert await store.record_intake("msg-nul", "message", json.dumps({"text": "a\x00b"}))
    [pending] = await store.pending_intake(0)
    assert json.loads(pending.payload_json or "") == {"text": "a\ufffdb"}


async def test_prune_drops_old_housekeeping_but_never_audit(store: Store) -> None:
    """Old events, nonces, finished keys and intake go; pending work and audit stay."""
    await store.claim_event("evt-old", now=at(0))
    await store.record_intake("msg-old", "message", "{}", now=at(0))
    await store.complete_intake("msg-old", now=at(1))
    await store.record_intake("msg-open", "message", "{}", now=at(0))
    await begin(store, "key-done", now=at(0))
    await store.complete_create("key-done", "{}", now=at(1))
    await begin(store, "key-pending", now=at(0))
    await issue(store)
    await store.append_audit(audit(0))

    removed = await store.prune(keep_seconds=86_400, now=at(2 * 86_400))
    assert removed == 4  # the event, the completed intake, the finished key, the dead nonce
    assert await store.claim_event("evt-old")
    assert await store.get_create("key-pending") is not None
    assert await store.get_create("key-done") is None
    assert len(await store.pending_intake(0, now=at(2 * 86_400))) == 1
    assert len(await store.list_audit()) == 1
