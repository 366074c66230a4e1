"""The gateway configuration (bot.gateway_config) against reviewed golden files, byte for
byte, and the rules that keep a wrong value out of a router."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.gateway_config import (
    PASSWORD_PLACEHOLDER,
    PROXY_PLACEHOLDER,
    GatewayConfigError,
    Options,
    config_message,
    ios_config,
    sbc_values,
)
from bot.webex.models import TrunkDetails

GOLDEN = Path(__file__).parent / "golden"
STUN = "5f3c9a1e7b2d4c6f8a0b1c2d3e4f5a6b"

# The Control Hub example of the UX notes: every value different from every other.
LONDON: dict[str, object] = {
    "name": "lon-lgw-1",
    "location": {"id": "LOC-LON", "name": "London HQ"},
    "trunkType": "REGISTERING",
    "linePort": "lon-lgw-1_1234_LGU@40462196.lgw.example.bcld.webex.com",
    "sipAuthenticationUserName": "lon-lgw-11234_LGU",
    "otgDtgId": "lon-lgw-11234_lgu",
    "pilotUserId": "lon-lgw-11234_LGU@40462196.lgw.example.bcld.webex.com",
    "outboundProxy": {"outboundProxy": "lon01.sipconnect.bcld.webex.com"},
    "status": "OFFLINE",
}
# A second trunk, asked for later (no password), with the options a person may set.
PARIS: dict[str, object] = {
    "name": "par-lgw-2",
    "location": {"id": "LOC-PAR", "name": "Paris Office"},
    "trunkType": "REGISTERING",
    "linePort": "par_lgw_2_7731_LGU@98079822.eu10.bcld.webex.com",
    "sipAuthenticationUserName": "par_lgw_2_2290_LGU",
    "otgDtgId": "par_lgw_2_2290_lgu",
    "outboundProxy": {"outboundProxy": "par02.sipconnect-eu.bcld.webex.com"},
}


def details(raw: dict[str, object], **changes: object) -> TrunkDetails:
    return TrunkDetails.model_validate({**raw, **changes})


def test_london_with_its_generated_password_matches_the_golden_file() -> None:
    text = ios_config(
        details(LONDON), password="Jx7m2Qk9vRt4#a8b", stun_secret=STUN, location="London HQ"
    )
    assert text == (GOLDEN / "lon-lgw-1.ios.txt").read_text(encoding="utf-8")


def test_paris_later_with_options_matches_the_golden_file() -> None:
    options = Options(interface="GigabitEthernet0/0/1", tenant=300, dial_peer=300301)
    text = ios_config(details(PARIS), options=options, stun_secret=STUN, location="Paris Office")
    assert text == (GOLDEN / "par-lgw-2.ios.txt").read_text(encoding="utf-8")


def test_line_port_user_and_sip_user_name_are_never_swapped() -> None:
    """`credentials number` takes the linePort's user part; every `username` the SIP user
    name (they differ in every real trunk, and swapping them breaks registration)."""
    text = ios_config(details(PARIS), password="pw-1", stun_secret=STUN)
    lines = text.splitlines()
    [credentials] = [line for line in lines if line.startswith(" credentials number ")]
    assert credentials.split()[2] == "par_lgw_2_7731_LGU"  # linePort before the @
    assert credentials.split()[4] == "par_lgw_2_2290_LGU"  # sipAuthenticationUserName
    auth = [line for line in lines if line.startswith(" authentication username ")]
    assert len(auth) == 2
    assert all(line.split()[2] == "par_lgw_2_2290_LGU" for line in auth)
    assert "par_lgw_2_7731_LGU" not in " ".join(auth)
    # The registrar is linePort's host, in all three places.
    assert " registrar dns:98079822.eu10.bcld.webex.com scheme sips" in text
    assert " sip-server dns:98079822.eu10.bcld.webex.com" in lines
    assert auth[1].endswith("realm 98079822.eu10.bcld.webex.com")
    assert text.count("password 0 pw-1") == 3


def test_a_line_port_without_at_is_reported_not_guessed() -> None:
    with pytest.raises(GatewayConfigError) as caught:
        ios_config(details(LONDON, linePort="lon-lgw-1_1234_LGU"), stun_secret=STUN)
    assert "no `user@registrar` form" in caught.value.user_message
    assert "won't guess" in caught.value.user_message


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("sipAuthenticationUserName", None, "SIP user name"),
        ("otgDtgId", "", "OTG/DTG"),
        ("linePort", "a b@host", "characters a gateway configuration can't take"),
        ("otgDtgId", "x`y", "characters a gateway configuration can't take"),
    ],
)
def test_missing_or_unsafe_values_are_refused_in_one_sentence(
    field: str, value: object, words: str
) -> None:
    with pytest.raises(GatewayConfigError) as caught:
        ios_config(details(LONDON, **{field: value}), stun_secret=STUN)
    assert words in caught.value.user_message
    assert caught.value.user_message.count(". ") <= 2


def test_without_the_outbound_proxy_it_is_a_marked_placeholder() -> None:
    """Webex's 206 with code 25013: the placeholder, and where to find the value."""
    raw = details(
        LONDON,
        outboundProxy=None,
        responseStatus=[{"code": 25013, "summaryEnglish": "Error retrieving outboundproxy"}],
    )
    text = ios_config(raw, stun_secret=STUN)
    assert f" outbound-proxy dns:{PROXY_PLACEHOLDER}" in text.splitlines()
    message = config_message(raw, text, with_password=False)
    assert "Control Hub" in message
    assert PROXY_PLACEHOLDER in message


def test_the_placeholder_says_how_to_get_a_new_password() -> None:
    raw = details(LONDON)
    text = ios_config(raw, stun_secret=STUN)
    assert text.count(f"password 0 {PASSWORD_PLACEHOLDER}") == 3
    message = config_message(raw, text, with_password=False)
    assert "`update trunk lon-lgw-1 password=auto`" in message
    assert message.count("```") == 2
    assert len(message.encode()) < 7439  # one Webex message


def test_a_certificate_based_trunk_gets_its_sbc_values() -> None:
    raw = TrunkDetails.model_validate(
        {
            "name": "NY-SBC-1",
            "trunkType": "CERTIFICATE_BASED",
            "deviceType": "Cisco Unified Border Element",
            "address": "sbc1.sbc.example.com",
            "domain": "sbc.example.com",
            "port": 5061,
            "maxConcurrentCalls": 500,
            "outboundProxy": {"srvPrefix": "_sips._tcp", "outboundProxy": "ny01.example.com"},
        }
    )
    lines = "\n".join(sbc_values(raw))
    for value in ("sbc1.sbc.example.com", "sbc.example.com", "5061", "500", "_sips._tcp"):
        assert f"`{value}`" in lines
