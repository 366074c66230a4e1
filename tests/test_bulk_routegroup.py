"""`create trunks` with a `route-group` column: the rows' trunks join their group (made if
missing, as a text create's `route-group=` does), a bad group is a row's problem with no
write, and rows whose location lacks `routegroup.write` are refused before anything is
created."""

from __future__ import annotations

import pytest

from commands.bulk import run
from tests.chat import make_chat
from tests.test_bulk import FileOutbox, result_rows, send

ROUTE_GROUPS = "/v1/telephony/config/premisePstn/routeGroups"
POLICY = """
[[grant]]
people    = ["alice@example.com"]
actions   = ["trunk.create", "trunk.read", "routegroup.write"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["nora@example.com"]
actions   = ["trunk.create"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["nora@example.com"]
actions   = ["routegroup.write"]
locations = ["Madrid"]
orgs      = ["*"]
"""
NORA = "nora@example.com"


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    async def tick(_seconds: float) -> None:
        import asyncio

        await asyncio.sleep(0.001)

    monkeypatch.setattr(run, "TIMING", run.Timing(sleep=tick, progress_every=0.01))


def writes(chat: object) -> list[object]:
    state = chat.state  # type: ignore[attr-defined]
    return [c for c in state.requests if c.method != "GET"]


async def test_good_rows_join_their_group_made_once_if_missing() -> None:
    chat = await make_chat(policy=POLICY)
    chat.outbox = FileOutbox()
    try:
        existing = chat.state.add_route_group("EU-LGWs", [])
        body = (
            "name,location,route-group\n"
            "rg-1,Madrid,Iberia\n"
            "rg-2,Madrid,iberia\n"
            "rg-3,London HQ,EU-LGWs\n"
            "rg-4,Madrid,Iberia\n"
            "rg-5,Madrid,\n"
        )
        replies = await send(chat, body)
        assert "5 of 5 rows are ready" in replies[-1].markdown
        await chat.submit(replies[-1], "Create")
        await run.wait_all()
        assert len(chat.state.calls("POST", ROUTE_GROUPS)) == 1  # made once, then joined
        iberia = chat.state.route_group_by_name("Iberia")
        assert iberia is not None
        ids = {t.name: t.id for t in chat.state.trunks.values()}
        assert sorted(t for t, _ in iberia.local_gateways) == sorted(
            ids[n] for n in ("rg-1", "rg-2", "rg-4")
        )
        assert sorted(p for _, p in iberia.local_gateways) == [1, 2, 3]
        assert [t for t, _ in existing.local_gateways] == [ids["rg-3"]]
        rows = result_rows(chat)
        assert [r["status"] for r in rows] == ["created"] * 5
        assert [r["error"] for r in rows] == [""] * 5
    finally:
        await chat.app.aclose()


async def test_a_bad_group_is_a_row_problem_and_nothing_is_written() -> None:
    chat = await make_chat(policy=POLICY)
    chat.outbox = FileOutbox()
    try:
        full = chat.state.add_route_group("Full", [(f"t{i}", i + 1) for i in range(9)])
        body = (
            "name,location,Route-Group\n"
            f"bg-1,Madrid,{'x' * 65}\n"
            "bg-2,Madrid,Full\n"
            "bg-3,Madrid,full\n"
        )
        text = (await send(chat, body))[-1].markdown
        assert "1 of 3 rows are ready" in text
        assert "row 2, Route-Group" in text
        assert "row 4, Route-Group: route group **full** would hold more than 10" in text
        assert "row 3" not in text
        assert writes(chat) == []
        assert len(full.local_gateways) == 9
    finally:
        await chat.app.aclose()


async def test_rows_without_routegroup_write_are_refused_before_any_write() -> None:
    chat = await make_chat(policy=POLICY)
    chat.outbox = FileOutbox()
    try:
        body = "name,location,route-group\nnw-1,Madrid,Iberia\nnw-2,London HQ,Iberia\n"
        text = (await send(chat, body, person=NORA))[-1].markdown
        assert "1 of 2 rows are ready" in text
        assert "row 3, route-group:" in text
        assert "route groups" in text
        assert writes(chat) == []
    finally:
        await chat.app.aclose()


async def test_a_grant_lost_before_the_run_leaves_the_trunk_and_says_what_to_retry() -> None:
    """The runner asks the gate again: without ``routegroup.write`` at run time the trunk
    is created, stays out of the group, and the row says which command adds it."""
    chat = await make_chat(policy=POLICY)
    chat.outbox = FileOutbox()
    try:
        replies = await send(chat, "name,location,route-group\nlg-1,Madrid,Iberia\n")
        narrower = await make_chat(policy=POLICY.replace(', "routegroup.write"]', "]"))
        chat.app.services.gate.policy = narrower.app.services.gate.policy
        await narrower.app.aclose()
        await chat.submit(replies[-1], "Create")
        await run.wait_all()
        [row] = result_rows(chat)
        assert row["status"] == "created"
        assert "not added to route group Iberia" in row["error"]
        assert 'add trunk lg-1 to route group "Iberia"' in row["error"]
        assert chat.state.calls("POST", ROUTE_GROUPS) == []
    finally:
        await chat.app.aclose()
