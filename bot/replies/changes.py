"""Cards, confirmation, idempotency, approval and reconciliation: a change's sentences."""

from __future__ import annotations

from bot.markdown import code, esc
from bot.sentence import Sentence, sentence

__all__ = [
    "ALREADY_FAILED",
    "APPROVAL_EXPIRED",
    "CANCELLED",
    "CARD_ALREADY_USED",
    "CARD_EXPIRED",
    "CARD_NOT_ACTIVE",
    "CARD_NOT_OURS",
    "DOING",
    "NO_APPROVERS_SPACE",
    "NO_SELF_APPROVAL",
    "TYPED_PW_FORGOTTEN",
    "already_done",
    "approval_approved",
    "approval_approved_here",
    "approval_expired",
    "approval_rejected",
    "approval_rejected_here",
    "approval_request_text",
    "card_for_someone_else",
    "card_not_offered",
    "card_oversized",
    "card_unexpected_input",
    "confirm_note",
    "confirm_text",
    "expires_in",
    "gateway_facts",
    "in_progress",
    "reconciled_created",
    "reconciled_not_created",
    "result_title",
    "sent_for_approval",
]

# --- cards, confirmation, idempotency and approval (commands/flow.py, card_actions.py) ----


def already_done(name: str, trunk_id: str) -> str:
    return (
        f"✅ Already done: trunk **{esc(name)}** was created (ID {code(trunk_id)}). "
        "Nothing new was created."
    )


ALREADY_FAILED = "❌ That request already failed, and trying it again as it was won't help."


def in_progress(name: str) -> str:
    return (
        f"I'm already creating trunk **{esc(name)}** for that request. I'll answer there when "
        "Webex does; nothing more is needed from you."
    )


def gateway_facts(details: object) -> list[tuple[str, str]]:
    """The gateway settings as card facts (plain text; the card escapes it)."""
    from bot.webex.models import TrunkDetails

    if not isinstance(details, TrunkDetails):
        return [("Gateway settings", "not available yet: see Control Hub")]
    out: list[tuple[str, str]] = []
    if details.line_port and "@" in details.line_port:
        out.append(("Registrar domain", details.line_port.rpartition("@")[2]))
    pairs = [
        ("Line/port", details.line_port),
        ("SIP user name", details.sip_authentication_user_name),
        (
            "Outbound proxy",
            details.outbound_proxy.outbound_proxy if details.outbound_proxy else None,
        ),
        ("OTG/DTG", details.otg_dtg_id),
    ]
    out.extend((label, value) for label, value in pairs if value)
    return out


def result_title(name: str, recovered: bool) -> str:
    return f"Trunk {name} created" + (" (Webex was slow, but it's there)" if recovered else "")


def confirm_text(name: str) -> str:
    return f"Please check trunk **{esc(name)}** and press **Create** on the card (or **Cancel**)."


def confirm_note() -> Sentence:
    return sentence(
        "Nothing is created until you press Create. This card works once, for 15 minutes."
    )


CARD_NOT_OURS = (
    "That card isn't one I can act on here (it isn't mine, or it belongs to another space), "
    "so nothing happened. Type `create trunk` to start again."
)
CARD_EXPIRED = "That card has expired, so nothing happened. Type `create trunk` to start again."
CARD_ALREADY_USED = "That card was already used, so nothing more happened."
CARD_NOT_ACTIVE = (
    "That card isn't active, so I did nothing. Type `create trunk` with its settings, or `help`."
)


def card_for_someone_else(who: str) -> str:
    return (
        f"This card is for {esc(who)}: only they can use it, so nothing happened. Type "
        "`create trunk` to get your own."
    )


def card_unexpected_input(key: str) -> str:
    return f"That card sent something I didn't ask for (`{esc(key[:40])}`), so nothing happened."


def card_oversized(key: str) -> str:
    return f"The value of `{esc(key[:40])}` on that card is too long, so nothing happened."


def card_not_offered(key: str) -> str:
    return (
        f"That card sent a `{esc(key)}` it didn't offer, so nothing happened. Type "
        "`create trunk` to get a fresh form."
    )


CANCELLED = "Cancelled — nothing was created."
TYPED_PW_FORGOTTEN = (
    "I no longer have the password you typed (I never store passwords, and I was restarted), "
    "so nothing was created. Please submit the form again, or leave the password out."
)
NO_APPROVERS_SPACE = (
    "Your requests need approval, but the policy names no approvers' space, so nothing was "
    "created. Ask your Webex Calling admins to set `approvers_space` in your grant."
)
NO_SELF_APPROVAL = "You can't approve your own request: another approver has to. Nothing happened."
APPROVAL_EXPIRED = "That request expired before anyone decided on it, so nothing was created."


def expires_in(seconds: float) -> str:
    hours = seconds / 3600
    return f"in {hours:g} hours" if hours >= 1 else f"in {round(seconds / 60)} minutes"


#: What a request does to a trunk: the verb, its -ing form, and its past participle.
DOING = {
    "create": ("create", "creating", "created"),
    "update": ("change", "changing", "changed"),
    "delete": ("delete", "deleting", "deleted"),
    # commands.gateway: the names are "<trunk> to route group <group>" and
    # "<target> to <location>'s PSTN".
    "routegroup": ("add", "adding", "added"),
    "connect": ("connect", "connecting", "connected"),
    # commands.bulk: the name is the file's.
    "bulk": ("create", "creating", "created"),
}


# What an approval is about: "trunk **x**", or for a file "the trunks from **sites.csv**".
NOUN = {"bulk": "the trunks from"}


def _about(name: str, kind: str) -> str:
    return f"{NOUN.get(kind, 'trunk')} **{esc(name)}**"


def approval_request_text(requester: str, name: str, kind: str = "create") -> str:
    return (
        f"{esc(requester)} asks to {DOING[kind][0]} {_about(name, kind)}. An approver (not "
        "the requester) can approve or reject it on the card."
    )


def sent_for_approval(name: str, kind: str = "create") -> str:
    return (
        f"Your request for {_about(name, kind)} needs a second person's approval: I've sent it "
        "to the approvers and will tell you here what they decide."
    )


def approval_rejected_here(name: str, kind: str = "create") -> str:
    return f"Rejected: {_about(name, kind)} won't be {DOING[kind][2]}. I've told the requester."


def approval_rejected(name: str, approver: str, kind: str = "create") -> str:
    return (
        f"❌ {esc(approver)} rejected your request for {_about(name, kind)}; nothing was changed."
    )


def approval_approved_here(name: str, kind: str = "create") -> str:
    return f"Approved: {DOING[kind][1]} {_about(name, kind)} now; the requester gets the result."


def approval_approved(name: str, approver: str, kind: str = "create") -> str:
    return f"{esc(approver)} approved your request for {_about(name, kind)}."


def approval_expired(name: str, kind: str = "create") -> str:
    what = {
        "create": f"for trunk **{esc(name)}**",
        "bulk": f"for the trunks from **{esc(name)}**",
        "update": f"to change trunk **{esc(name)}**",
        "delete": f"to delete trunk **{esc(name)}**",
    }.get(kind, f"to {DOING.get(kind, DOING['create'])[0]} **{esc(name)}**")
    return (
        f"Your request {what} expired before an approver decided, so nothing was changed. "
        "Ask again if you still need it."
    )


# --- maintenance: reconciliation after a restart, expired approvals (bot/maintenance.py) --


def reconciled_created(name: str, trunk_id: str) -> str:
    return (
        f"✅ About your request for trunk **{esc(name)}**: I was interrupted before I could "
        f"answer, but Webex did create it (ID {code(trunk_id)}). No need to retry. Its gateway "
        "settings and password are in Control Hub."
    )


def reconciled_not_created(name: str) -> str:
    return (
        f"About your request for trunk **{esc(name)}**: I was interrupted before Webex "
        "answered, and no trunk by that name exists, so nothing was created. Please try again."
    )
