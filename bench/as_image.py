"""`python -m bench.as_image run …`: `trunkbot` with only the image's packages importable.

The development venv holds more than the image (deploy/Dockerfile installs exactly
deploy/requirements.lock): test and lint tools and what they pull in. Some of it changes what
the bot loads — httpx imports its command-line client when ``rich`` and ``pygments`` are
there (~6 MiB) — so the bench would measure memory no deployment has. The bench passes, in
``TRUNKBOT_BENCH_HIDE``, the top-level modules of the distributions the lock doesn't name
(:func:`not_in_image`); here importing them fails as it would in the image, then the CLI runs.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import re
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType

HIDE = "TRUNKBOT_BENCH_HIDE"
LOCK = Path(__file__).resolve().parents[1] / "deploy" / "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==", re.MULTILINE)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def not_in_image(lock: Path = LOCK) -> set[str]:
    """Top-level modules installed here only by distributions the image's lock doesn't pin
    (a module a pinned distribution also provides stays importable); ours are never hidden."""
    pinned = {_normal(name) for name in _PIN.findall(lock.read_text(encoding="utf-8"))}
    pinned.add("trunkbot")
    hidden: set[str] = set()
    kept: set[str] = set()
    for module, dists in metadata.packages_distributions().items():
        (kept if any(_normal(d) in pinned for d in dists) else hidden).add(module)
    return hidden - kept


class _NotInImage(importlib.abc.MetaPathFinder):
    def __init__(self, hidden: set[str]) -> None:
        self._hidden = hidden

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in self._hidden:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not in the image)")
        return None


def main() -> None:
    hidden = {m for m in os.environ.get(HIDE, "").split(",") if m}
    sys.meta_path.insert(0, _NotInImage(hidden))
    from bot.cli import main as trunkbot

    sys.argv[0] = "trunkbot"
    raise SystemExit(trunkbot())


if __name__ == "__main__":
    main()
