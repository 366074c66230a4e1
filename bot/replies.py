"""Every sentence a person can see from Trunkbot, in one place.

Tone (see the README): lead with the outcome, one short paragraph, name things the way the
person typed them, Webex's own words and tracking ID when Webex refused. Never a stack
trace, a Python exception, JSON, a token, or a password (except the 1:1 delivery of a
generated one). Anything that came from a person or from Webex goes through :func:`esc`
before it is put into markdown.
"""

from __future__ import annotations

import re

from bot.markdown import code, esc

__all__ = ["code", "esc"]  # the escapers live in bot.markdown; replies still exports them

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
# Sentences of bot/grammar.py and bot/validation.py. None of them ever receives the value of
# `password`; keys are shown as the person typed them; other user text goes through shown().

_ECHO_LIMIT = 40
# Text that is safe verbatim inside a `code span`: no backtick, no markup, no mention syntax.
_CODE_SAFE = re.compile(r"[\w .,:/+()&'\"…-]+")
# Text that can stand in an example command such as `name=par-1` without quotes.
_EXAMPLE_BARE = re.compile(r"[\w.-]{1,40}")


def shown(text: str, limit: int = _ECHO_LIMIT) -> str:
    """User text for a reply: truncated, then a `code span` when safe, else escaped in quotes."""
    t = text if len(text) <= limit else text[: limit - 1] + "…"
    t = "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in t)
    if _CODE_SAFE.fullmatch(t):
        return f"`{t}`"
    return f"“{esc(t)}”"


def _keys_list(keys: tuple[str, ...]) -> str:
    return ", ".join(keys)


def _bold_and(keys: list[str]) -> str:
    bold = [f"**{k}**" for k in keys]
    return bold[0] if len(bold) == 1 else ", ".join(bold[:-1]) + " and " + bold[-1]


def _code_and(keys: list[str]) -> str:
    code = [shown(k) for k in keys]
    return code[0] if len(code) == 1 else ", ".join(code[:-1]) + " and " + code[-1]


# -- grammar (bot/grammar.py) --

EMPTY_KEY = "There's an `=` with nothing in front of it: write each setting as `key=value`."


def bare_word_after_password() -> str:
    return (
        "There's a word without `=` after `password`: write each setting as `key=value` "
        "(a password can't contain spaces)."
    )


def unknown_key(key: str, suggestion: str | None, known: tuple[str, ...]) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"I don't know {shown(key)}.{hint} Keys I know: {_keys_list(known)}."


def unknown_key_after_password(known: tuple[str, ...]) -> str:
    return (
        "After `password` comes a key I don't know (and a password can't contain spaces). "
        f"Keys I know: {_keys_list(known)}."
    )


def repeated_key(first: str, second: str) -> str:
    if first == second:
        return f"You gave {shown(first)} twice. Give each key once."
    return f"You gave {shown(first)} twice, as {shown(first)} and {shown(second)}. Give it once."


def key_needs_value(key: str) -> str:
    return f"{shown(key)} needs a value: write it as `{key}=<value>`."


def bare_word(word: str) -> str:
    return (
        f"I don't understand {shown(word)}: write each setting as `key=value`, with quotes "
        'around a value that has spaces, like `location="London HQ"`.'
    )


def unterminated_quote(key: str) -> str:
    return f"The value of {shown(key)} has an opening quote but no closing one."


def text_after_quote(key: str) -> str:
    return f"The value of {shown(key)} goes on after its closing quote: put a space after it."


# -- request fields (bot/validation.py) --

_FORM_HINT = "— or just `create trunk` for a form."


def _example_safe(text: str | None) -> bool:
    """Whether ``text`` can go, in double quotes, into an example command as typed."""
    if not text or len(text) > _ECHO_LIMIT or '"' in text:
        return False
    return _CODE_SAFE.fullmatch(text) is not None


def missing_required(missing: list[str], name: str | None, location: str | None) -> str:
    """``missing`` ⊆ {"name", "location"}; ``name``/``location`` are what was typed, if usable."""
    name_ex = "<name>"
    if name and _EXAMPLE_BARE.fullmatch(name):
        name_ex = name
    elif _example_safe(name):
        name_ex = f'"{name}"'
    loc_ex = location if location and _example_safe(location) else "<location name>"
    return (
        f"I need {' and '.join(f'a **{k}**' for k in missing)} to create a trunk. Try: "
        f'`create trunk name={name_ex} location="{loc_ex}"` {_FORM_HINT}'
    )


def missing_short(key: str) -> str:
    if key == "location":
        return "I need a **location**: its name or ID."
    return f"I need a **{key}** for the trunk."


def empty_value(key: str) -> str:
    return f"{shown(key)} is empty: give it a value or leave it out."


def too_long(key: str, limit: int) -> str:
    return f"{shown(key)} can be at most {limit} characters long."


def control_chars(key: str) -> str:
    return f"{shown(key)} can't contain line breaks, tabs or other invisible characters."


def bad_trunk_type(key: str) -> str:
    return f"{shown(key)} must be `registering` or `certificate`."


def password_empty(key: str) -> str:
    return f"{shown(key)} is empty: leave it out (or write `{key}=auto`) and I'll generate one."


def password_forbidden(key: str) -> str:
    return (
        f"{shown(key)} can't contain `?` or `!`, which Webex refuses: choose another, or leave "
        "it out and I'll generate one."
    )


def password_whitespace(key: str) -> str:
    return f"{shown(key)} can't contain spaces, line breaks or other invisible characters."


def bad_port(key: str) -> str:
    return f"{shown(key)} must be a whole number from 1 to 65535."


def bad_max_calls(key: str) -> str:
    return f"{shown(key)} must be a whole number, 1 or more."


def max_calls_huge(key: str) -> str:
    return f"{shown(key)} is far more than any device type allows."


def bad_yes_no(key: str) -> str:
    return f"{shown(key)} must be `yes` or `no`."


def bad_address(key: str) -> str:
    return (
        f"{shown(key)} must be a host name such as `sbc1.example.com` or an SRV name such as "
        "`_sips._tcp.example.com`, without a port (that goes in `port`)."
    )


def bad_domain(key: str) -> str:
    return f"{shown(key)} must be a domain name such as `example.com`."


def bad_org(key: str) -> str:
    return (
        f"{shown(key)} must be a Webex organization ID: letters, digits and `-_=+/.:`, no spaces."
    )


def bad_pcharge(key: str) -> str:
    return f"{shown(key)} must be `disabled`, `asserted-identity` or `configurable-charge-number`."


def bad_value(key: str) -> str:
    return f"I can't use the value of {shown(key)}."


def certificate_only(keys: list[str]) -> str:
    verb, them = ("applies", "it") if len(keys) == 1 else ("apply", "them")
    return (
        f"{_code_and(keys)} {verb} only to certificate-based trunks: leave {them} out, or add "
        "`type=certificate`."
    )


def several_problems(sentences: list[str]) -> str:
    return "\n".join(["I can't create that trunk yet:", *(f"• {s}" for s in sentences)])


# -- trunk types and device types (bot/validation.check_certificate) --

_DEVICE_LIST_MAX = 8


def device_types(devices: list[tuple[str, int | None, int | None]]) -> str:
    """``Cisco Unified Border Element (250–1000 calls), …`` from (name, min, max) triples."""
    parts: list[str] = []
    for name, low, high in devices[:_DEVICE_LIST_MAX]:
        if low is not None and high is not None:
            parts.append(f"{esc(name)} ({low}–{high} calls)")
        elif high is not None:
            parts.append(f"{esc(name)} (up to {high} calls)")
        elif low is not None:
            parts.append(f"{esc(name)} (at least {low} calls)")
        else:
            parts.append(esc(name))
    if len(devices) > _DEVICE_LIST_MAX:
        parts.append(f"and {len(devices) - _DEVICE_LIST_MAX} more")
    return ", ".join(parts)


def certificate_needs(keys: list[str], devices: str | None) -> str:
    tail = f" Device types here: {devices}." if devices else ""
    return f"A certificate-based trunk also needs {_bold_and(keys)}.{tail}"


def certificate_needs_short(key: str) -> str:
    return f"A certificate-based trunk needs **{key}**."


def unknown_device(device: str, *, certificate: bool, devices: str) -> str:
    kind = "certificate-based" if certificate else "registering"
    return (
        f"I don't know the device type {shown(device)}. Device types for {kind} trunks here: "
        f"{devices}."
    )


def no_device_types(key: str, *, certificate: bool) -> str:
    if certificate:
        return (
            "Webex lists no device types for certificate-based trunks in this organization, "
            "so I can't create one here."
        )
    return f"Webex lists no device types for registering trunks here: leave {shown(key)} out."


def max_calls_range(key: str, device: str, low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        span = f"from {low} to {high}"
    elif low is not None:
        span = f"at least {low}"
    else:
        span = f"at most {high}"
    return f"{shown(key)} must be {span} for {esc(device)}."


# --- end validation ---------------------------------------------------------------------

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


def name_taken(name: str) -> str:
    return f"A trunk named **{esc(name)}** already exists in this organization. Pick another name."


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


NEXT_STEP = "Next: add it to a route group, or point a location's PSTN connection at it."


def with_password(settings: list[str], password: str | None) -> str:
    lines = ["Configure the gateway with:", *settings]
    if password is not None:
        lines.append(f"• Password (shown only here): {code(password)}")
    lines.append(NEXT_STEP)
    return "\n".join(lines)


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
    "Webex refused that password (it doesn't allow `?` or `!`, among other rules). Leave "
    "`password` out and I'll have Webex generate one that it accepts."
)


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


def confirm_note() -> str:
    return "Nothing is created until you press Create. This card works once, for 15 minutes."


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
}


def approval_request_text(requester: str, name: str, kind: str = "create") -> str:
    return (
        f"{esc(requester)} asks to {DOING[kind][0]} trunk **{esc(name)}**. An approver (not "
        "the requester) can approve or reject it on the card."
    )


def sent_for_approval(name: str) -> str:
    return (
        f"Your request for trunk **{esc(name)}** needs a second person's approval: I've sent it "
        "to the approvers and will tell you here what they decide."
    )


def approval_rejected_here(name: str, kind: str = "create") -> str:
    return f"Rejected: trunk **{esc(name)}** won't be {DOING[kind][2]}. I've told the requester."


def approval_rejected(name: str, approver: str) -> str:
    return (
        f"❌ {esc(approver)} rejected your request for trunk **{esc(name)}**; nothing was changed."
    )


def approval_approved_here(name: str, kind: str = "create") -> str:
    return f"Approved: {DOING[kind][1]} trunk **{esc(name)}** now; the requester gets the result."


def approval_approved(name: str, approver: str) -> str:
    return f"{esc(approver)} approved your request for trunk **{esc(name)}**."


def approval_expired(name: str) -> str:
    return (
        f"Your request for trunk **{esc(name)}** expired before an approver decided, so nothing "
        "was changed. Ask again if you still need it."
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


# --- audit trail (commands/audit.py, bot/audit_view.py, `trunkbot audit`) ----------------
# (section: audit)
# Everything a reader of the audit trail sees besides the rows themselves. Filters come from
# the person and go through shown(); row fields are escaped in bot/audit_view.py.

AUDIT_KEYS = ("last", "person", "location")
AUDIT_EXAMPLE = '`audit last 20 person=alice@example.com location="London HQ"`'
AUDIT_DECISION = {"allowed": "✅ allowed", "refused": "⛔ refused"}


def audit_unknown_key(key: str, suggestion: str | None) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    keys = ", ".join(f"`{k}`" for k in AUDIT_KEYS)
    return f"I don't know {shown(key)} for `audit`.{hint} Keys I know: {keys}."


def audit_bare_word(word: str) -> str:
    return f"I don't understand {shown(word)} after `audit`. Try {AUDIT_EXAMPLE}."


def audit_repeated_key(key: str) -> str:
    return f"You gave {shown(key)} twice. Give each key once."


def audit_bad_last(limit: int) -> str:
    return f"`last` takes a whole number from 1 to {limit}, as in `audit last 20`."


def audit_header(count: int, person: str | None, location: str | None) -> str:
    what = "row" if count == 1 else "rows"
    scope = ""
    if person:
        scope += f" by {shown(person, 80)}"
    if location:
        scope += f" in {shown(location, 80)}"
    latest = "The latest" if count == 1 else f"The {count} latest"
    return f"{latest} audit {what}{scope}, newest first (times in UTC):"


def audit_capped(limit: int) -> str:
    return f"(I show at most {limit} rows at once; `trunkbot audit` prints the whole trail.)"


def audit_more(count: int) -> str:
    what = "row doesn't" if count == 1 else "rows don't"
    return (
        f"…and {count} more {what} fit in one message: ask for fewer with `last N`, narrow it "
        "with `person=` or `location=`, or run `trunkbot audit`."
    )


def audit_empty(person: str | None, location: str | None) -> str:
    if not person and not location:
        return "The audit trail is empty: nobody has asked me for anything yet."
    scope = ""
    if person:
        scope += f" by {shown(person, 80)}"
    if location:
        scope += f" in {shown(location, 80)}"
    return (
        f"No audit rows{scope}. A person is an email or a person ID, a location its full "
        "name or ID."
    )


# -- the command line (`trunkbot audit`) --


def audit_bad_since(value: str) -> str:
    return (
        f"--since must be an ISO date or time such as 2026-11-01 or 2026-11-01T09:30 (UTC "
        f"unless it says otherwise), not {value[:40]!r}."
    )


def audit_cli_empty(since: str | None) -> str:
    if since:
        return f"No audit rows since {since}."
    return "The audit trail is empty: the bot has recorded nothing yet."


def audit_cli_no_database(path: str) -> str:
    return (
        f"There is no audit trail at {path} yet (TRUNKBOT_DATABASE_URL names the bot's "
        "database), so there is nothing to print."
    )


AUDIT_ONLY_DIRECT = (
    "I show the audit trail only in a 1:1 space: it names people and why they were refused. "
    "Message me directly with `audit`."
)


# --- webhook mode (`trunkbot serve`, bot/transports/webhook.py) ---------------------------

READY = "ready"
NOT_READY_STOPPING = "not ready: the bot is stopping"
NOT_READY_STORE = "not ready: the database doesn't answer"


def serve_without_webhook_key() -> str:
    return (
        "No webhook secret: set TRUNKBOT_WEBHOOK_SECRET to the `secret` of the bot's Webex "
        "webhooks (see `trunkbot serve --help`)."
    )


def webhook_cannot_listen(host: str, port: int, reason: str) -> str:
    return f"Can't listen on {host}:{port} ({reason}): pick another --host or --port."


# --- questions (bot.followup) --------------------------------------------------------------


def which_one(question: str, labels: list[str]) -> str:
    """The bot's question with its choices numbered; the next message answers it."""
    numbered = "\n".join(f"{n}. {esc(label)}" for n, label in enumerate(labels, start=1))
    return f"{question}\n{numbered}\nAnswer with the number or the name."


def not_a_choice(answer: str, count: int) -> str:
    return (
        f"“{esc(answer[:40])}” isn't one of the choices: answer with a number from 1 to "
        f"{count} or a name, or send a new command."
    )
