"""The router's, the gate's and the commands' sentences: refusals, help, results."""

from __future__ import annotations

from bot.markdown import code, esc
from bot.sentence import Sentence, bold, sentence

__all__ = [
    "ACTION_PHRASES",
    "EMPTY_MESSAGE",
    "NEXT_STEP",
    "NO_POLICY",
    "PASSWORD_FOLLOWS",
    "PW_RULES_REFUSED",
    "TYPED_IN_GROUP_REFUSAL",
    "WHO_ARE_YOU_UNKNOWN",
    "address_in_use",
    "created",
    "creating",
    "domain_not_verified",
    "gateway_settings",
    "help_text",
    "incident",
    "name_taken",
    "not_allowed",
    "one_at_a_time",
    "only_in_locations",
    "only_in_orgs",
    "password_only_here",
    "private_delivery",
    "sent_privately",
    "slow_down",
    "trunk_type_label",
    "unknown_command",
    "webex_refused",
    "with_password",
]

# --- router, authorization and commands (bot/router.py, commands/) -----------------------

ACTION_PHRASES = {
    "trunk.create": "create trunks",
    "trunk.read": "look at trunks",
    "trunk.update": "change trunks",
    "trunk.delete": "delete trunks",
    "routegroup.write": "change route groups",
    "pstn.write": "change a location's PSTN connection",
    "audit.read": "read the audit trail",
    "approve": "approve other people's requests",
}

WHO_ARE_YOU_UNKNOWN = (
    "I couldn't look you up in Webex just now, so I can't tell what you may do. "
    "Nothing happened; please try again in a minute."
)


def slow_down(seconds: float) -> str:
    wait = max(1, round(seconds))
    return (
        "You're sending commands faster than I take them, so I've set the last ones aside "
        f"and done nothing with them. Send them again in about {wait} seconds."
    )


def one_at_a_time(limit: int) -> str:
    return (
        f"I'm still working on {limit} of your requests; this one was set aside and nothing "
        "happened. Send it again when those are answered."
    )


def not_allowed(action: str) -> str:
    what = ACTION_PHRASES.get(action, "do that")
    return (
        f"You're not allowed to {what}. Ask your Webex Calling admins to add you to the "
        "bot's policy."
    )


NO_POLICY = (
    "I have no usable policy file, so I can't let anyone do anything yet. "
    "The bot's operator can run `trunkbot check` to see why."
)


def _and_list(items: list[str]) -> str:
    bold = [f"**{esc(i)}**" for i in items]
    if len(bold) <= 1:
        return "".join(bold)
    return ", ".join(bold[:-1]) + " and " + bold[-1]


def only_in_locations(action: str, locations: list[str]) -> str:
    what = ACTION_PHRASES.get(action, "do that")
    return f"You may {what} only in {_and_list(locations)}."


def only_in_orgs(action: str, org_id: str) -> str:
    what = ACTION_PHRASES.get(action, "do that")
    return (
        f"You may not {what} in the organization `{esc(org_id)}`. Ask your Webex Calling "
        "admins if you need to."
    )


def unknown_command(first_word: str) -> str:
    word = esc(first_word[:40])
    return f"I don't know the command “{word}”. Type `help` to see what I can do for you."


EMPTY_MESSAGE = "Hi! Type `help` to see what I can do for you."


def incident(incident_id: str) -> str:
    return (
        f"❌ Something went wrong on my side (incident `{incident_id}`). If you were creating a "
        "trunk, check whether it exists before you try again; the bot's operator can look the "
        "incident up in the logs."
    )


def help_text(usages: list[str], *, policy_problem: str | None) -> str:
    """``usages``: the lines of the commands this person may use (from the registry)."""
    if not usages:
        if policy_problem:
            return NO_POLICY
        return (
            "I create Webex Calling trunks for the people my policy allows, and you're not "
            "on it yet. Ask your Webex Calling admins to add you to the bot's policy."
        )
    return "\n".join(["Here's what you can do:", *(f"• {u}" for u in usages)])


TYPED_IN_GROUP_REFUSAL = (
    "I won't take a password in a group space: everyone here can read it. Leave `password` "
    "out and I'll generate one and send it to you privately."
)


def creating(name: str, location: str, trunk_type_label: str) -> str:
    return f"Creating {trunk_type_label} trunk **{esc(name)}** in **{esc(location)}**…"


def name_taken(name: str) -> Sentence:
    return sentence(
        "A trunk named ", bold(name), " already exists in this organization. Pick another name."
    )


def webex_refused(sentence: str) -> str:
    return sentence if sentence.startswith("❌") else f"❌ {sentence}"


def trunk_type_label(trunk_type: object) -> str:
    return "certificate-based" if str(trunk_type) == "CERTIFICATE_BASED" else "registering"


def created(
    *,
    name: str,
    location: str,
    type_label: str,
    device: str | None,
    trunk_id: str,
    recovered: bool,
) -> str:
    kind = type_label + (f", {esc(device)}" if device else "")
    if type_label == "registering" and not device:
        kind += ", Cisco CUBE local gateway"
    if recovered:
        head = (
            f"✅ Webex was slow, but the trunk was created: **{esc(name)}** in "
            f"**{esc(location)}** ({kind}). No need to retry."
        )
    else:
        head = f"✅ Trunk **{esc(name)}** created in **{esc(location)}** ({kind})."
    return f"{head}\nID: {code(trunk_id)}"


def gateway_settings(details: object) -> list[str]:
    """The lines an admin copies into the gateway config, from the trunk's details."""
    from bot.webex.models import TrunkDetails

    if not isinstance(details, TrunkDetails):
        return [
            "• Webex didn't give me the gateway settings just now: open the trunk in Control "
            "Hub, or ask me again later."
        ]
    lines: list[str] = []
    if details.line_port and "@" in details.line_port:
        lines.append(f"• Registrar domain: {code(details.line_port.rpartition('@')[2])}")
    pairs = [
        ("Line/port", details.line_port),
        ("SIP user name", details.sip_authentication_user_name),
        ("Pilot user", details.pilot_user_id),
        (
            "Outbound proxy",
            details.outbound_proxy.outbound_proxy if details.outbound_proxy else None,
        ),
        ("OTG/DTG", details.otg_dtg_id),
    ]
    lines.extend(f"• {label}: {code(value)}" for label, value in pairs if value)
    if details.partial:
        lines.append("• Webex sent only part of the trunk's details; Control Hub has the rest.")
    return lines


NEXT_STEP = sentence("Next: add it to a route group, or point a location's PSTN connection at it.")


def with_password(settings: list[str], password: str | None, *, follows: bool = False) -> str:
    """The settings to configure, the generated ``password`` (1:1 only) or, with ``follows``,
    where it is instead (the 1:1 message after this one), and the next step."""
    lines = ["Configure the gateway with:", *settings]
    if password is not None:
        lines.append(f"• Password (shown only here): {code(password)}")
    elif follows:
        lines.append(f"• Password: {PASSWORD_FOLLOWS}")
    lines.append(NEXT_STEP)
    return "\n".join(lines)


#: Where a generated password is when the result of a 1:1 create doesn't carry it.
PASSWORD_FOLLOWS = "in my next message, shown only there"  # noqa: S105 - wording


def password_only_here(password: str) -> str:
    """The line of the 1:1 message that carries a generated password."""
    return f"Password (shown only here): {code(password)}"


def sent_privately(has_password: bool) -> str:
    what = "its password and gateway settings" if has_password else "its gateway settings"
    return f"I've sent you {what} in a 1:1 space."


def private_delivery(name: str, location: str, settings: list[str], password: str | None) -> str:
    head = f"Here's what to configure for trunk **{esc(name)}** in **{esc(location)}**."
    return head + "\n" + with_password(settings, password)


# Webex error codes we know the meaning of (from its error answers, not its reference), said
# the way an admin acts on them.
def domain_not_verified(domain: str) -> str:
    return (
        f"The domain **{esc(domain)}** isn't verified in this organization, so Webex won't "
        "accept a certificate-based trunk with it. Verify it in Control Hub (Organization "
        "settings › Domains) or use a verified one."
    )


def address_in_use(address: str) -> str:
    return (
        f"The address **{esc(address)}** is already used by another trunk. Each SBC address "
        "can belong to one trunk only."
    )


PW_RULES_REFUSED = (
    "Webex refused that password (its reason follows). Leave `password` out and I'll have "
    "Webex generate one that it accepts."
)
