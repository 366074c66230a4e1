"""From ``key=value`` fields to a validated trunk request, and from that to the API body.

    fields = parse_args('name=sbc-1 location="Paris Office" type=certificate …')
    req = TrunkRequest.from_fields(fields)          # every field problem at once
    device = check_certificate(req, trunk_types)    # rules that need GET /trunkTypes
    body = to_create_body(req, location_id=…, password=…, device=device)

Every problem becomes a :class:`Problem` (canonical key, the key as typed, a code, one
sentence) collected in an :class:`InvalidRequest`, a :class:`~bot.errors.UsageError` whose
``user_message`` leads with the first problem (one problem: that sentence; several: a short
bullet list). Pydantic's own messages are never shown: :class:`TrunkRequest` validators raise
errors with our own codes, :meth:`TrunkRequest.from_fields` translates each error by its
``loc`` and ``type``, the model hides inputs in its errors (``hide_input_in_errors``), and
the ValidationError is not chained onto ours. No sentence, ``str``, ``repr`` or attribute of
our exceptions contains the password.

Decisions (Webex's API reference documents none of these rules; they come from its error
answers and from live use):

* **Name**: required, trimmed, at most 64 characters, no control, format or line/paragraph
  separator characters (other Unicode spaces become plain spaces). Otherwise permissive:
  Webex's real rule is unknown and its refusal is shown verbatim.
* **Location**, **device**: trimmed text, same character rule, at most 256 / 128 characters.
  The location stays as typed (a name or an ID); resolving it is the caller's job.
* **type**: ``registering`` (the default) or ``certificate`` / ``certificate-based`` /
  ``certificate_based`` / the API names, case-insensitive.
* **password**: absent or ``auto`` (any case) means None: Webex generates one. A typed one
  must be non-empty, without ``?`` or ``!`` (Webex error 25015), without whitespace or
  invisible characters, and at most 128 characters. It is kept verbatim (not trimmed).
* **port**: ASCII digits, 1–65535. **max-calls**: ASCII digits, at least 1 (at most nine
  digits; the device type's real bounds are checked by :func:`check_certificate`).
* **dual-identity**: yes/no, true/false, on/off, 1/0 (any case).
* **address**: a DNS name (letters, digits, ``-``, ``_`` for SRV labels; labels of at most
  63, at most 253 in all; the last label not all digits, so no IP addresses: a
  certificate-based trunk is identified by its certificate's name). An address starting
  with ``_sip._tcp.``, ``_sip._udp.``, ``_sip._tls.``, ``_sips._tcp.`` (any ``_sip``/``_sips``
  with ``_tcp``/``_udp``/``_tls``) is an SRV name, and then ``port`` may be left out.
* **domain**: a DNS name of at least two labels, no underscores, last label not all digits.
* **org**: letters, digits and ``-_=+/.:``, at most 256 characters.
* **pcharge** (our extension): ``disabled``, ``asserted-identity``,
  ``configurable-charge-number`` (``_`` or ``-``, any case).
* An **empty value** (``port=``) is a problem, not "leave it out"; an empty ``name`` or
  ``location`` reads as missing. Cards, which send "" for untouched inputs, pass
  ``ignore_empty=True``; they pass ``ignore_unknown=True`` to skip their own extra inputs.
* **Registering trunks** refuse ``address``, ``domain``, ``port`` and ``max-calls`` (they
  apply only to certificate-based trunks) rather than ignore them silently; a ``device`` for
  a registering trunk must be one Webex lists for REGISTERING.
* **Certificate-based trunks** need device, address, domain, port (unless the address is an
  SRV name) and max-calls; the device must be one Webex lists for CERTIFICATE_BASED
  (case-insensitive, runs of spaces count as one); max-calls must lie within that device
  type's bounds from trunkTypes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot import replies
from bot.errors import UsageError
from bot.grammar import KEYS, Fields, canonical_key, suggest_key
from bot.webex.models import (
    DeviceType,
    PChargeInfoSupportPolicy,
    TrunkCreate,
    TrunkType,
    TrunkTypeInfo,
)

NAME_MAX = 64
LOCATION_MAX = 256
DEVICE_MAX = 128
ORG_MAX = 256
# Webex refuses a trunk password outside 8 to 64 characters, or with `?` or `!` (400, error
# 25015: "Password must be 8 to 64 characters long."); what it generates meets both.
PASSWORD_MIN = 8
PASSWORD_MAX = 64
ROUTE_GROUP_MAX = 64  # Webex's limit on a route group's name

#: Keys that only a certificate-based trunk takes.
CERTIFICATE_ONLY_KEYS: tuple[str, ...] = ("address", "domain", "port", "max-calls")

#: Canonical key → TrunkRequest field, and back.
FIELD_OF_KEY: dict[str, str] = {
    "name": "name",
    "location": "location",
    "type": "trunk_type",
    "password": "password",
    "device": "device_type",
    "address": "address",
    "domain": "domain",
    "port": "port",
    "max-calls": "max_calls",
    "dual-identity": "dual_identity",
    "org": "org_id",
    "pcharge": "p_charge",
    "route-group": "route_group",
}
KEY_OF_FIELD: dict[str, str] = {f: k for k, f in FIELD_OF_KEY.items()}

_TRUNK_TYPES: dict[str, TrunkType] = {
    "registering": TrunkType.REGISTERING,
    "certificate": TrunkType.CERTIFICATE_BASED,
    "certificate-based": TrunkType.CERTIFICATE_BASED,
}
_YES = frozenset({"yes", "true", "on", "1"})
_NO = frozenset({"no", "false", "off", "0"})
_PCHARGE: dict[str, PChargeInfoSupportPolicy] = {
    p.value.lower().replace("_", "-"): p for p in PChargeInfoSupportPolicy
}
_SRV = re.compile(r"_sips?\._(?:tcp|udp|tls)\.", re.IGNORECASE)
#: A DNS label as typed for an SBC address (underscores allowed, for SRV names); the form's
#: regexes (bot/cards/regexes.py) are built from it and DOMAIN_LABEL.
HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST = re.compile(rf"{HOST_LABEL}(?:\.{HOST_LABEL})*\.?")
DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{DOMAIN_LABEL}(?:\.{DOMAIN_LABEL})+\.?")
_ORG = re.compile(r"[A-Za-z0-9_=+/.:-]+")
_DIGITS = re.compile(r"[0-9]+")
# Characters no typed value may contain: controls, format characters (zero-width and
# direction marks), line/paragraph separators, private-use and unassigned code points.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def is_srv_address(address: str) -> bool:
    """Whether ``address`` is a SIP SRV name (``_sips._tcp.example.com``): no port needed."""
    return bool(_SRV.match(address))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, safe to show (never contains the password).

    ``key`` is the canonical key (None for a key we don't know), ``field`` the key as the
    person typed it, ``code`` a stable identifier (e.g. ``"port"``, ``"missing"``) for cards
    and tests, ``message`` one sentence.
    """

    key: str | None
    field: str
    code: str
    message: str


class InvalidRequest(UsageError):
    """The request has problems; ``problems`` lists each, ``user_message`` sums them up."""

    def __init__(self, problems: Sequence[Problem], user_message: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__(user_message or _summary([p.message for p in self.problems]))

    def __repr__(self) -> str:
        return f"InvalidRequest({[p.code for p in self.problems]!r})"


def _summary(sentences: list[str]) -> str:
    if len(sentences) == 1:
        return sentences[0]
    return replies.several_problems(sentences)


# -- field rules ----------------------------------------------------------------------------


def _fail(code: str, key: str, **ctx: Any) -> NoReturn:
    """Raise a pydantic error with our code and our sentence (never the input)."""
    sentence = _sentence(code, key, ctx)
    raise PydanticCustomError(code, sentence.replace("{", "(").replace("}", ")"), ctx)


def _password_code(password: str) -> str | None:
    """The first of Webex's password rules that ``password`` breaks, or None."""
    if not password:
        return "password_empty"
    if "?" in password or "!" in password:
        return "password_forbidden"
    if any(c.isspace() or unicodedata.category(c) in _INVISIBLE for c in password):
        return "password_whitespace"
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return "password_length"
    return None


def password_problem(password: str, key: str = "password") -> str | None:
    """Why Webex would refuse this typed password, in one sentence that never shows it; None
    when it meets Webex's rules. (TrunkRequest checks the same; an update calls this.)"""
    code = _password_code(password)
    if code is None:
        return None
    return _sentence(code, key, {"too_short": len(password) < PASSWORD_MIN})


def _text(value: object, key: str, limit: int, *, required: bool) -> object:
    if not isinstance(value, str):
        return value  # pydantic's own type check follows (translated by field)
    if any(unicodedata.category(c) in _INVISIBLE for c in value):
        _fail("control_chars", key)
    s = "".join(" " if c.isspace() else c for c in value).strip()
    if not s:
        _fail("missing" if required else "empty", key)
    if len(s) > limit:
        _fail("too_long", key, limit=limit)
    return s


def _optional_str(value: object, key: str) -> str | None:
    """A stripped non-empty str, None for a non-str (left to pydantic); "" is refused."""
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        _fail("empty", key)
    return s


def parse_trunk_type(value: str) -> TrunkType | None:
    """``certificate`` → CERTIFICATE_BASED etc.; None if it isn't a trunk type."""
    return _TRUNK_TYPES.get(value.strip().casefold().replace("_", "-").replace(" ", "-"))


class TrunkRequest(BaseModel):
    """What a person asked for, validated; the location is not resolved yet.

    Build it with :meth:`from_fields` from chat or card input. Constructing it directly
    validates the same way but raises pydantic's ValidationError (inputs hidden).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str
    location: str
    trunk_type: TrunkType = TrunkType.REGISTERING
    password: SecretStr | None = None  # None: Webex generates one
    device_type: str | None = None
    address: str | None = None
    domain: str | None = None
    port: int | None = None
    max_calls: int | None = None
    dual_identity: bool | None = None
    org_id: str | None = None
    p_charge: PChargeInfoSupportPolicy | None = None
    # The route group to put the new trunk in right after the create (made if missing).
    route_group: str | None = None
    keys_as_typed: dict[str, str] = Field(default_factory=dict, repr=False)

    def key_as_typed(self, key: str) -> str:
        """How the person wrote canonical ``key`` (``maxConcurrentCalls``), else ``key``."""
        return self.keys_as_typed.get(key, key)

    @property
    def certificate_based(self) -> bool:
        return self.trunk_type is TrunkType.CERTIFICATE_BASED

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: object) -> object:
        return _text(v, "name", NAME_MAX, required=True)

    @field_validator("location", mode="before")
    @classmethod
    def _location(cls, v: object) -> object:
        return _text(v, "location", LOCATION_MAX, required=True)

    @field_validator("device_type", mode="before")
    @classmethod
    def _device(cls, v: object) -> object:
        return _text(v, "device", DEVICE_MAX, required=False)

    @field_validator("route_group", mode="before")
    @classmethod
    def _route_group(cls, v: object) -> object:
        return _text(v, "route-group", ROUTE_GROUP_MAX, required=False)

    @field_validator("trunk_type", mode="before")
    @classmethod
    def _trunk_type(cls, v: object) -> object:
        if isinstance(v, TrunkType):
            return v
        s = _optional_str(v, "type")
        if s is None:
            return v
        parsed = parse_trunk_type(s)
        if parsed is None:
            _fail("trunk_type", "type")
        return parsed

    @field_validator("password", mode="before")
    @classmethod
    def _password(cls, v: object) -> object:
        if isinstance(v, SecretStr):
            v = v.get_secret_value()
        if not isinstance(v, str):
            return v
        if v.strip().casefold() == "auto":
            return None
        code = _password_code(v)
        if code is not None:
            _fail(code, "password", too_short=len(v) < PASSWORD_MIN)
        return SecretStr(v)

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, v: object) -> object:
        if isinstance(v, str):
            s = _optional_str(v, "port")
            if s is None or not _DIGITS.fullmatch(s) or len(s) > 5:
                _fail("port", "port")
            v = int(s)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 65535:
            _fail("port", "port")
        return v

    @field_validator("max_calls", mode="before")
    @classmethod
    def _max_calls(cls, v: object) -> object:
        if isinstance(v, str):
            s = _optional_str(v, "max-calls")
            if s is None or not _DIGITS.fullmatch(s):
                _fail("max_calls", "max-calls")
            if len(s) > 9:
                _fail("max_calls_huge", "max-calls")
            v = int(s)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            _fail("max_calls", "max-calls")
        return v

    @field_validator("dual_identity", mode="before")
    @classmethod
    def _dual_identity(cls, v: object) -> object:
        if isinstance(v, bool):
            return v
        s = _optional_str(v, "dual-identity")
        if s is not None and s.casefold() in _YES:
            return True
        if s is not None and s.casefold() in _NO:
            return False
        _fail("yes_no", "dual-identity")

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, v: object) -> object:
        s = _optional_str(v, "address")
        if s is None:
            return v
        labels = s.rstrip(".").split(".")
        if len(s) > 253 or not _HOST.fullmatch(s) or labels[-1].isdigit():
            _fail("address", "address")
        return s

    @field_validator("domain", mode="before")
    @classmethod
    def _domain(cls, v: object) -> object:
        s = _optional_str(v, "domain")
        if s is None:
            return v
        if len(s) > 253 or not _DOMAIN.fullmatch(s) or s.rstrip(".").split(".")[-1].isdigit():
            _fail("domain", "domain")
        return s

    @field_validator("org_id", mode="before")
    @classmethod
    def _org(cls, v: object) -> object:
        s = _optional_str(v, "org")
        if s is None:
            return v
        if len(s) > ORG_MAX or not _ORG.fullmatch(s):
            _fail("org", "org")
        return s

    @field_validator("p_charge", mode="before")
    @classmethod
    def _p_charge(cls, v: object) -> object:
        if isinstance(v, PChargeInfoSupportPolicy):
            return v
        s = _optional_str(v, "pcharge")
        if s is None:
            return v
        parsed = _PCHARGE.get(s.casefold().replace("_", "-").replace(" ", "-"))
        if parsed is None:
            _fail("pcharge", "pcharge")
        return parsed

    @model_validator(mode="after")
    def _registering_takes_no_certificate_fields(self) -> TrunkRequest:
        if not self.certificate_based:
            extra = [k for k in CERTIFICATE_ONLY_KEYS if getattr(self, FIELD_OF_KEY[k]) is not None]
            if extra:
                _fail("certificate_only", extra[0], keys=[self.key_as_typed(k) for k in extra])
        return self

    @classmethod
    def from_fields(
        cls,
        fields: Mapping[str, str],
        *,
        ignore_unknown: bool = False,
        ignore_empty: bool = False,
    ) -> TrunkRequest:
        """Validate chat (or card) fields; raise :class:`InvalidRequest` with every problem.

        Keys may be canonical, aliases or API names in any case (a :class:`Fields` from
        :func:`bot.grammar.parse_args` also tells how each key was typed). Cards pass
        ``ignore_unknown`` for their own extra inputs and ``ignore_empty`` because an
        untouched input arrives as "".
        """
        typed_map = fields.typed if isinstance(fields, Fields) else {}
        problems: list[Problem] = []
        data: dict[str, object] = {}
        typed: dict[str, str] = {}
        for raw_key, raw_value in fields.items():
            as_typed = typed_map.get(raw_key, raw_key)
            canon = canonical_key(raw_key)
            if canon is None:
                if not ignore_unknown:
                    msg = replies.unknown_key(as_typed, suggest_key(as_typed), KEYS)
                    problems.append(Problem(None, as_typed, "unknown_key", msg))
                continue
            if canon in typed:
                msg = replies.repeated_key(typed[canon], as_typed)
                problems.append(Problem(canon, as_typed, "repeated_key", msg))
                continue
            if raw_value is None:  # a card may send null for an untouched input
                continue
            value = raw_value if isinstance(raw_value, str) else str(raw_value)
            if ignore_empty and not value.strip():
                continue
            typed[canon] = as_typed
            data[FIELD_OF_KEY[canon]] = value

        # Certificate-only fields on a registering trunk, decided from the raw fields so it
        # is reported together with every other problem (pydantic skips after-validators
        # when a field failed).
        raw_type = data.get("trunk_type")
        trunk_type = parse_trunk_type(raw_type) if isinstance(raw_type, str) else None
        if raw_type is None or trunk_type is TrunkType.REGISTERING:
            extra = [k for k in CERTIFICATE_ONLY_KEYS if k in typed and _given(data, k)]
            if extra:
                msg = replies.certificate_only([typed[k] for k in extra])
                problems.extend(Problem(k, typed[k], "certificate_only", msg) for k in extra)

        try:
            req = cls.model_validate({**data, "keys_as_typed": typed})
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False, include_context=True)
            problems.extend(_translate(e, typed) for e in errors if e["type"] != "certificate_only")
        else:
            if not problems:
                return req
        raise InvalidRequest(_ordered(problems), _request_message(problems, data)) from None


def _given(data: Mapping[str, object], key: str) -> bool:
    value = data.get(FIELD_OF_KEY[key])
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _translate(error: Mapping[str, Any], typed: Mapping[str, str]) -> Problem:
    """Our own Problem for one pydantic error, from its ``loc`` and ``type`` only."""
    loc = error.get("loc") or ()
    field = loc[0] if loc and isinstance(loc[0], str) else ""
    key = KEY_OF_FIELD.get(field)
    code = str(error.get("type", ""))
    if key is None:
        return Problem(None, field, code, replies.bad_value(field or "?"))
    shown_key = typed.get(key, key)
    ctx = error.get("ctx") or {}
    return Problem(key, shown_key, code, _sentence(code, key, ctx, shown_key))


# Codes raised by TrunkRequest's validators, and what each says.
_SENTENCES: dict[str, Callable[[str], str]] = {
    "empty": replies.empty_value,
    "control_chars": replies.control_chars,
    "trunk_type": replies.bad_trunk_type,
    "password_empty": replies.password_empty,
    "password_forbidden": replies.password_forbidden,
    "password_whitespace": replies.password_whitespace,
    "port": replies.bad_port,
    "max_calls": replies.bad_max_calls,
    "max_calls_huge": replies.max_calls_huge,
    "yes_no": replies.bad_yes_no,
    "address": replies.bad_address,
    "domain": replies.bad_domain,
    "org": replies.bad_org,
    "pcharge": replies.bad_pcharge,
}
# A pydantic error of another type (a non-str from code, say) falls back to the field's rule.
_FIELD_SENTENCES: dict[str, Callable[[str], str]] = {
    "type": replies.bad_trunk_type,
    "port": replies.bad_port,
    "max-calls": replies.bad_max_calls,
    "dual-identity": replies.bad_yes_no,
    "address": replies.bad_address,
    "domain": replies.bad_domain,
    "org": replies.bad_org,
    "pcharge": replies.bad_pcharge,
}


def _sentence(code: str, key: str, ctx: Mapping[str, Any], shown_key: str | None = None) -> str:
    shown_key = shown_key or key
    if code == "missing" and key in ("name", "location"):
        return replies.missing_short(key)
    if code == "too_long":
        limit = ctx.get("limit")
        return replies.too_long(shown_key, limit if isinstance(limit, int) else 0)
    if code == "password_length":
        too_short = bool(ctx.get("too_short"))
        return replies.password_length(shown_key, PASSWORD_MIN, PASSWORD_MAX, too_short)
    if code == "certificate_only":
        keys = ctx.get("keys")
        return replies.certificate_only(list(keys) if isinstance(keys, list) else [shown_key])
    fn = _SENTENCES.get(code) or _FIELD_SENTENCES.get(key) or replies.bad_value
    return fn(shown_key)


def _ordered(problems: list[Problem]) -> list[Problem]:
    """Unknown and repeated keys first (as typed), then field problems in KEYS order."""
    rank = {k: i for i, k in enumerate(KEYS)}
    return sorted(problems, key=lambda p: -1 if p.key is None else rank.get(p.key, len(KEYS)))


def _request_message(problems: list[Problem], data: Mapping[str, object]) -> str:
    ordered = _ordered(problems)
    missing = [p.key for p in ordered if p.code == "missing" and p.key in ("name", "location")]
    if missing and len(missing) == len(ordered):
        name, location = data.get("name"), data.get("location")
        return replies.missing_required(
            [k for k in missing if k is not None],
            name.strip() if isinstance(name, str) else None,
            location.strip() if isinstance(location, str) else None,
        )
    sentences: list[str] = []
    for p in ordered:  # one multi-key problem (certificate_only) is one sentence
        if p.message not in sentences:
            sentences.append(p.message)
    return _summary(sentences)


# -- trunk types ----------------------------------------------------------------------------


def _devices_for(trunk_type: TrunkType, trunk_types: Sequence[TrunkTypeInfo]) -> list[DeviceType]:
    return [d for t in trunk_types if t.trunk_type is trunk_type for d in t.device_types]


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _device_listing(devices: Sequence[DeviceType]) -> str:
    return replies.device_types(
        [(d.device_type, d.min_concurrent_calls, d.max_concurrent_calls) for d in devices]
    )


def check_certificate(req: TrunkRequest, trunk_types: Sequence[TrunkTypeInfo]) -> DeviceType | None:
    """Check ``req`` against ``GET /trunkTypes``; return the device type to send, if any.

    For a certificate-based trunk: device, address, domain, port (unless the address is an
    SRV name) and max-calls are required, the device must be one Webex lists for
    CERTIFICATE_BASED, and max-calls must lie within its bounds. For a registering trunk:
    no certificate-only fields, and a device (optional) must be one listed for REGISTERING.
    Raises :class:`InvalidRequest` with every problem.
    """
    devices = _devices_for(req.trunk_type, trunk_types)
    certificate = req.certificate_based
    device_key = req.key_as_typed("device")
    problems: list[Problem] = []
    lead: str | None = None  # the combined "also needs …" sentence, first when present

    if certificate and not devices:
        msg = replies.no_device_types(device_key, certificate=True)
        raise InvalidRequest([Problem("type", req.key_as_typed("type"), "no_device_types", msg)])

    device: DeviceType | None = None
    if req.device_type is not None:
        wanted = _fold(req.device_type)
        device = next((d for d in devices if _fold(d.device_type) == wanted), None)
        if device is None and devices:
            msg = replies.unknown_device(
                req.device_type, certificate=certificate, devices=_device_listing(devices)
            )
            problems.append(Problem("device", device_key, "unknown_device", msg))
        elif device is None:
            msg = replies.no_device_types(device_key, certificate=False)
            problems.append(Problem("device", device_key, "no_device_types", msg))

    if certificate:
        missing = [
            k
            for k in ("device", "address", "domain", "port", "max-calls")
            if getattr(req, FIELD_OF_KEY[k]) is None
            and not (k == "port" and req.address is not None and is_srv_address(req.address))
        ]
        if missing:
            listing = _device_listing(devices) if "device" in missing else None
            lead = replies.certificate_needs(missing, listing)
            problems[:0] = [
                Problem(k, k, "certificate_needs", replies.certificate_needs_short(k))
                for k in missing
            ]
        if device is not None and req.max_calls is not None:
            low, high = device.min_concurrent_calls, device.max_concurrent_calls
            if (low is not None and req.max_calls < low) or (
                high is not None and req.max_calls > high
            ):
                key = req.key_as_typed("max-calls")
                msg = replies.max_calls_range(key, device.device_type, low, high)
                problems.append(Problem("max-calls", key, "max_calls_range", msg))
    else:
        extra = [k for k in CERTIFICATE_ONLY_KEYS if getattr(req, FIELD_OF_KEY[k]) is not None]
        if extra:
            msg = replies.certificate_only([req.key_as_typed(k) for k in extra])
            problems.extend(Problem(k, req.key_as_typed(k), "certificate_only", msg) for k in extra)

    if problems:
        sentences = [lead] if lead else []
        for p in problems:
            if p.code != "certificate_needs" and p.message not in sentences:
                sentences.append(p.message)
        raise InvalidRequest(problems, _summary(sentences))
    return device


# -- the API body ---------------------------------------------------------------------------


def to_create_body(
    req: TrunkRequest, *, location_id: str, password: SecretStr, device: DeviceType | None
) -> TrunkCreate:
    """The ``POST /premisePstn/trunks`` body for a checked request.

    ``device`` is what :func:`check_certificate` returned; ``password`` is the typed one or
    the one Webex generated. Unset optional fields are left out of the body.
    """
    if device is None and (req.device_type is not None or req.certificate_based):
        raise ValueError("to_create_body needs the device type from check_certificate")
    return TrunkCreate(
        name=req.name,
        location_id=location_id,
        password=password,
        trunk_type=req.trunk_type,
        dual_identity_support_enabled=req.dual_identity,
        device_type=device.device_type if device is not None else None,
        address=req.address,
        domain=req.domain,
        port=req.port,
        max_concurrent_calls=req.max_calls,
        p_charge_info_support_policy=req.p_charge,
    )
