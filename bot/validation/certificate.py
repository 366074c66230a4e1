"""Checks that need ``GET /trunkTypes``: the device type, its max-calls bounds, and the
fields a certificate-based trunk needs (or a registering one refuses)."""

from __future__ import annotations

from collections.abc import Sequence

from bot import replies
from bot.sentence import Sentence
from bot.validation.problems import InvalidRequest, Problem, summary
from bot.validation.request import TrunkRequest
from bot.validation.rules import CERTIFICATE_ONLY_KEYS, FIELD_OF_KEY, is_srv_address
from bot.webex.models import DeviceType, TrunkType, TrunkTypeInfo


def devices_for(trunk_type: TrunkType, trunk_types: Sequence[TrunkTypeInfo]) -> list[DeviceType]:
    return [d for t in trunk_types if t.trunk_type is trunk_type for d in t.device_types]


def fold_name(name: str) -> str:
    """A name as Webex compares it: any case, runs of spaces as one."""
    return " ".join(name.split()).casefold()


def find_device(name: str, devices: Sequence[DeviceType]) -> DeviceType | None:
    """The device type ``name`` names (:func:`fold_name`), if it is one of ``devices``."""
    wanted = fold_name(name)
    return next((d for d in devices if fold_name(d.device_type) == wanted), None)


def _device_listing(devices: Sequence[DeviceType]) -> Sentence:
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
    devices = devices_for(req.trunk_type, trunk_types)
    certificate = req.certificate_based
    device_key = req.key_as_typed("device")
    problems: list[Problem] = []
    lead: Sentence | None = None  # the combined "also needs …" sentence, first when present

    if certificate and not devices:
        msg = replies.no_device_types(device_key, certificate=True)
        raise InvalidRequest([Problem("type", req.key_as_typed("type"), "no_device_types", msg)])

    device: DeviceType | None = None
    if req.device_type is not None:
        device = find_device(req.device_type, devices)
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
        raise InvalidRequest(problems, summary(sentences))
    return device
