"""What the trunk-lifecycle commands say: lead with the outcome, name things as typed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.replies import code, esc, gateway_settings
from bot.webex.models import Location, TrunkDetails, TrunkSummary, TrunkTypeInfo
from bot.webex.trunk_admin import Usage

MAX_ROWS = 20  # rows in one reply: well under Webex's 7,439 bytes


def type_label(trunk_type: object) -> str:
    return "certificate-based" if str(trunk_type) == "CERTIFICATE_BASED" else "registering"


def status_label(online: bool | None) -> str:
    if online is None:
        return "status unknown"
    return "✅ in service" if online else "⛔ not in service"


def locations(rows: Sequence[Location]) -> str:
    if not rows:
        return "There are no calling locations here that you may use."
    lines = [f"Calling locations you may use ({len(rows)}):"]
    lines += [f"• **{esc(loc.name)}** — {code(loc.id)}" for loc in rows]
    return "\n".join(lines)


def trunk_types(types: Sequence[TrunkTypeInfo]) -> str:
    lines = ["Trunk types here:"]
    for info in types:
        label = type_label(info.trunk_type.value)
        if not info.device_types:
            lines.append(f"• {label}")
            continue
        for device in info.device_types:
            limits = ""
            if device.min_concurrent_calls is not None and device.max_concurrent_calls is not None:
                limits = f" ({device.min_concurrent_calls}–{device.max_concurrent_calls} calls)"
            lines.append(f"• {label}: {esc(device.device_type)}{limits}")
    return "\n".join(lines)


def trunk_row(trunk: TrunkSummary, online: bool | None) -> str:
    where = trunk.location.name if trunk.location else "no location"
    used = ", in use" if trunk.in_use else ""
    return (
        f"• **{esc(trunk.name)}** — {esc(where)}, {type_label(trunk.trunk_type)}, "
        f"{status_label(online)}{used}"
    )


def trunk_list(
    rows: Sequence[str], total: int, filters: str, *, first: int = 0, page: int = 1
) -> str:
    if total == 0:
        return f"No trunks{filters} that you may see."
    if not rows:
        return f"There are {total} trunks{filters}: page {page} is past the end."
    shown = f"{first + 1}–{first + len(rows)} of {total}" if total > len(rows) else str(total)
    head = f"Trunks{filters} ({shown}):"
    more = ""
    left = total - first - len(rows)
    if left > 0:
        more = (
            f"\n…and {left} more: `list trunks page={page + 1}` shows the next "
            f"{min(left, MAX_ROWS)} (with the same `location=` or `type=`), or narrow it."
        )
    return "\n".join([head, *rows]) + more


def usage_lines(usage: Usage) -> list[str]:
    parts = [
        ("Route groups", usage.route_groups, usage.counts.route_group_count),
        ("Dial plans", usage.dial_plans, usage.counts.dial_plan_count),
        ("PSTN connection of", usage.pstn_locations, usage.counts.pstn_connection_count),
        (
            "Call-to-extension in",
            usage.extension_locations,
            usage.counts.call_to_extension_count,
        ),
    ]
    out = []
    for label, named, count in parts:
        if named:
            out.append(f"• {label}: " + ", ".join(f"**{esc(n.name or n.id)}**" for n in named))
        elif count:
            out.append(f"• {label}: {count}")
    return out


def show(details: TrunkDetails, usage: Usage | None) -> str:
    where = details.location.name if details.location else "no location"
    lines = [
        f"Trunk **{esc(details.name)}** in **{esc(where)}** — {type_label(details.trunk_type)}"
        + (f", {esc(details.device_type)}" if details.device_type else ""),
        f"• ID: {code(details.id)}",
        f"• Status: {status_label(details.online)}" + _status_detail(details),
    ]
    if details.is_registering:
        lines += gateway_settings(details)
    else:
        for label, value in (
            ("Address", details.address),
            ("Domain", details.domain),
            ("Port", details.port),
        ):
            if value is not None:
                lines.append(f"• {label}: {code(value)}")
    if details.max_concurrent_calls is not None:
        lines.append(f"• Max concurrent calls: {details.max_concurrent_calls}")
    if details.dual_identity_support_enabled is not None:
        dual = "yes" if details.dual_identity_support_enabled else "no"
        lines.append(f"• Dual identity: {dual}")
    if usage is None:
        lines.append("Usage: Webex didn't say just now.")
    elif not usage.in_use:
        lines.append("Usage: nothing routes calls through it yet.")
    else:
        lines.append("Used by:")
        lines += usage_lines(usage)
    return "\n".join(lines)


def watching(minutes: int, *, already: bool, for_asker: bool) -> str:
    """The line `show trunk` adds for an offline registering trunk: the watch it started (or
    the one already running), which tells its requester 1:1 when the gateway registers."""
    if not already:
        return (
            f"It's offline: I'll watch it for {minutes} minutes and tell you 1:1 when its "
            "gateway has registered."
        )
    if for_asker:
        return "It's offline: I'm already watching it and will tell you 1:1 when it registers."
    return (
        "It's offline: I'm already watching it for the person who asked first, and will tell "
        "them 1:1 when it registers."
    )


def _status_detail(details: TrunkDetails) -> str:
    notes = [s.summary_english for s in details.response_status or [] if s.summary_english]
    if details.error_codes:
        notes += details.error_codes
    return f" ({esc('; '.join(notes))})" if notes else ""


def in_use_refusal(name: str, usage: Usage) -> str:
    return "\n".join(
        [
            f"I won't delete **{esc(name)}**: calls still route through it. Change these "
            "first (Control Hub › Calling › Call Routing, or the location's PSTN settings):",
            *usage_lines(usage),
        ]
    )


def delete_note() -> str:
    return "Deleting a trunk can't be undone; the gateway stops carrying calls through Webex."


def update_note(new_password: bool) -> str:
    note = "Webex needs a new password on every change to a trunk"
    if new_password:
        return note + (
            ": I'll use the one you typed. The gateway stops registering until you configure "
            "it with the new password."
        )
    return note + (
        ": I'll have Webex generate one and send it to you 1:1. The gateway stops registering "
        "until you configure it with the new password."
    )


def updated(name: str, changes: Sequence[str]) -> str:
    what = "; ".join(changes) if changes else "new password"
    return (
        f"✅ Trunk **{esc(name)}** updated ({esc(what)}). Configure the gateway with its new "
        "password now: it can't register until you do."
    )


def deleted(name: str, already: bool) -> str:
    if already:
        return f"Trunk **{esc(name)}** was already gone: nothing left to delete."
    return f"🗑 Trunk **{esc(name)}** deleted."


def in_use_now(name: str) -> str:
    return (
        f"Webex refused to delete **{esc(name)}**: something started using it. Say "
        f"`show trunk {esc(name)}` to see what."
    )


NOTHING_TO_CHANGE = (
    "Say what to change: `update trunk <name> name=<new name>`, `max-calls=<n>`, "
    "`dual-identity=yes|no` or `password=auto`."
)
WHICH_TRUNK = "Which trunk? Say `{verb} trunk <name or ID>`, or pick one on the card."
NO_TRUNKS = "There are no trunks you may {verb} here."
MAX_CALLS_REGISTERING = (
    "`max-calls` applies to certificate-based trunks; a registering trunk takes its limit "
    "from the gateway."
)
