"""From ``key=value`` fields to a validated trunk request, and from that to the API body.

:mod:`~bot.validation.rules` (limits, keys, patterns), :mod:`~bot.validation.problems`
(our codes → sentences), :mod:`~bot.validation.request` (TrunkRequest, the API body) over
:mod:`~bot.validation.field_checks` (what each field accepts),
:mod:`~bot.validation.certificate` (the checks that need ``GET /trunkTypes``).

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

from bot.validation.certificate import check_certificate, devices_for, find_device, fold_name
from bot.validation.problems import InvalidRequest, Problem, password_problem
from bot.validation.request import TrunkRequest, to_create_body
from bot.validation.rules import (
    CERTIFICATE_ONLY_KEYS,
    DEVICE_MAX,
    DOMAIN_LABEL,
    FIELD_OF_KEY,
    HOST_LABEL,
    HOST_MAX,
    KEY_OF_FIELD,
    LOCATION_MAX,
    NAME_MAX,
    ORG_MAX,
    PASSWORD_FORBIDDEN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    ROUTE_GROUP_MAX,
    YES_WORDS,
    is_srv_address,
    parse_trunk_type,
)

__all__ = [
    "CERTIFICATE_ONLY_KEYS",
    "DEVICE_MAX",
    "DOMAIN_LABEL",
    "FIELD_OF_KEY",
    "HOST_LABEL",
    "HOST_MAX",
    "KEY_OF_FIELD",
    "LOCATION_MAX",
    "NAME_MAX",
    "ORG_MAX",
    "PASSWORD_FORBIDDEN",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "ROUTE_GROUP_MAX",
    "YES_WORDS",
    "InvalidRequest",
    "Problem",
    "TrunkRequest",
    "check_certificate",
    "devices_for",
    "find_device",
    "fold_name",
    "is_srv_address",
    "parse_trunk_type",
    "password_problem",
    "to_create_body",
]
