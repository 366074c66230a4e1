"""A ready-to-paste Cisco IOS-XE configuration for a registering trunk's local gateway.

Built from the trunk's details as Webex returns them (``GET …/premisePstn/trunks/{id}``):

* the registrar domain is the part of ``linePort`` after its ``@`` (no field of its own);
  a ``linePort`` without ``@`` is reported, never guessed;
* ``credentials number`` is the *user part* of ``linePort``; every ``username`` is
  ``sipAuthenticationUserName`` — two different identifiers, never swapped;
* the outbound proxy is ``outboundProxy.outboundProxy`` (Webex may answer 206 without it:
  then a marked placeholder and where to find it);
* ``otgDtgId`` goes into the sip-profile rule that tags From with ``;otg=`` and into the
  ``voice class uri`` pattern ``dtg=``;
* the password is known only right after a create (or a new one): otherwise the three
  ``password 0`` places hold :data:`PASSWORD_PLACEHOLDER`.

Layout: prerequisites (once per router, skip what is there), this trunk's block, a
commented skeleton for the site's own side, the verify step. The numbers are local tags an
admin may change (:class:`Options`). A certificate-based trunk gets :func:`sbc_values`
instead: its SBC is configured from the vendor's own guide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UsageError
from bot.markdown import code, esc
from bot.webex.models import TrunkDetails

PASSWORD_PLACEHOLDER = "<TRUNK-PASSWORD>"  # noqa: S105  -- a marker, not a password
PROXY_PLACEHOLDER = "<OUTBOUND-PROXY>"
PROXY_MISSING = 25013  # Webex's responseStatus code: "Error retrieving outboundproxy"
DEFAULT_INTERFACE = "GigabitEthernet1"
DEFAULT_TENANT = 200
DEFAULT_DIAL_PEER = 200201
CODEC_CLASS = 99
#: What an IOS interface name looks like: GigabitEthernet1, GigabitEthernet0/0/1.100,
#: Port-channel1, Loopback0.
INTERFACE = re.compile(r"[A-Za-z][A-Za-z-]{1,40}[0-9]{1,5}(?:/[0-9]{1,5}){0,3}(?:\.[0-9]{1,5})?")
# Values from Webex that go into configuration lines: no spaces, quotes or backticks.
_SAFE = re.compile(r"[A-Za-z0-9._@+:-]{1,255}")
_COMMENT_UNSAFE = re.compile(r"[^\w .,:/()+@#&'-]")


class GatewayConfigError(UsageError):
    """The trunk's details can't make a configuration (one sentence: why, what to do)."""


@dataclass(frozen=True)
class Options:
    """The local tags and interface a person may choose (``interface=``, ``tenant=``,
    ``dial-peer=``); the sip-profile, srtp-crypto, stun-usage and uri classes share the
    tenant's number, as in Cisco's guide."""

    interface: str = DEFAULT_INTERFACE
    tenant: int = DEFAULT_TENANT
    dial_peer: int = DEFAULT_DIAL_PEER


@dataclass(frozen=True)
class GatewayValues:
    """The values the configuration is made of, read from the trunk's details."""

    name: str
    registrar: str  # linePort after the @
    line_port_user: str  # linePort before the @: `credentials number`
    username: str  # sipAuthenticationUserName: every `username`
    outbound_proxy: str | None  # None: Webex didn't say (206)
    otg_dtg: str


def _comment(text: str) -> str:
    """Text safe inside an IOS comment and a markdown code block."""
    return _COMMENT_UNSAFE.sub("?", text)[:80]


def _safe(value: str | None, label: str, name: str) -> str:
    if not value:
        raise GatewayConfigError(
            f"Webex didn't return the {label} of trunk **{esc(name)}**, so I can't write its "
            "gateway configuration. Check the trunk in Control Hub (Services › PSTN & Routing)."
        )
    value = value.strip()
    if not _SAFE.fullmatch(value):
        raise GatewayConfigError(
            f"The {label} Webex returned for trunk **{esc(name)}** has characters a gateway "
            "configuration can't take, so I won't guess. Check the trunk in Control Hub."
        )
    return value


def values_of(details: TrunkDetails) -> GatewayValues:
    """The configuration's values, or GatewayConfigError saying which one is missing."""
    name = details.name
    line_port = _safe(details.line_port, "line/port", name)
    user, at, registrar = line_port.partition("@")
    if not at or not user or not registrar or "@" in registrar:
        raise GatewayConfigError(
            f"The line/port of trunk **{esc(name)}** is {code(line_port)}: it has no "
            "`user@registrar` form, and I won't guess the registrar domain. Check the trunk "
            "in Control Hub (Services › PSTN & Routing)."
        )
    proxy = details.outbound_proxy.outbound_proxy if details.outbound_proxy else None
    return GatewayValues(
        name=name,
        registrar=registrar,
        line_port_user=user,
        username=_safe(details.sip_authentication_user_name, "SIP user name", name),
        outbound_proxy=_safe(proxy, "outbound proxy", name) if proxy else None,
        otg_dtg=_safe(details.otg_dtg_id, "OTG/DTG", name),
    )


def proxy_missing(details: TrunkDetails) -> bool:
    """Webex answered without the outbound proxy (206 with code 25013, or no value)."""
    codes = {s.code for s in details.response_status or []}
    proxy = details.outbound_proxy.outbound_proxy if details.outbound_proxy else None
    return PROXY_MISSING in codes or not proxy


def ios_config(
    details: TrunkDetails,
    *,
    options: Options | None = None,
    password: str | None = None,
    stun_secret: str,
    location: str | None = None,
) -> str:
    """The whole configuration, as text to paste in configuration mode."""
    opts = options or Options()
    v = values_of(details)
    t, dp, ifc = opts.tenant, opts.dial_peer, opts.interface
    pw = password if password is not None else PASSWORD_PLACEHOLDER
    proxy = v.outbound_proxy or PROXY_PLACEHOLDER
    where = f" ({_comment(location)})" if location else ""
    lines = [
        f"! Webex Calling local gateway for trunk {_comment(v.name)}{where}",
        "! Made by Trunkbot from the trunk's details in Webex (Cisco IOS-XE, CUBE).",
        "! Paste in configuration mode (configure terminal).",
        f"! Local tags: tenant {t}, sip-profiles {t}, dial-peer {dp}; Webex faces {ifc}.",
        "!",
        "! ===== 1. Prerequisites: once per router (skip any part already present) =====",
        "!",
        "crypto pki trustpoint EmptyTP",
        " revocation-check none",
        "!",
        "sip-ua",
        " transport tcp tls v1.2",
        " crypto signaling default trustpoint EmptyTP cn-san-validate server",
        "!",
        "crypto pki trustpool import clean url http://www.cisco.com/security/pki/trs/ios_core.p7b",
        "!",
        "voice service voip",
        " ip address trusted list",
        "  ! add one 'ipv4 <network> <mask>' line per Webex Calling range of your region:",
        "  ! help.webex.com, 'Port reference information for Webex Calling'",
        " allow-connections sip to sip",
        " media statistics",
        " media bulk-stats",
        " no supplementary-service sip refer",
        " stun",
        "  stun flowdata agent-id 1 boot-count 4",
        f"  stun flowdata shared-secret 0 {stun_secret}",
        " sip",
        "  early-offer forced",
        "  asserted-id pai",
        "!",
        f"voice class codec {CODEC_CLASS}",
        " codec preference 1 g711ulaw",
        " codec preference 2 g711alaw",
        "!",
        f"voice class srtp-crypto {t}",
        " crypto 1 AES_CM_128_HMAC_SHA1_80",
        "!",
        f"voice class stun-usage {t}",
        " stun usage firewall-traversal flowdata",
        "!",
        f"! ===== 2. This trunk: {_comment(v.name)} =====",
        "!",
        f"voice class sip-profiles {t}",
        ' rule 9 request ANY sip-header SIP-Req-URI modify "sips:(.*)" "sip:\\1"',
        ' rule 10 request ANY sip-header To modify "<sips:(.*)" "<sip:\\1"',
        ' rule 11 request ANY sip-header From modify "<sips:(.*)" "<sip:\\1"',
        ' rule 12 request ANY sip-header Contact modify "<sips:(.*)>" "<sip:\\1;transport=tls>"',
        ' rule 13 response ANY sip-header To modify "<sips:(.*)" "<sip:\\1"',
        ' rule 14 response ANY sip-header From modify "<sips:(.*)" "<sip:\\1"',
        ' rule 15 response ANY sip-header Contact modify "<sips:(.*)" "<sip:\\1"',
        f' rule 20 request ANY sip-header From modify ">" ";otg={v.otg_dtg}>"',
        ' rule 30 request ANY sip-header P-Asserted-Identity modify "<sips:(.*)" "<sip:\\1"',
        "!",
    ]
    if password is None:
        lines += [
            f"! {PASSWORD_PLACEHOLDER} (three times below) is a placeholder: Webex never shows",
            "! a trunk's password again. Get a new one, then put it in those three places.",
        ]
    if v.outbound_proxy is None:
        lines += [
            f"! {PROXY_PLACEHOLDER}: Webex didn't return it. Copy it from Control Hub",
            "! (Services > PSTN & Routing > this trunk).",
        ]
    lines += [
        f"voice class tenant {t}",
        f" registrar dns:{v.registrar} scheme sips expires 240 refresh-ratio 50 tcp tls",
        f" credentials number {v.line_port_user} username {v.username} password 0 {pw}"
        " realm BroadWorks",
        f" authentication username {v.username} password 0 {pw} realm BroadWorks",
        f" authentication username {v.username} password 0 {pw} realm {v.registrar}",
        " no remote-party-id",
        f" sip-server dns:{v.registrar}",
        " connection-reuse",
        f" srtp-crypto {t}",
        " session transport tcp tls",
        " url sips",
        " error-passthru",
        " asserted-id pai",
        f" bind control source-interface {ifc}",
        f" bind media source-interface {ifc}",
        " no pass-thru content custom-sdp",
        f" sip-profiles {t}",
        f" outbound-proxy dns:{proxy}",
        " privacy-policy passthru",
        "!",
        f"voice class uri {t} sip",
        f" pattern dtg={v.otg_dtg}",
        "!",
        f"dial-peer voice {dp} voip",
        " description Webex Calling (inbound and outbound)",
        " destination-pattern BAD.BAD",
        " session protocol sipv2",
        " session target sip-server",
        f" incoming uri request {t}",
        f" voice-class codec {CODEC_CLASS}",
        f" voice-class stun-usage {t}",
        " no voice-class sip localhost",
        f" voice-class sip tenant {t}",
        " dtmf-relay rtp-nte",
        " srtp",
        " no vad",
        "!",
        "! ===== 3. Your side: site data Webex doesn't know (a skeleton to fill in) =====",
        "! voice class tenant 100         - the PSTN or Unified CM side",
        "! dial-peer voice 100101 voip    - towards the PSTN or Unified CM",
        f"! voice class dpg {t}            - calls from your side to Webex: dial-peer {dp}",
        "!",
        "! ===== 4. Verify, 2-3 minutes after pasting =====",
        "!   show sip-ua register status",
        f"! Line {v.line_port_user} must show 'yes' (registered); Control Hub then shows",
        "! the trunk online.",
        "end",
    ]
    return "\n".join(lines) + "\n"


def sbc_values(details: TrunkDetails) -> list[str]:
    """A certificate-based trunk's values for its SBC (markdown lines)."""
    proxy = details.outbound_proxy
    pairs: list[tuple[str, object]] = [
        ("Device type", details.device_type),
        ("SBC address (Webex calls it)", details.address),
        ("Domain (the SBC certificate's)", details.domain),
        ("Port", details.port),
        ("Max concurrent calls", details.max_concurrent_calls),
        ("Webex outbound proxy", proxy.outbound_proxy if proxy else None),
        ("Webex SRV prefix", proxy.srv_prefix if proxy else None),
        ("OTG/DTG", details.otg_dtg_id),
    ]
    lines = [f"• {label}: {code(str(value))}" for label, value in pairs if value is not None]
    for record in (proxy.cname_records if proxy else None) or []:
        target = record.get("hostName") or record.get("hostname") or record.get("name")
        if isinstance(target, str) and target:
            lines.append(f"• Webex CNAME record: {code(target)}")
    return lines


def config_message(
    details: TrunkDetails, config: str, *, with_password: bool, typed_password: bool = False
) -> str:
    """The 1:1 message that carries a configuration (markdown, the config in a code block)."""
    name = details.name
    lines = [
        f"Gateway configuration for trunk **{esc(name)}** (Cisco IOS-XE, CUBE local gateway). "
        "Paste it in configuration mode; part 1 is once per router.",
        "```",
        config.rstrip("\n"),
        "```",
    ]
    if with_password:
        lines.append("The trunk's password is in it: keep this configuration to yourself.")
    elif typed_password:
        lines.append(
            f"Put the password you typed in place of {code(PASSWORD_PLACEHOLDER)} (three times): "
            "I don't repeat a typed password."
        )
    else:
        lines.append(
            f"The password in it is a placeholder ({code(PASSWORD_PLACEHOLDER)}): Webex never "
            f"shows a trunk's password again. Say `update trunk {esc(name)} password=auto` for "
            "a new one, sent to you 1:1; the gateway stops registering until it has it."
        )
    if proxy_missing(details):
        lines.append(
            "Webex didn't return the outbound proxy just now: copy it from Control Hub "
            f"(Services › PSTN & Routing › {esc(name)}) in place of {code(PROXY_PLACEHOLDER)}."
        )
    return "\n".join(lines)
