"""Redaction happens at the handler: no token or password survives into a log line."""

from __future__ import annotations

import io
import json
import logging
import math

import pytest

from bot import logs

TOKEN = "NmQ2ZTk4YWEtZmFrZS10b2tlbi1mb3ItdGVzdHM"
PASSWORD = "Gen3rated*Pw99"


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RedactingFilter())
    handler.setFormatter(logs.TextFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("test.redaction")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logs.SECRETS.add(PASSWORD)
    return logger, stream


@pytest.mark.parametrize(
    ("message", "args"),
    [
        ("headers=%s", ({"Authorization": f"Bearer {TOKEN}"},)),
        ("sending Authorization: Bearer %s", (TOKEN,)),
        ("attachment_actions: %s", ({"inputs": {"password": "Typed!Pw1"}},)),
        ("body %s", ('{"name": "x", "password": "Typed!Pw1"}',)),
        ("generated %s", ({"exampleSipPassword": "Abc123xyz#"},)),
        (
            "refresh %s",
            ("grant_type=refresh_token&refresh_token=RTOKEN123456&client_secret=SEC1234",),
        ),
        ("known secret anywhere: %s", (f"xx{PASSWORD}yy",)),
    ],
    ids=[
        "auth-header-dict",
        "bearer-text",
        "card-inputs",
        "json-body",
        "generated",
        "form",
        "registry",
    ],
)
def test_library_style_log_lines_are_scrubbed(
    captured: tuple[logging.Logger, io.StringIO], message: str, args: tuple[object, ...]
) -> None:
    """Whatever a library logs, tokens and passwords come out as [redacted]."""
    logger, stream = captured
    logger.info(message, *args)
    out = stream.getvalue()
    for secret in (TOKEN, PASSWORD, "Typed!Pw1", "Abc123xyz#", "RTOKEN123456", "SEC1234"):
        assert secret not in out
    assert "[redacted]" in out


def test_extra_fields_and_tracebacks_are_scrubbed(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    """Structured fields and exception text go through the same filter."""
    logger, stream = captured
    try:
        int(f"bad password={PASSWORD}")
    except ValueError:
        logger.exception("failed", extra={"detail": f"Bearer {TOKEN}"})
    out = stream.getvalue()
    assert PASSWORD not in out
    assert TOKEN not in out
    assert "ValueError" in out


def test_json_format_is_one_object_per_line() -> None:
    """TRUNKBOT_LOG_FORMAT=json gives one JSON object per record, with the event name."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RedactingFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("test.json")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.warning("trunk.created", extra={"trunk_id": "T1", "recovered": False})
    doc = json.loads(stream.getvalue())
    assert doc["event"] == "trunk.created"
    assert doc["trunk_id"] == "T1"
    assert doc["recovered"] is False


def test_passwords_expire_from_the_registry_but_credentials_stay() -> None:
    """A password is scrubbed for its ttl, then forgotten; a credential never is."""
    clock = [1000.0]
    registry = logs.SecretRegistry(timer=lambda: clock[0])
    registry.add("Pw-expiring-123", ttl=60)
    registry.add("credential-forever-456")
    assert registry.scrub("Pw-expiring-123 credential-forever-456") == "[redacted] [redacted]"
    clock[0] += 61
    assert registry.scrub("Pw-expiring-123 credential-forever-456") == "Pw-expiring-123 [redacted]"
    assert registry.snapshot() == {"credential-forever-456": math.inf}


def test_a_password_seen_again_keeps_its_later_expiry_and_snapshots_restore() -> None:
    clock = [0.0]
    registry = logs.SecretRegistry(timer=lambda: clock[0])
    registry.add("Pw-twice-1234", ttl=100)
    clock[0] = 50.0
    registry.add("Pw-twice-1234", ttl=10)  # a shorter ttl never shortens what is there
    saved = registry.snapshot()
    assert saved == {"Pw-twice-1234": 100.0}
    clock[0] = 99.0
    assert registry.scrub("Pw-twice-1234") == "[redacted]"
    clock[0] = 101.0
    assert registry.scrub("Pw-twice-1234") == "Pw-twice-1234"
    clock[0] = 0.0
    registry.restore(saved)
    assert registry.scrub("Pw-twice-1234") == "[redacted]"


def test_the_registry_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_VALUES the soonest-expiring passwords go first, never a credential."""
    monkeypatch.setattr(logs, "MAX_VALUES", 3)
    registry = logs.SecretRegistry()
    registry.add("credential-1")
    for i in range(5):
        registry.add(f"password-{i}", ttl=100 + i)
    text = " ".join(["credential-1"] + [f"password-{i}" for i in range(5)])
    assert (
        registry.scrub(text) == "[redacted] password-0 password-1 password-2 [redacted] [redacted]"
    )


def test_many_values_are_scrubbed_as_one_value_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past INDEX_FROM values the registry looks values up by their first characters first;
    every string comes out as the value-by-value loop (a registry without the index, the
    same values) leaves it: nested, overlapping and adjacent values, a value at either end,
    one that only appears once another is replaced ("[redacted]" itself), short strings,
    and strings with none."""
    values = [f"pw-{i:04d}-Zq" for i in range(logs.INDEX_FROM + 40)]
    values += ["abcdefgh", "xabcd", "efghij", "defg", "acted]", "Zq-x", "ü-Pässwort-€"]
    registry, one_at_a_time = logs.SecretRegistry(), logs.SecretRegistry()
    for value in values:
        registry.add(value, ttl=3600)
        one_at_a_time.add(value, ttl=3600)
    registry.scrub("")  # its values, indexed
    with monkeypatch.context() as patch:
        patch.setattr(logs, "INDEX_FROM", 10**9)
        one_at_a_time.scrub("")  # the same values, not indexed
    texts = [
        "",
        "abc",
        "nothing secret here at all, just a log line about a trunk",
        "xabcdefghij",
        "abcdefghefghij",
        "pw-0007-Zqpw-0008-Zq pw-0299-Zq-x",
        "start pw-0001-Zq middle abcdefgh end ü-Pässwort-€",
        "pw-0042-Z not quite",
        "[redacted] was already there: defg",
        "Zq-xabcdefg",
        "password=hunter22 and pw-0003-Zq",
    ]
    for text in texts:
        assert registry.scrub(text) == one_at_a_time.scrub(text), text
    assert registry.scrub("xabcdefghij") != "xabcdefghij"
    assert "pw-0001-Zq" not in registry.scrub("start pw-0001-Zq middle")


def test_many_values_lose_the_expired_ones() -> None:
    clock = [0.0]
    registry = logs.SecretRegistry(timer=lambda: clock[0])
    for i in range(logs.INDEX_FROM + 1):
        registry.add(f"Pw-short-{i:04d}", ttl=10)
    registry.add("Pw-long-lived-1", ttl=100)
    assert registry.scrub("Pw-short-0005 Pw-long-lived-1") == "[redacted] [redacted]"
    clock[0] = 11.0
    assert registry.scrub("Pw-short-0005 Pw-long-lived-1") == "Pw-short-0005 [redacted]"
