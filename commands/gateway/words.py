"""What the gateway, route group and PSTN commands say: the outcome first, names as typed."""

from __future__ import annotations

from bot.markdown import code, esc

GATEWAY_USAGE = (
    "`gateway config <trunk> [interface=<name>] [tenant=<n>] [dial-peer=<n>]` — the "
    "trunk's Cisco IOS-XE configuration, sent 1:1"
)
ADD_USAGE = (
    "`add trunk <trunk> to route group <name> [priority=<n>]` — put a trunk in a route group"
)
CONNECT_USAGE = (
    "`connect location=<location>` `to trunk=<trunk>` (or `to route-group=<name>`) — point "
    "a location's PSTN calls at a trunk or route group"
)
ADD_FORM = "Say `add trunk <trunk> to route group <name>`, optionally with `priority=<n>`."
CONNECT_FORM = (
    'Say `connect location="<location>" to trunk=<trunk>` or '
    '`connect location="<location>" to route-group="<name>"`.'
)


def sent_one_to_one(name: str) -> str:
    return (
        f"I've sent you the gateway configuration of trunk **{esc(name)}** in a 1:1 space: it "
        "isn't for a group space."
    )


def certificate_values(name: str, lines: list[str]) -> str:
    head = (
        f"Trunk **{esc(name)}** is certificate-based: configure its SBC from the vendor's own "
        "guide, with these values Webex knows:"
    )
    return "\n".join([head, *lines])


def no_option_for_certificate(name: str) -> str:
    return (
        f"Trunk **{esc(name)}** is certificate-based: `interface`, `tenant` and `dial-peer` "
        "are for a registering trunk's CUBE configuration."
    )


def bad_interface(value: str) -> str:
    return (
        f"{code(value[:40])} doesn't look like an IOS interface name (such as "
        "`GigabitEthernet1` or `GigabitEthernet0/0/1`)."
    )


# --- route groups ---------------------------------------------------------------------------


def add_name(trunk: str, group: str) -> str:
    """What an approval request calls this change ("add trunk … to route group …")."""
    return f"{trunk} to route group {group}"


# --- the PSTN connection --------------------------------------------------------------------

TRUNK_WORD, GROUP_WORD = "trunk", "route group"


def describe(kind: str | None, name: str | None) -> str:
    """``trunk lon-1`` / ``route group EU-LGWs`` / ``no premises connection`` (plain text)."""
    if kind is None:
        return "no premises PSTN connection"
    word = TRUNK_WORD if kind == "TRUNK" else GROUP_WORD
    return f"{word} {name}"


def not_premises(location: str) -> str:
    return (
        f"I won't change the PSTN connection of **{esc(location)}**: it gets its PSTN from a "
        "cloud-connected provider (a PSTN subscription), which the API can't change. Change it "
        "in Control Hub (Calling › Locations › PSTN) if you mean to."
    )


def already_connected(location: str, target: str) -> str:
    return f"**{esc(location)}** is already connected to {esc(target)}: nothing to change."


def connect_title(location: str) -> str:
    return f"Change the PSTN connection of {location}?"


def connect_note(location: str, current: str, target: str) -> str:
    return (
        f"Calls will route differently: all PSTN calls of {location} go through {target} "
        f"instead of {current} as soon as you press Connect. A gateway that isn't registered "
        "yet drops them."
    )


def connected(location: str, target: str, before: str) -> str:
    return (
        f"✅ **{esc(location)}** now routes its PSTN calls through {esc(target)} "
        f"(before: {esc(before)})."
    )


def connect_name(location: str, target: str) -> str:
    """What an approval request calls this change ("connect trunk … to …'s PSTN")."""
    return f"{target} to {location}'s PSTN"


def no_route_group(name: str) -> str:
    return (
        f'There\'s no route group named "{esc(name)}". Check the name (Control Hub › Calling › '
        "Call Routing), or make one with `add trunk <trunk> to route group <name>` after a "
        "create with `route-group=`."
    )


# --- watching -------------------------------------------------------------------------------


def online_now(name: str, minutes: int) -> str:
    return (
        f"✅ The gateway of trunk **{esc(name)}** has registered: Webex shows it online "
        f"(after about {minutes} minutes). Next: add it to a route group, or point a "
        "location's PSTN connection at it."
    )


def still_offline(name: str, minutes: int, line_port_user: str | None) -> str:
    line = f" (line {code(line_port_user)})" if line_port_user else ""
    return "\n".join(
        [
            f"⛔ Trunk **{esc(name)}** is still offline after {minutes} minutes: its gateway "
            "hasn't registered. Three things to check on the router:",
            f"1. `show sip-ua register status`: the line{line} should say `yes`.",
            "2. The outbound proxy is reachable over TLS, on the ports in Webex's port reference "
            "(help.webex.com, 'Port reference information for Webex Calling'): no firewall "
            "or NAT in the way.",
            "3. The credentials line of `voice class tenant`: line/port user part, SIP user "
            "name and password exactly as Webex has them (`gateway config "
            f"{esc(name)}` shows them).",
            "I've stopped watching; `show trunk` tells its status any time.",
        ]
    )
