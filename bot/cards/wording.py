"""Every sentence of the cards. (bot/replies.py holds the chat sentences; these belong to the
card layout.)"""

from __future__ import annotations

from bot.markdown import one_line
from bot.validation import NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
from bot.webex.models import DeviceType

FORM_TITLE = "Create a Webex Calling trunk"
FORM_GROUP_NOTE = (
    "Webex generates the trunk's password. Passwords are never shown in a group space."
)
LABEL_NAME = "Trunk name"
LABEL_LOCATION = "Location"
LABEL_LOCATION_TYPED = "Location (its name or ID)"
LABEL_TYPE = "Trunk type"
LABEL_DEVICE = "Device type"
LABEL_ADDRESS = "SBC address (a DNS name, or an SRV name such as _sips._tcp.example.com)"
LABEL_DOMAIN = "Domain (verified in Webex)"
LABEL_PORT = "Port (1–65535; leave it empty for an SRV address)"
LABEL_DUAL_IDENTITY = "Dual identity"
TITLE_DUAL_IDENTITY = "Dual identity support (how Webex sets From and PAI on outbound calls)"
LABEL_PASSWORD = "Password (leave it empty and Webex generates one)"  # noqa: S105 - wording
FORM_DIRECT_NOTE = (
    "Webex keeps whatever is typed into a card, and this field shows what you type, so a "
    "generated password is safer: leave it empty and I show you Webex's, here only."
)
PLACEHOLDER_NAME = "e.g. lon-lgw-1"
PLACEHOLDER_LOCATION = "Choose a calling location"
PLACEHOLDER_LOCATION_TYPED = "e.g. London HQ"
PLACEHOLDER_DEVICE = "Choose a device type"
PLACEHOLDER_ADDRESS = "sbc1.example.com"
PLACEHOLDER_DOMAIN = "example.com"
PLACEHOLDER_PORT = "5061"
PLACEHOLDER_PASSWORD = "Leave empty: Webex generates one"  # noqa: S105 - wording
CHOICE_REGISTERING = "Registering (a Cisco CUBE local gateway)"
CHOICE_CERTIFICATE = "Certificate-based (an SBC: CUBE, Oracle ACME, AudioCodes, Ribbon)"
HEADING_CERTIFICATE = "Certificate-based settings"
NO_CERTIFICATE_DEVICES = (
    "Webex lists no device types for certificate-based trunks in this organization."
)
ERROR_NAME = f"Give the trunk a name: one line, at most {NAME_MAX} characters."
ERROR_LOCATION = "Choose the location of the trunk."
ERROR_ADDRESS = (
    "Give the SBC's DNS name (sbc1.example.com) or an SRV name (_sips._tcp.example.com); "
    "not an IP address."
)
ERROR_DOMAIN = "Give a domain such as example.com."
ERROR_PORT = "A port is a number from 1 to 65535."
ERROR_PASSWORD = (
    f"A password has {PASSWORD_MIN} to {PASSWORD_MAX} characters, no spaces, no ? and no !."
)
BUTTON_REVIEW = "Review"
BUTTON_MORE = "Certificate-based settings"
BUTTON_CANCEL = "Cancel"
BUTTON_CREATE = "Create"
BUTTON_APPROVE = "Approve"
BUTTON_REJECT = "Reject"
CONFIRM_TITLE = "Create this trunk?"
PASSWORD_LABEL = "Password (shown only here)"  # noqa: S105 - wording
APPROVAL_TITLE = "Approve a new trunk?"
FALLBACK_FORM = (
    "This Webex app can't show the form. Type instead: "
    'create trunk name=<name> location="<location>"'
)
FALLBACK_ACTIONS = "Open this message in a Webex app that shows cards to answer it."


def _max_calls_label(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"Max concurrent calls ({low}–{high}, by device type)"
    if high is not None:
        return f"Max concurrent calls (up to {high}, by device type)"
    return "Max concurrent calls (limits depend on the device type)"


def _max_calls_error(low: int, high: int | None) -> str:
    if high is None:
        return f"Give a number, at least {low}."
    return f"Give a number from {low} to {high}."


def _device_title(device: DeviceType) -> str:
    low, high = device.min_concurrent_calls, device.max_concurrent_calls
    name = one_line(device.device_type)
    if low is not None and high is not None:
        return f"{name} ({low}–{high} calls)"
    if high is not None:
        return f"{name} (up to {high} calls)"
    if low is not None:
        return f"{name} (at least {low} calls)"
    return name


def _requested_by(requester: str) -> str:
    return f"Requested by {requester}."


def _approval_text(requester: str, expires: str) -> str:
    return f"{requester} asks to create this trunk. The request expires {expires}."
