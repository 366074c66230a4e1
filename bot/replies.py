"""Every sentence a person can see from Trunkbot, in one place.

Tone (see the README): lead with the outcome, one short paragraph, name things the way the
person typed them, Webex's own words and tracking ID when Webex refused. Never a stack
trace, a Python exception, JSON, a token, or a password (except the 1:1 delivery of a
generated one). Anything that came from a person or from Webex goes through :func:`esc`
before it is put into markdown.
"""

from __future__ import annotations

import re

# Markdown and Webex mention syntax that user text must not be able to inject:
# emphasis, code, links, headings, quotes, lists, html-ish tags such as <@all>.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def esc(text: object) -> str:
    """Escape user- or Webex-supplied text for Webex markdown (no links, no <@all>)."""
    s = str(text).replace("\r", " ").replace("\n", " ")
    s = s.replace("@", "@\u200b")  # breaks <@all>, <@personEmail:…> and bare mentions
    return _MD_SPECIAL.sub(r"\\\1", s)


# --- errors of the Webex HTTP boundary (bot/webex/http.py) -------------------------------
# (section: webex-boundary)
# One sentence per status of Webex's error table (every endpoint documents the same 15), each
# saying what happened and what to do. Webex's own description and tracking ID are appended by
# bot.webex.http.user_sentence, escaped there.
WEBEX_STATUS: dict[int, str] = {
    400: "Webex refused the request as it stands. Fix what Webex points out and try again.",
    401: (
        "Webex didn't accept the bot's admin credentials. Ask the bot's operator to check the "
        "admin token (`trunkbot check`)."
    ),
    403: (
        "The bot's Webex admin account lacks the permission for this: trunks need a full "
        "Webex Calling administrator with the `spark-admin:telephony_config_write` and "
        "`spark-admin:telephony_config_read` scopes. Ask the bot's operator to check its role "
        "and scopes."
    ),
    404: (
        "Webex couldn't find that. It may have been deleted or belong to another "
        "organization; check the name or ID and try again."
    ),
    405: "Webex doesn't allow that operation. That's a bug in the bot; please tell its operator.",
    409: (
        "Webex refused because this conflicts with something that already exists, such as a "
        "trunk with the same name or address. Pick a different one and try again."
    ),
    410: "Webex says that no longer exists. Check the name or ID and try again.",
    415: (
        "Webex didn't accept the format of the bot's request. That's a bug in the bot; please "
        "tell its operator."
    ),
    423: "Webex has this temporarily locked. Try again in a minute.",
    428: "Webex wants a precondition the bot can't provide. Please tell the bot's operator.",
    429: "Webex is rate-limiting us right now. Try again in a minute.",
    500: (
        "Webex had a problem handling the request. Try again in a few minutes; if it keeps "
        "happening, tell the bot's operator."
    ),
    502: "Webex had a problem reaching one of its own services. Try again in a few minutes.",
    503: "Webex is overloaded or under maintenance right now. Try again in a few minutes.",
    504: "Webex timed out inside its own systems. Try again in a few minutes.",
}
WEBEX_OTHER_4XX = "Webex refused the request (HTTP {status}). Please tell the bot's operator."
WEBEX_OTHER_5XX = "Webex had a problem (HTTP {status}). Try again in a few minutes."
WEBEX_UNEXPECTED_STATUS = (
    "Webex gave an answer the bot doesn't understand (HTTP {status}). Please tell the bot's "
    "operator."
)
WEBEX_TIMEOUT = (
    "Webex didn't answer in time. Try again in a minute; if it keeps happening, tell the "
    "bot's operator."
)
WEBEX_CONNECT = (
    "The bot couldn't connect to Webex. Try again in a minute; if it keeps happening, ask "
    "the bot's operator to check its network."
)
WEBEX_PROXY = (
    "The bot couldn't reach Webex through its proxy. Ask the bot's operator to check the "
    "proxy settings."
)
WEBEX_DROPPED = "The connection to Webex dropped before it answered. Try again in a minute."
WEBEX_CLIENT_CONFIG = (
    "The bot couldn't send a valid request to Webex: its Webex settings look wrong (API "
    "address, proxy or admin token). Ask the bot's operator to run `trunkbot check`."
)
WEBEX_BAD_RESPONSE = (
    "Webex answered in a way the bot couldn't read. Try again in a minute; if it keeps "
    "happening, tell the bot's operator."
)
WEBEX_SAID = "Webex said: “{description}”"
WEBEX_TRACKING_ID = "(Webex tracking ID {tracking_id})"

# Why a trunk create did not finish cleanly, as a clause inside the sentences below.
CREATE_CAUSE_NOT_SENT = "the bot couldn't connect to Webex"
CREATE_CAUSE_NO_ANSWER = "Webex didn't answer in time"
CREATE_CAUSE_SERVER = "Webex had a problem"
CREATE_CAUSE_UNREADABLE = "Webex's answer was unreadable"


def trunk_not_sent(name: str, cause: str) -> str:
    return (
        f"Trunk **{esc(name)}** wasn't created: {cause}, so the request never reached it. "
        "It's safe to try again in a minute."
    )


def trunk_not_created(name: str, cause: str) -> str:
    return (
        f"Creating trunk **{esc(name)}** didn't go through ({cause}), and Webex has no trunk "
        "by that name, so nothing was created. It's safe to try again in a few minutes."
    )


def trunk_create_unknown(name: str, cause: str) -> str:
    return (
        f"Creating trunk **{esc(name)}** didn't finish cleanly ({cause}), and I couldn't "
        "confirm whether Webex created it anyway. Look for it in Control Hub (Calling › Call "
        "Routing › Trunk) before you try again, so it isn't created twice."
    )


LOCATION_LIST_LIMIT = 10


def _location_names(names: list[str]) -> str:
    shown = ", ".join(f"**{esc(n)}**" for n in names[:LOCATION_LIST_LIMIT])
    more = len(names) - LOCATION_LIST_LIMIT
    return f"{shown} and {more} more" if more > 0 else shown


def _quoted(query: str) -> str:
    return esc(query if len(query) <= 60 else query[:60] + "…")


def location_ambiguous(query: str, names: list[str]) -> str:
    return (
        f'"{_quoted(query)}" matches {len(names)} calling locations: '
        f"{_location_names(names)}. Which one?"
    )


def location_not_found(query: str, names: list[str]) -> str:
    if not names:
        return (
            f'I can\'t find a calling location named "{_quoted(query)}": this organization '
            "has no locations enabled for Webex Calling yet."
        )
    return (
        f'I can\'t find a calling location named "{_quoted(query)}". Calling locations '
        f"here: {_location_names(names)}."
    )


# --- end webex-boundary ----------------------------------------------------------------

# --- grammar and request validation (bot/grammar.py, bot/validation.py) ------------------
# (section: validation)
# --- end validation ---------------------------------------------------------------------

# --- router, authorization and commands (bot/router.py, commands/) -----------------------

ACTION_PHRASES = {
    "trunk.create": "create trunks",
    "trunk.read": "look at trunks",
    "trunk.update": "change trunks",
    "trunk.delete": "delete trunks",
    "audit.read": "read the audit trail",
    "approve": "approve other people's requests",
}


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


def help_text(actions: set[str], *, direct: bool, policy_problem: str | None) -> str:
    if not actions:
        if policy_problem:
            return NO_POLICY
        return (
            "I create Webex Calling trunks for the people my policy allows, and you're not "
            "on it yet. Ask your Webex Calling admins to add you to the bot's policy."
        )
    lines = ["Here's what you can do:"]
    if "trunk.create" in actions:
        lines.append(
            '• `create trunk name=<name> location="<location>"` — a registering trunk '
            "(Cisco CUBE local gateway), password generated by Webex"
        )
        lines.append(
            "• `create trunk name=<name> location=<location> type=certificate device=<device> "
            "address=<fqdn> domain=<domain> port=<port> max-calls=<n>` — a certificate-based "
            "trunk"
        )
        lines.append(
            "  Optional: `dual-identity=yes|no`, `org=<orgId>`"
            + (", `password=<password>`" if direct else "")
        )
    others = sorted(a for a in actions if a != "trunk.create")
    if others:
        lines.append(
            "Your policy also allows: " + ", ".join(ACTION_PHRASES.get(a, a) for a in others) + "."
        )
    return "\n".join(lines)


def create_usage() -> str:
    return (
        "To create a trunk, tell me its name and location, for example:\n"
        '`create trunk name=lon-lgw-1 location="London HQ"`\n'
        "Type `help` for every option."
    )


PASSWORD_IN_GROUP = (
    "I won't take a password in a group space: everyone here can read it. Leave `password` "
    "out and I'll generate one and send it to you privately."
)


def creating(name: str, location: str, trunk_type_label: str) -> str:
    return f"Creating {trunk_type_label} trunk **{esc(name)}** in **{esc(location)}**…"


def name_taken(name: str) -> str:
    return (
        f"A trunk named **{esc(name)}** already exists in this organization. Pick another name."
    )


def webex_refused(sentence: str) -> str:
    return f"❌ {sentence}"


def trunk_type_label(trunk_type: object) -> str:
    return "certificate-based" if str(trunk_type) == "CERTIFICATE_BASED" else "registering"


def name_taken_by_webex(name: str, exc: object) -> str:
    """Webex refused the name after our own check (a race, or a rule we can't see)."""
    from bot.errors import WebexError

    tail = ""
    if isinstance(exc, WebexError):
        if exc.description:
            tail += f" Webex said: “{esc(exc.description)}”."
        if exc.tracking_id:
            tail += f" (Webex tracking ID {esc(exc.tracking_id)})"
    return name_taken(name) + tail


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
    return f"{head}\nID: `{esc(trunk_id)}`"


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
        lines.append(f"• Registrar domain: {esc(details.line_port.rpartition('@')[2])}")
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
    lines.extend(f"• {label}: {esc(value)}" for label, value in pairs if value)
    if details.partial:
        lines.append("• Webex sent only part of the trunk's details; Control Hub has the rest.")
    return lines


NEXT_STEP = "Next: add it to a route group, or point a location's PSTN connection at it."


def with_password(settings: list[str], password: str | None) -> str:
    lines = ["Configure the gateway with:", *settings]
    if password is not None:
        lines.append(f"• Password (shown only here): `{password}`")
    lines.append(NEXT_STEP)
    return "\n".join(lines)


def sent_privately(has_password: bool) -> str:
    what = "its password and gateway settings" if has_password else "its gateway settings"
    return f"I've sent you {what} in a 1:1 space."


def private_delivery(
    name: str, location: str, settings: list[str], password: str | None
) -> str:
    head = f"Here's what to configure for trunk **{esc(name)}** in **{esc(location)}**."
    return head + "\n" + with_password(settings, password)
