"""`create trunks` with a CSV file: read, check every row, confirm, then the job; and Stop.

The gate admits the action and the org before the file is read; each row's location is
checked against the person's grants while the file is checked, and every location is
narrowed by the gate again when Create is pressed (before the card is used up) and when the
job runs. Files are taken in a 1:1 space only (the result carries passwords): in a group
space the bot refuses without reading the file.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from bot import cards
from bot.errors import CardRefused, NotAllowed, UsageError
from bot.events import Context, FileSource, FileTooBig
from bot.gate import Permit
from bot.grammar import parse_args
from bot.router import Command, Request, Scope
from bot.store.bulk import JobState, NewRow
from bot.webex.models import Location
from commands import cardkit
from commands.args import take_flag
from commands.bulk import run, words
from commands.bulk.approval import ask_bulk_approval
from commands.bulk.check import check_rows
from commands.bulk.control import post_stop_card, stop_job
from commands.bulk.control import stop_card as stop_card  # the card samples read it here
from commands.bulk.sheet import MAX_BYTES, read_sheet, too_big
from commands.cardkit import BULK_CONFIRM, BULK_STOP, consume

if TYPE_CHECKING:
    from bot.services import Services

ACTION = "trunk.create"
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
