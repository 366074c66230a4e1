"""From fields to a TrunkRequest, the trunkTypes rules, and the API body."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from bot.errors import UsageError
from bot.grammar import API_NAMES, KEYS, parse_args
from bot.replies import esc
from bot.validation import (
    InvalidRequest,
    Problem,
    TrunkRequest,
    check_certificate,
    is_srv_address,
    password_problem,
    to_create_body,
)
from bot.webex.models import DeviceType, PChargeInfoSupportPolicy, TrunkType, TrunkTypeInfo

SECRET = "Hunter2Secret!"

CUBE = DeviceType(
    device_type="Cisco Unified Border Element", min_concurrent_calls=250, max_concurrent_calls=1000
)
ACME = DeviceType(
    device_type="Oracle ACME SBC", min_concurrent_calls=None, max_concurrent_calls=500
)
OPEN = DeviceType(device_type="Ribbon SBC Core")
LGW = DeviceType(device_type="Cisco CUBE Local Gateway")
TRUNK_TYPES = [
    TrunkTypeInfo(trunk_type=TrunkType.CERTIFICATE_BASED, device_types=[CUBE, ACME, OPEN]),
    TrunkTypeInfo(trunk_type=TrunkType.REGISTERING, device_types=[LGW]),
]
CERT = (
    "name=sbc-1 location=Paris type=certificate device='Cisco Unified Border Element' "
    "address=sbc1.example.com domain=example.com port=5061 max-calls=500"
)


def request(text: str) -> TrunkRequest:
    """A TrunkRequest from a chat argument line."""
    return TrunkRequest.from_fields(parse_args(text))


def refused(text: str) -> InvalidRequest:
    """The InvalidRequest a chat argument line raises."""
    with pytest.raises(InvalidRequest) as ei:
        request(text)
    return ei.value


def everything(exc: BaseException) -> str:
    """All the text an exception can show, its problems and its traceback included."""
    problems = getattr(exc, "problems", [])
    return "\n".join(
        [
            str(exc),
            repr(exc),
            getattr(exc, "user_message", ""),
            repr(problems),
            *(str(p) for p in problems),
            "".join(traceback.format_exception(exc)),
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'name=lon-lgw-1 location="London HQ"',
            {"name": "lon-lgw-1", "location": "London HQ", "trunk_type": TrunkType.REGISTERING},
        ),
        ("name=' a b ' location=x", {"name": "a b"}),
        ("name=a location=x password=auto", {"password": None}),
        ("name=a location=x password=AUTO", {"password": None}),
        (
            "name=a locationId=Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OLzE",
            {"location": "Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OLzE"},
        ),
        ("name=a location=x trunkType=REGISTERING", {"trunk_type": TrunkType.REGISTERING}),
        ("name=a location=x dual-identity=yes", {"dual_identity": True}),
        ("name=a location=x dualIdentitySupportEnabled=OFF", {"dual_identity": False}),
        ("name=a location=x org=Y2lzY29=", {"org_id": "Y2lzY29="}),
        (
            "name=a location=x pcharge=asserted-identity",
            {"p_charge": PChargeInfoSupportPolicy.ASSERTED_IDENTITY},
        ),
        (
            "name=a location=x pChargeInfoSupportPolicy=CONFIGURABLE_CHARGE_NUMBER",
            {"p_charge": PChargeInfoSupportPolicy.CONFIGURABLE_CHARGE_NUMBER},
        ),
        ("name=a location=x device=' Cisco  CUBE '", {"device_type": "Cisco  CUBE"}),
        (
            CERT,
            {
                "trunk_type": TrunkType.CERTIFICATE_BASED,
                "device_type": "Cisco Unified Border Element",
                "address": "sbc1.example.com",
                "domain": "example.com",
                "port": 5061,
                "max_calls": 500,
            },
        ),
        (
            "name=a location=x type=certificate address=_sips._tcp.example.com port=05061",
            {"address": "_sips._tcp.example.com", "port": 5061},
        ),
        (
            "name=a location=x type=certificate port=65535 max-calls=1",
            {"port": 65535, "max_calls": 1},
        ),
        ("name=a location=x type=certificate port=1", {"port": 1}),
    ],
    ids=[
        "minimal-registering",
        "name-trimmed",
        "password-auto",
        "password-auto-any-case",
        "location-id",
        "api-trunk-type",
        "dual-identity-yes",
        "dual-identity-off",
        "org",
        "pcharge",
        "pcharge-api-name",
        "device-for-registering",
        "certificate",
        "srv-address-leading-zero-port",
        "limits-high",
        "limits-low",
    ],
)
def test_valid(text: str, expected: dict[str, Any]) -> None:
    """Valid fields become a TrunkRequest with typed values."""
    req = request(text)
    for field, value in expected.items():
        assert getattr(req, field) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("registering", TrunkType.REGISTERING),
        ("Registering", TrunkType.REGISTERING),
        ("REGISTERING", TrunkType.REGISTERING),
        ("certificate", TrunkType.CERTIFICATE_BASED),
        ("Certificate-Based", TrunkType.CERTIFICATE_BASED),
        ("certificate_based", TrunkType.CERTIFICATE_BASED),
        ("CERTIFICATE_BASED", TrunkType.CERTIFICATE_BASED),
        ("'certificate based'", TrunkType.CERTIFICATE_BASED),
    ],
    ids=lambda v: str(v),
)
def test_trunk_type_values(value: str, expected: TrunkType) -> None:
    """Every documented spelling of the trunk type is understood."""
    assert request(f"name=a location=x type={value}").trunk_type is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(v, True) for v in ("yes", "YES", "true", "on", "1")]
    + [(v, False) for v in ("no", "False", "off", "0")],
    ids=lambda v: str(v),
)
def test_dual_identity_values(value: str, expected: bool) -> None:
    """dual-identity takes yes/no, true/false, on/off, 1/0 in any case."""
    assert request(f"name=a location=x dual-identity={value}").dual_identity is expected


def test_typed_password_is_a_secret() -> None:
    """A typed password is kept verbatim as a SecretStr and never in repr."""
    req = request("name=a location=x password=Jx7m2Qk9vRt4")
    assert isinstance(req.password, SecretStr)
    assert req.password.get_secret_value() == "Jx7m2Qk9vRt4"
    assert "Jx7m2Qk9vRt4" not in repr(req)
    assert "Jx7m2Qk9vRt4" not in str(req)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name=par-1",
            "I need a **location** to create a trunk. Try: "
            '`create trunk name=par-1 location="<location name>"` — or just `create trunk` '
            "for a form.",
        ),
        (
            "name=par-1 location=",
            "I need a **location** to create a trunk. Try: "
            '`create trunk name=par-1 location="<location name>"` — or just `create trunk` '
            "for a form.",
        ),
        (
            'location="London HQ"',
            "I need a **name** to create a trunk. Try: "
            '`create trunk name=<name> location="London HQ"` — or just `create trunk` for a form.',
        ),
        (
            "",
            "I need a **name** and a **location** to create a trunk. Try: "
            '`create trunk name=<name> location="<location name>"` — or just `create trunk` '
            "for a form.",
        ),
        (
            'name="  " type=certificate',
            "I need a **name** and a **location** to create a trunk.",
        ),
        (
            "name='Paris 2'",
            "I need a **location** to create a trunk. Try: "
            '`create trunk name="Paris 2" location="<location name>"`',
        ),
        (
            "name=<@all>",
            "I need a **location** to create a trunk. Try: "
            '`create trunk name=<name> location="<location name>"`',
        ),
    ],
    ids=[
        "location",
        "empty-location",
        "name",
        "both",
        "blank-name-reads-as-missing",
        "name-with-space-quoted",
        "unsafe-name-not-echoed",
    ],
)
def test_missing_required(text: str, message: str) -> None:
    """A missing name or location leads with what's needed and an example to copy."""
    exc = refused(text)
    assert exc.user_message.startswith(message)
    assert all(p.code == "missing" for p in exc.problems)


@pytest.mark.parametrize(
    ("fields", "key", "code", "sentence"),
    [
        ("type=cert", "type", "trunk_type", "`type` must be `registering` or `certificate`."),
        ("port=0", "port", "port", "`port` must be a whole number from 1 to 65535."),
        ("port=65536", "port", "port", "`port` must be a whole number from 1 to 65535."),
        ("port=-1", "port", "port", "`port` must be a whole number from 1 to 65535."),
        ("port=5061.0", "port", "port", "`port` must be a whole number from 1 to 65535."),
        ("port=５０６１", "port", "port", "`port` must be a whole number from 1 to 65535."),
        ("port=" + "9" * 5000, "port", "port", "`port` must be a whole number from 1 to 65535."),
        ("port=", "port", "empty", "`port` is empty: give it a value or leave it out."),
        ("max-calls=0", "max-calls", "max_calls", "`max-calls` must be a whole number, 1 or more."),
        (
            "max-calls=many",
            "max-calls",
            "max_calls",
            "`max-calls` must be a whole number, 1 or more.",
        ),
        (
            "maxConcurrentCalls=" + "9" * 5000,
            "max-calls",
            "max_calls_huge",
            "`maxConcurrentCalls` is far more than any device type allows.",
        ),
        (
            "dual-identity=maybe",
            "dual-identity",
            "yes_no",
            "`dual-identity` must be `yes` or `no`.",
        ),
        (
            "address=sbc.example.com:5061",
            "address",
            "address",
            "`address` must be a host name such as `sbc1.example.com` or an SRV name such as "
            "`_sips._tcp.example.com`, without a port (that goes in `port`).",
        ),
        ("address=10.0.0.1", "address", "address", "`address` must be a host name"),
        ("address=sip:sbc.example.com", "address", "address", "`address` must be a host name"),
        ("address=-bad-.example.com", "address", "address", "`address` must be a host name"),
        (
            "domain=localhost",
            "domain",
            "domain",
            "`domain` must be a domain name such as `example.com`.",
        ),
        ("domain=_sip.example.com", "domain", "domain", "`domain` must be a domain name"),
        ("org='a b'", "org", "org", "`org` must be a Webex organization ID"),
        (
            "pcharge=sometimes",
            "pcharge",
            "pcharge",
            "`pcharge` must be `disabled`, `asserted-identity`",
        ),
        ("device=", "device", "empty", "`device` is empty: give it a value or leave it out."),
    ],
    ids=[
        "type",
        "port-zero",
        "port-too-big",
        "port-negative",
        "port-decimal",
        "port-fullwidth-digits",
        "port-huge",
        "port-empty",
        "max-calls-zero",
        "max-calls-word",
        "max-calls-huge-as-typed",
        "dual-identity",
        "address-with-port",
        "address-ip",
        "address-sip-uri",
        "address-bad-label",
        "domain-single-label",
        "domain-underscore",
        "org-space",
        "pcharge",
        "device-empty",
    ],
)
def test_field_problems(fields: str, key: str, code: str, sentence: str) -> None:
    """Each invalid field gets its own sentence, naming the key as typed."""
    kind = "" if key == "type" else "type=certificate"
    exc = refused(f"name=a location=x {kind} {fields}")
    assert [(p.key, p.code) for p in exc.problems] == [(key, code)]
    assert exc.problems[0].message.startswith(sentence)
    assert exc.user_message == exc.problems[0].message


@pytest.mark.parametrize(
    ("fields", "code", "sentence"),
    [
        ("name=" + "n" * 65, "too_long", "`name` can be at most 64 characters long."),
        ("name='a\nb'", "control_chars", "`name` can't contain line breaks, tabs or other"),
        ("name='a\u200bb'", "control_chars", "`name` can't contain line breaks, tabs or other"),
        ("location='London\tHQ'", "control_chars", "`location` can't contain line breaks"),
        ("location=" + "l" * 257, "too_long", "`location` can be at most 256 characters long."),
        ("device=" + "d" * 129, "too_long", "`device` can be at most 128 characters long."),
    ],
    ids=[
        "name-long",
        "name-newline",
        "name-zero-width",
        "location-tab",
        "location-long",
        "device-long",
    ],
)
def test_text_rules(fields: str, code: str, sentence: str) -> None:
    """Names and other free text are printable, on one line, and bounded."""
    base = {"name": "name=a", "location": "location=x", "device": ""}
    key = fields.split("=", 1)[0]
    text = " ".join(v for k, v in base.items() if k != key) + " " + fields
    exc = refused(text)
    assert exc.problems[0].code == code
    assert exc.user_message.startswith(sentence)


def test_unicode_spaces_become_plain_spaces() -> None:
    """A no-break space typed by a phone reads as a plain space."""
    assert request("name=a location='London\u00a0HQ'").location == "London HQ"


@pytest.mark.parametrize(
    ("password", "code", "sentence"),
    [
        (
            SECRET,
            "password_forbidden",
            "`password` can't contain `?` or `!`, which Webex refuses",
        ),
        ("Hunter2Secret?", "password_forbidden", "`password` can't contain `?` or `!`"),
        ("'Hunter2 Secret'", "password_whitespace", "`password` can't contain spaces"),
        ("'Hunter2Secret\u200b'", "password_whitespace", "`password` can't contain spaces"),
        (
            "Hunter2Secret" * 5,
            "password_length",
            "`password` is too long for Webex, which needs 8 to 64 characters: choose another",
        ),
        (
            "Hunter2",
            "password_length",
            "`password` is too short for Webex, which needs 8 to 64 characters: choose another",
        ),
        ("''", "password_empty", "`password` is empty: leave it out (or write `password=auto`)"),
    ],
    ids=["bang", "question-mark", "space", "zero-width", "too-long", "too-short", "empty"],
)
def test_password_rules(password: str, code: str, sentence: str) -> None:
    """A typed password is checked, and the sentence never shows it."""
    exc = refused(f"name=a location=x password={password}")
    assert [p.code for p in exc.problems] == [code]
    assert exc.user_message.startswith(sentence)
    assert "Hunter2" not in everything(exc)


@pytest.mark.parametrize(
    ("password", "fine"),
    [("Hunter2", False), ("Hunter2!", False), ("Jx7m2Qk9", True), ("x" * 64, True)],
)
def test_password_problem_is_the_same_check(password: str, fine: bool) -> None:
    """What an update calls: the rules TrunkRequest applies, one sentence, no password."""
    problem = password_problem(password)
    assert (problem is None) is fine
    if problem is not None:
        assert problem == refused(f"name=a location=x password={password}").problems[0].message
        assert password not in problem


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "a", "location": "x", "password": SECRET},
        {"name": "", "location": "x", "password": SECRET, "port": "zero"},
        {"name": "a", "location": "x", "password": SECRET, "colour": "blue", "port": "0"},
        {"name": "a", "location": "x", "password": SECRET, "Password": "Other99Secret!"},
        {"name": "a", "location": "x", "password": f" {SECRET} "},
        {"name": "a", "location": "x", "password": "Hunter2Secret\n!"},
        {"name": "a", "location": "x", "password": SECRET, "type": "bogus", "address": "1.2.3.4"},
        {"name": "a", "location": "x", "password": SECRET * 20},
    ],
    ids=[
        "alone",
        "with-missing-name",
        "with-unknown-key",
        "repeated",
        "padded",
        "newline",
        "many-problems",
        "long",
    ],
)
def test_password_never_echoed(fields: dict[str, str]) -> None:
    """The password appears in no str, repr, user_message, problem or traceback."""
    with pytest.raises(InvalidRequest) as ei:
        TrunkRequest.from_fields(fields)
    shown = everything(ei.value)
    assert "Hunter2" not in shown
    assert "Other99" not in shown
    assert ei.value.__cause__ is None
    assert ei.value.__context__ is None


def test_direct_construction_hides_the_password() -> None:
    """Building a TrunkRequest in code raises a ValidationError that hides the input."""
    with pytest.raises(ValidationError) as ei:
        TrunkRequest(name="a", location="x", password=SecretStr(SECRET))
    assert "Hunter2" not in str(ei.value)
    assert "Hunter2" not in repr(ei.value)
    assert "`password` can't contain" in str(ei.value)


def test_several_problems_are_a_bullet_list() -> None:
    """Several problems are one lead line and a bullet each, in key order."""
    exc = refused("name=a location=x type=certificate dual-identity=maybe port=0 max-calls=x")
    assert exc.user_message == (
        "I can't create that trunk yet:\n"
        "• `port` must be a whole number from 1 to 65535.\n"
        "• `max-calls` must be a whole number, 1 or more.\n"
        "• `dual-identity` must be `yes` or `no`."
    )
    assert [p.key for p in exc.problems] == ["port", "max-calls", "dual-identity"]


def test_problems_name_keys_as_typed() -> None:
    """A problem names the key the way the person typed it."""
    exc = refused("name=a location=x trunkType=certificate maxConcurrentCalls=none PORT=0")
    assert [(p.key, p.field) for p in exc.problems] == [
        ("port", "PORT"),
        ("max-calls", "maxConcurrentCalls"),
    ]
    assert "`maxConcurrentCalls` must be a whole number" in exc.user_message


@pytest.mark.parametrize(
    ("text", "fields", "sentence"),
    [
        (
            "name=a location=x address=sbc.example.com",
            ["address"],
            "`address` applies only to certificate-based trunks: leave it out, or add "
            "`type=certificate`.",
        ),
        (
            "name=a location=x type=registering domain=example.com PORT=5061 maxcalls=300",
            ["domain", "PORT", "maxcalls"],
            "`domain`, `PORT` and `maxcalls` apply only to certificate-based trunks: leave them "
            "out, or add `type=certificate`.",
        ),
        (
            "name=a location=x port=0",
            ["port", "port"],
            "I can't create that trunk yet:\n• `port` applies only",
        ),
    ],
    ids=["one", "several-as-typed", "with-an-invalid-value"],
)
def test_registering_refuses_certificate_fields(
    text: str, fields: list[str], sentence: str
) -> None:
    """Certificate-only fields on a registering trunk are refused, not ignored."""
    exc = refused(text)
    assert [p.field for p in exc.problems] == fields
    assert exc.user_message.startswith(sentence)


@pytest.mark.parametrize(
    ("fields", "codes", "sentence"),
    [
        (
            {"name": "a", "location": "x", "colour": "blue"},
            ["unknown_key"],
            "I don't know `colour`.",
        ),
        (
            {"name": "a", "location": "x", "locationId": "y"},
            ["repeated_key"],
            "You gave `location` twice, as `location` and `locationId`. Give it once.",
        ),
        (
            {"NAME": "a", "LocationID": "x", "maxConcurrentCalls": "0", "trunkType": "certificate"},
            ["max_calls"],
            "`maxConcurrentCalls` must be a whole number, 1 or more.",
        ),
    ],
    ids=["unknown-key", "repeated-via-alias", "api-names"],
)
def test_plain_mappings(fields: dict[str, str], codes: list[str], sentence: str) -> None:
    """A plain dict (e.g. card inputs) is checked the same way, keys normalised."""
    with pytest.raises(InvalidRequest) as ei:
        TrunkRequest.from_fields(fields)
    assert [p.code for p in ei.value.problems] == codes
    assert ei.value.user_message.startswith(sentence)


def test_card_options() -> None:
    """Cards can skip their own inputs and untouched (empty) ones."""
    inputs = {"name": "a", "location": "x", "port": "", "password": "", "cardAction": "submit"}
    req = TrunkRequest.from_fields(inputs, ignore_unknown=True, ignore_empty=True)
    assert (req.port, req.password) == (None, None)


@pytest.mark.parametrize(
    ("address", "srv"),
    [
        ("_sip._tcp.example.com", True),
        ("_sips._tcp.example.com", True),
        ("_sip._udp.example.com", True),
        ("_SIP._TLS.example.com", True),
        ("sbc.example.com", False),
        ("_sip.example.com", False),
        ("sip._tcp.example.com", False),
    ],
    ids=lambda v: str(v),
)
def test_is_srv_address(address: str, srv: bool) -> None:
    """SRV names are recognised by their _sip/_sips and protocol labels."""
    assert is_srv_address(address) is srv


@pytest.mark.parametrize(
    ("text", "device"),
    [
        (CERT, CUBE),
        (CERT.replace("'Cisco Unified Border Element'", "'cisco  unified border ELEMENT'"), CUBE),
        (
            "name=a location=x type=certificate device='Oracle ACME SBC' "
            "address=_sips._tcp.example.com domain=example.com max-calls=10",
            ACME,
        ),
        (
            "name=a location=x type=certificate device='Ribbon SBC Core' "
            "address=sbc.example.com domain=example.com port=5061 max-calls=99999",
            OPEN,
        ),
        ("name=a location=x", None),
        ("name=a location=x device='cisco cube local gateway'", LGW),
    ],
    ids=[
        "certificate",
        "device-any-case-and-spacing",
        "srv-without-port",
        "device-without-limits",
        "registering",
        "registering-with-device",
    ],
)
def test_check_certificate_accepts(text: str, device: DeviceType | None) -> None:
    """A complete request passes and yields the device type exactly as Webex lists it."""
    assert check_certificate(request(text), TRUNK_TYPES) == device


_NEEDS_ALL = (
    "A certificate-based trunk also needs **device**, **address**, **domain**, **port** and "
    "**max-calls**. Device types here: Cisco Unified Border Element (250–1000 calls), Oracle "
    "ACME SBC (up to 500 calls), Ribbon SBC Core."
)


@pytest.mark.parametrize(
    ("text", "codes", "message"),
    [
        (
            "name=sbc-1 location=Paris type=certificate",
            ["certificate_needs"] * 5,
            _NEEDS_ALL,
        ),
        (
            "name=a location=x type=certificate address=sbc.example.com domain=example.com "
            "device='Oracle ACME SBC'",
            ["certificate_needs"] * 2,
            "A certificate-based trunk also needs **port** and **max-calls**.",
        ),
        (
            "name=a location=x type=certificate address=_sip._tcp.example.com "
            "domain=example.com device='Oracle ACME SBC'",
            ["certificate_needs"],
            "A certificate-based trunk also needs **max-calls**.",
        ),
        (
            CERT.replace("max-calls=500", "max-calls=100"),
            ["max_calls_range"],
            "`max-calls` must be from 250 to 1000 for Cisco Unified Border Element.",
        ),
        (
            CERT.replace("max-calls=500", "maxConcurrentCalls=1001"),
            ["max_calls_range"],
            "`maxConcurrentCalls` must be from 250 to 1000 for Cisco Unified Border Element.",
        ),
        (
            CERT.replace("'Cisco Unified Border Element'", "'Oracle ACME SBC'").replace(
                "500", "501"
            ),
            ["max_calls_range"],
            "`max-calls` must be at most 500 for Oracle ACME SBC.",
        ),
        (
            CERT.replace("'Cisco Unified Border Element'", "cube"),
            ["unknown_device"],
            "I don't know the device type `cube`. Device types for certificate-based trunks "
            "here: Cisco Unified Border Element (250–1000 calls), Oracle ACME SBC (up to 500 "
            "calls), Ribbon SBC Core.",
        ),
        (
            "name=a location=x type=certificate deviceType=<@all> port=5061",
            ["certificate_needs"] * 3 + ["unknown_device"],
            "I can't create that trunk yet:\n"
            "• A certificate-based trunk also needs **address**, **domain** and **max-calls**.\n"
            f"• I don't know the device type “{esc('<@all>')}”.",
        ),
        (
            "name=a location=x device=cube",
            ["unknown_device"],
            "I don't know the device type `cube`. Device types for registering trunks here: "
            "Cisco CUBE Local Gateway.",
        ),
    ],
    ids=[
        "needs-everything",
        "needs-port-and-max-calls",
        "srv-needs-no-port",
        "below-device-minimum",
        "above-device-maximum-as-typed",
        "above-open-minimum",
        "unknown-device",
        "unknown-device-escaped-with-missing",
        "unknown-registering-device",
    ],
)
def test_check_certificate_refuses(text: str, codes: list[str], message: str) -> None:
    """Missing certificate fields, unknown devices and out-of-range limits, all at once."""
    with pytest.raises(InvalidRequest) as ei:
        check_certificate(request(text), TRUNK_TYPES)
    assert [p.code for p in ei.value.problems] == codes
    assert ei.value.user_message.startswith(message)


@pytest.mark.parametrize(
    ("trunk_types", "text", "message"),
    [
        (
            [TrunkTypeInfo(trunk_type=TrunkType.REGISTERING, device_types=[LGW])],
            CERT,
            "Webex lists no device types for certificate-based trunks in this organization, "
            "so I can't create one here.",
        ),
        (
            [TrunkTypeInfo(trunk_type=TrunkType.CERTIFICATE_BASED, device_types=[CUBE])],
            "name=a location=x deviceType=cube",
            "Webex lists no device types for registering trunks here: leave `deviceType` out.",
        ),
    ],
    ids=["certificate", "registering"],
)
def test_check_certificate_without_device_types(
    trunk_types: list[TrunkTypeInfo], text: str, message: str
) -> None:
    """When Webex lists no device types for the trunk type, the sentence says so."""
    with pytest.raises(InvalidRequest) as ei:
        check_certificate(request(text), trunk_types)
    assert ei.value.user_message == message


def test_check_certificate_rechecks_registering_fields() -> None:
    """A registering request built around validation still can't carry certificate fields."""
    req = TrunkRequest.model_construct(name="a", location="x", port=5061, keys_as_typed={})
    with pytest.raises(InvalidRequest) as ei:
        check_certificate(req, TRUNK_TYPES)
    assert [p.code for p in ei.value.problems] == ["certificate_only"]


@pytest.mark.parametrize(
    ("text", "device", "wire"),
    [
        (
            "name=lon-lgw-1 location=x",
            None,
            {
                "name": "lon-lgw-1",
                "locationId": "LOC",
                "password": "Jx7m2Qk9vRt4",
                "trunkType": "REGISTERING",
            },
        ),
        (
            "name=lon-lgw-1 location=x dual-identity=no device='cisco cube local gateway'",
            LGW,
            {
                "name": "lon-lgw-1",
                "locationId": "LOC",
                "password": "Jx7m2Qk9vRt4",
                "trunkType": "REGISTERING",
                "deviceType": "Cisco CUBE Local Gateway",
                "dualIdentitySupportEnabled": False,
            },
        ),
        (
            CERT.replace("'Cisco Unified Border Element'", "'cisco unified border element'")
            + " pcharge=disabled",
            CUBE,
            {
                "name": "sbc-1",
                "locationId": "LOC",
                "password": "Jx7m2Qk9vRt4",
                "trunkType": "CERTIFICATE_BASED",
                "deviceType": "Cisco Unified Border Element",
                "address": "sbc1.example.com",
                "domain": "example.com",
                "port": 5061,
                "maxConcurrentCalls": 500,
                "pChargeInfoSupportPolicy": "DISABLED",
            },
        ),
    ],
    ids=["registering", "registering-with-device", "certificate"],
)
def test_to_create_body(text: str, device: DeviceType | None, wire: dict[str, Any]) -> None:
    """The body is exactly what the API takes: enum names, Webex's device name, ints."""
    req = request(text)
    assert check_certificate(req, TRUNK_TYPES) == device
    body = to_create_body(req, location_id="LOC", password=SecretStr("Jx7m2Qk9vRt4"), device=device)
    assert body.wire() == wire
    assert "Jx7m2Qk9vRt4" not in repr(body)


def test_to_create_body_needs_the_checked_device() -> None:
    """A certificate-based body without check_certificate's device is a programming error."""
    with pytest.raises(ValueError, match="check_certificate"):
        to_create_body(request(CERT), location_id="LOC", password=SecretStr("x"), device=None)


def test_problem_is_plain_data() -> None:
    """A Problem is a frozen record of key, field as typed, code and sentence."""
    p = Problem("port", "PORT", "port", "`PORT` must be a whole number from 1 to 65535.")
    with pytest.raises(AttributeError):
        p.code = "x"  # type: ignore[misc]


def assert_safe_message(exc: UsageError) -> None:
    """A user message is a non-empty single paragraph with no Python internals."""
    msg = exc.user_message
    assert msg.strip()
    assert "\n\n" not in msg
    assert "Traceback" not in msg
    assert "[type=" not in msg
    assert "validation error" not in msg
    assert "pydantic" not in msg.lower()


_KEYS = st.sampled_from([*KEYS, *API_NAMES, "colour", "", "max_calls", "Password"])
_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["auto", "yes", "certificate", "5061", "0", "sbc.example.com", "_sip._tcp.x.com", ""]
    ),
    st.integers(-10, 70000).map(str),
)


@given(st.dictionaries(_KEYS, _VALUES, max_size=8), st.booleans(), st.booleans())
def test_from_fields_only_raises_usage_errors(
    fields: dict[str, str], ignore_unknown: bool, ignore_empty: bool
) -> None:
    """Any fields either validate or raise a UsageError with a safe one-paragraph sentence."""
    try:
        req = TrunkRequest.from_fields(
            fields, ignore_unknown=ignore_unknown, ignore_empty=ignore_empty
        )
    except UsageError as exc:
        assert_safe_message(exc)
    else:
        try:
            check_certificate(req, TRUNK_TYPES)
        except UsageError as exc:
            assert_safe_message(exc)


@given(st.text())
def test_chat_line_only_raises_usage_errors(text: str) -> None:
    """Any chat line goes through parsing and validation raising only UsageErrors."""
    try:
        request(text)
    except UsageError as exc:
        assert_safe_message(exc)


@given(
    st.from_regex(r"Pw[A-Za-z0-9?! ]{10,30}", fullmatch=True),
    st.dictionaries(_KEYS, _VALUES, max_size=5),
)
def test_password_never_echoed_whatever_else(password: str, others: dict[str, str]) -> None:
    """With any other fields, no problem or message contains the typed password."""
    fields = {k: v for k, v in others.items() if k.lower() != "password"}
    fields["password"] = password
    try:
        req = TrunkRequest.from_fields(fields)
    except UsageError as exc:
        shown = everything(exc)
    else:
        shown = repr(req)
    assert password not in shown
