"""The password vault keeps a typed password only as long as its card, and only so many."""

from __future__ import annotations

from pydantic import SecretStr

from bot.vault import PasswordVault


class Timer:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_password_lives_as_long_as_its_card() -> None:
    timer = Timer()
    vault = PasswordVault(timer=timer)
    vault.put("card", SecretStr("Typed#Secret1"), ttl=900)
    vault.put("approval", SecretStr("Typed#Secret2"), ttl=86_400)
    timer.now += 899
    assert vault.get("card") == SecretStr("Typed#Secret1")
    timer.now += 2
    assert vault.get("card") is None
    assert vault.pop("approval") == SecretStr("Typed#Secret2")
    assert vault.get("approval") is None


def test_the_vault_is_bounded_and_the_least_recently_used_go_first() -> None:
    timer = Timer()
    vault = PasswordVault(maxsize=2, timer=timer)
    vault.put("first", SecretStr("a-first-1"), ttl=1000)
    vault.put("second", SecretStr("a-second-1"), ttl=1000)
    assert vault.get("first") is not None  # used again: now the second is the oldest use
    vault.put("third", SecretStr("a-third-1"), ttl=1000)
    assert vault.get("second") is None
    assert vault.get("first") is not None
    assert vault.get("third") is not None
