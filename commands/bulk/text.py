"""`create trunks` with a CSV file: read, check every row, confirm, then the job; and Stop.

The gate admits the action and the org before the file is read; each row's location is
checked against the person's grants while the file is checked, and every location is
narrowed by the gate again when Create is pressed (before the card is used up) and when the
job runs. Files are taken in a 1:1 space only (the result carries passwords): in a group
space the bot refuses without reading the file.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot import cards
from bot.errors import CardRefused, NotAllowed, UsageError
from bot.events import Context, FileSource, FileTooBig
from bot.gate import Permit
from bot.grammar import parse_args
from bot.router import Command, Request, Scope
from bot.store.bulk import BulkJob, BulkRow, JobState, NewRow
from bot.webex.models import Location
from commands import cardkit
from commands.approvals import ask_approval
from commands.args import take_flag
from commands.bulk import run, words
from commands.bulk.check import check_rows
from commands.bulk.sheet import MAX_BYTES, read_sheet, too_big
from commands.cardkit import BULK_CONFIRM, BULK_STOP, STOP, consume

if TYPE_CHECKING:
    from bot.services import Services

ACTION = "trunk.create"
KIND = "bulk"  # the approval kind of a whole file
DRY_RUN = "dry-run"


async def scope(ctx: Context, request: Request) -> Scope:
    dry_run, args = take_flag(request.args, DRY_RUN)
    fields = parse_args(args) if args.strip() else {}
    unknown = [k for k in fields if k != "org"]
    if unknown:
        raise UsageError(
            "`create trunks` takes a CSV file, `dry-run` and `org=`: put the trunks' details "
            "in the file's columns."
        )
    return Scope(org=fields.get("org") or None, parsed=dry_run, request=request)


async def _job_scope(services: Services, request: Request) -> Scope:
    card = request.card
    if card is None:
        raise CardRefused("That card isn't one of mine.")
    job = await services.store.bulk.get(str(card.payload.get("job_id", "")))
    if job is None:
        raise CardRefused("That card isn't one of mine.")
    return Scope(org=job.org_id, parsed=job, request=request)


async def _narrow_all(services: Services, permit: Permit, location_ids: set[str]) -> list[Permit]:
    """The gate's answer for every location of the job, now (NotAllowed names the first
    one refused)."""
    known = {loc.id: loc for loc in await services.calling.list_locations(org_id=permit.org_id)}
    permits = []
    for location_id in sorted(location_ids):
        location = known.get(location_id) or Location(id=location_id, name=location_id)
        permits.append(await services.gate.narrow(permit, location))
    return permits


def commands(services: Services) -> list[Command]:
    async def create(ctx: Context, permit: Permit, scope_: Scope) -> None:
        await create_trunks(services, ctx, permit, dry_run=bool(scope_.parsed))

    async def confirm(ctx: Context, permit: Permit, scope_: Scope) -> None:
        card, job = scope_.request.card, scope_.parsed
        assert card is not None  # noqa: S101  -- _job_scope checked
        rows = await services.store.bulk.rows(job.job_id)
        permits = await _narrow_all(services, permit, {r.location_id for r in rows})
        await consume(services, ctx, card)
        if card.verb == cards.CANCEL:
            await services.store.bulk.move(
                job.job_id, JobState.CANCELLED, only_from=(JobState.AWAITING,)
            )
            ctx.audit.result = "cancelled"
            await ctx.reply(words.CANCELLED)
            return
        needing = [p for p in permits if p.needs_approval]
        if needing:
            await ask_bulk_approval(services, ctx, needing[0], job, rows, permits)
            return
        if not await services.store.bulk.move(
            job.job_id, JobState.RUNNING, only_from=(JobState.AWAITING,)
        ):
            raise CardRefused("That file was already started or cancelled.")
        ctx.audit.result = "started"
        ctx.audit.request = {"job": job.job_id, "file": job.request.get("file"), "rows": len(rows)}
        await post_stop_card(services, ctx, job.job_id)
        run.start(services, ctx.outbox, job.job_id)

    async def stop_card(ctx: Context, permit: Permit, scope_: Scope) -> None:
        card, job = scope_.request.card, scope_.parsed
        assert card is not None  # noqa: S101  -- _job_scope checked
        rows = await services.store.bulk.rows(job.job_id)
        await _narrow_all(services, permit, {r.location_id for r in rows})
        await consume(services, ctx, card)
        await stop_job(services, ctx, job.job_id)

    async def stop_text(ctx: Context, permit: Permit, _scope: Scope) -> None:
        jobs = await services.store.bulk.active_for(ctx.event.actor.person_id)
        if not jobs:
            await ctx.reply(words.NOTHING_RUNNING)
            return
        await stop_job(services, ctx, jobs[0].job_id)

    async def confirm_scope(_ctx: Context, request: Request) -> Scope:
        return await _job_scope(services, request)

    return [
        Command(
            action=ACTION,
            words=("create", "trunks"),
            scope=scope,
            handler=create,
            usage=(
                "`create trunks` with a CSV file attached (columns `name`, `location`, `type`, "
                "`device`, `address`, `domain`, `port`, `max-calls`, `dual-identity`, "
                "`route-group`): checks every row, then creates them all after you confirm; add "
                "`dry-run` to check only"
            ),
            example="create trunks",
        ),
        Command(
            action=ACTION,
            words=("stop", "bulk"),
            handler=stop_text,
            usage="`stop bulk` — stop your running `create trunks` after the rows in flight",
            example="stop bulk",
        ),
        Command(action=ACTION, purpose=BULK_CONFIRM, scope=confirm_scope, handler=confirm),
        Command(action=ACTION, purpose=BULK_STOP, scope=confirm_scope, handler=stop_card),
    ]


async def stop_job(services: Services, ctx: Context, job_id: str) -> None:
    job = await services.store.bulk.get(job_id)
    moved = await services.store.bulk.move(job_id, JobState.STOPPING, only_from=(JobState.RUNNING,))
    run.signal_stop(job_id)
    ctx.audit.result = "stopping" if moved else "not-running"
    if not moved or job is None:
        await ctx.reply(words.NOTHING_RUNNING)
        return
    await ctx.reply(words.stopping(str(job.request.get("file") or "your file")))


async def ask_bulk_approval(
    services: Services,
    ctx: Context,
    permit: Permit,
    job: BulkJob,
    rows: list[BulkRow],
    permits: list[Permit],
) -> None:
    """The whole file through one approval: counts per location on the approvers' card; the
    approver must be allowed to approve in every one of them (commands.approvals)."""
    places = [p.location for p in permits if p.location is not None]
    first = permit.location
    assert first is not None  # noqa: S101  -- narrowed by the gate
    counts = Counter(r.location_id for r in rows)
    name = str(job.request.get("file") or "a file")
    summary = {
        "name": name,
        "org": permit.org_id,
        "location_id": first.id,
        "location": first.name,
        "locations": [{"id": p.id, "name": p.name} for p in places],
        "rows": len(rows),
        "job_id": job.job_id,
    }
    ctx.audit.request = {"job": job.job_id, "file": name, "rows": len(rows)}
    approval_id = await ask_approval(
        services,
        ctx,
        permit,
        kind=KIND,
        name=name,
        summary=summary,
        facts=words.approval_facts(name, [(p.name, counts[p.id]) for p in places]),
        password=None,
        extra={"job_id": job.job_id},
    )
    # The job follows its approval: rejected or expired ends it (commands.bulk.ending).
    await services.store.bulk.note_awaiting(job.job_id, {**job.request, "approval_id": approval_id})


async def execute_approved(
    services: Services,
    ctx: Context,
    permit: Permit,
    stored: dict[str, Any],
    _password: SecretStr | None,
) -> None:
    """Approved: the job starts, carrying its approver (the runner asks the gate again,
    for the requester and the approver, at every location, before each row's write)."""
    job = await services.store.bulk.get(str(stored.get("job_id", "")))
    if job is None or permit.approver is None:
        raise CardRefused(words.GONE)
    request = {
        **job.request,
        "approval": {
            "approver": {
                "person_id": permit.approver.person_id,
                "email": permit.approver.email,
                "org_id": permit.approver.org_id,
            },
            "approvers_room": permit.approvers_space,
        },
    }
    if not await services.store.bulk.start_approved(job.job_id, request):
        raise CardRefused(words.GONE)
    ctx.audit.result = "started"
    await post_stop_card(services, ctx, job.job_id)
    run.start(services, ctx.outbox, job.job_id)


def stop_card(nonce: str) -> dict[str, Any]:
    """One button, Stop: the rows in flight finish, the rest are left out."""
    return {
        "type": "AdaptiveCard",
        "version": "1.3",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "body": [
            {
                "type": "TextBlock",
                "text": "Creating the trunks from your file. Stop lets the rows in flight finish.",
                "wrap": True,
            }
        ],
        "actions": [
            {
                "type": "Action.Submit",
                "title": "Stop",
                "style": "destructive",
                "data": {cards.DATA_KEY: {"nonce": nonce, "action": STOP}},
            }
        ],
    }


async def post_stop_card(services: Services, ctx: Context, job_id: str) -> None:
    ev = ctx.event
    nonce = await cardkit.issue_nonce(
        services, ctx, BULK_STOP, {"job_id": job_id, "for": ev.actor.email or None}, ttl=24 * 3600.0
    )
    card = stop_card(nonce)
    await cardkit.post_card(
        services, ctx, nonce, "Creating the trunks now; say `stop bulk` to stop.", card
    )


async def create_trunks(services: Services, ctx: Context, permit: Permit, *, dry_run: bool) -> None:
    ev = ctx.event
    if not ev.files:
        raise UsageError(words.NEED_FILE)
    if not ev.space.is_direct:
        raise NotAllowed(words.ONLY_DIRECT, reason="a file in a group space")
    if len(ev.files) > 1:
        raise UsageError(words.ONE_FILE)
    if not isinstance(ctx.outbox, FileSource):
        raise UsageError(words.NO_FILES_HERE)
    try:
        download = await ctx.outbox.fetch_file(ev.files[0], max_bytes=MAX_BYTES)
    except FileTooBig as exc:
        raise UsageError(too_big(exc.size)) from None
    sheet = read_sheet(download)
    checked = await check_rows(services, sheet, permit)
    ctx.audit.request = {
        "file": sheet.name,
        "rows": len(sheet.rows),
        "good": len(checked.good),
        "bad_rows": len({b.row for b in checked.bad}),
    }
    report = words.report(sheet, checked)
    if dry_run:
        ctx.audit.result = "dry-run"
        await ctx.reply(words.dry_run(report))
        return
    if not checked.good:
        ctx.audit.result = "invalid"
        await ctx.reply(report)
        return
    approval = False
    for location in checked.locations:
        approval = approval or (await services.gate.narrow(permit, location)).needs_approval
    job_id = uuid.uuid4().hex
    await services.store.bulk.create(
        job_id,
        requester=ev.actor.person_id,
        room_id=ev.space.room_id,
        org_id=permit.org_id,
        request={
            "file": sheet.name,
            "requester": {
                "person_id": ev.actor.person_id,
                "email": ev.actor.email,
                "org_id": ev.actor.org_id,
            },
            "locations": [loc.name for loc in checked.locations],
        },
        rows=[NewRow(g.row, g.request.name, g.location.id, g.record()) for g in checked.good],
    )
    nonce = await cardkit.issue_nonce(
        services, ctx, BULK_CONFIRM, {"job_id": job_id, "for": ev.actor.email or None}
    )
    card = cards.confirm_card(
        nonce=nonce,
        facts=words.facts(sheet, checked),
        requester=ev.actor.email or ev.actor.person_id,
        note=words.APPROVAL_NOTE if approval else words.CONFIRM_NOTE,
        title=words.confirm_title(len(checked.good), sheet.name),
    )
    if checked.bad:
        # Webex clients show a message's card rather than its text: the problems go first,
        # on their own (the card's text keeps them for clients that can't show cards).
        await ctx.reply(report)
    await cardkit.post_card(
        services, ctx, nonce, report + "\n" + words.confirm_text(len(checked.good)), card
    )
    ctx.audit.result = "awaiting-confirmation"
