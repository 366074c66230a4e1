"""Webex's error answers and why a create didn't finish cleanly, in the person's words."""

from __future__ import annotations

from bot.markdown import esc

__all__ = [
    "CREATE_CAUSE_NOT_SENT",
    "CREATE_CAUSE_NO_ANSWER",
    "CREATE_CAUSE_SERVER",
    "CREATE_CAUSE_UNREADABLE",
    "LOCATION_LIST_LIMIT",
    "WEBEX_BAD_RESPONSE",
    "WEBEX_CLIENT_CONFIG",
    "WEBEX_CONNECT",
    "WEBEX_DROPPED",
    "WEBEX_OTHER_4XX",
    "WEBEX_OTHER_5XX",
    "WEBEX_PROXY",
    "WEBEX_SAID",
    "WEBEX_STATUS",
    "WEBEX_TIMEOUT",
    "WEBEX_TRACKING_ID",
    "WEBEX_UNEXPECTED_STATUS",
    "location_ambiguous",
    "location_not_found",
    "trunk_create_unknown",
    "trunk_not_created",
    "trunk_not_sent",
]

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
