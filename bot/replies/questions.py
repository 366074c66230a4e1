"""The bot's questions when a request matches several things (bot/followup.py)."""

from __future__ import annotations

from bot.markdown import esc

__all__ = [
    "not_a_choice",
    "which_one",
]

# --- questions (bot.followup) --------------------------------------------------------------


def which_one(question: str, labels: list[str]) -> str:
    """The bot's question with its choices numbered; the next message answers it."""
    numbered = "\n".join(f"{n}. {esc(label)}" for n, label in enumerate(labels, start=1))
    return f"{question}\n{numbered}\nAnswer with the number or the name."


def not_a_choice(answer: str, count: int) -> str:
    return (
        f"“{esc(answer[:40])}” isn't one of the choices: answer with a number from 1 to "
        f"{count} or a name, or send a new command."
    )
