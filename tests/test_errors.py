"""The error tree in bot/errors.py's docstring is complete: every BotError subclass defined
in bot/ and commands/ stands in it, under the class it derives from."""

from __future__ import annotations

import importlib
import pkgutil
import re

import bot
import commands
from bot import errors
from bot.errors import BotError

# A line of the tree: its drawing ("│   ├── "), then the class name.
_NODE = re.compile(r"^(?P<lead>[ │]*)(?:[├└]── )?(?P<name>[A-Z][A-Za-z]+)\b")


def _documented() -> dict[str, str | None]:
    """Each class of the docstring's tree → its parent there (None for the root)."""
    doc = errors.__doc__ or ""
    lines = doc[doc.index("    BotError\n") :].split("\n\n", 1)[0].splitlines()
    parents: dict[str, str | None] = {}
    stack: list[str] = []  # the chain of ancestors of the current depth
    for line in lines:
        m = _NODE.match(line)
        assert m, f"not a tree line: {line!r}"
        depth = (len(m.group("lead")) - 4) // 4 + (1 if "──" in line else 0)
        del stack[depth:]
        parents[m.group("name")] = stack[-1] if stack else None
        stack.append(m.group("name"))
    return parents


def _subclasses(cls: type) -> list[type]:
    out: list[type] = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def test_every_bot_error_subclass_is_in_the_tree_under_its_parent() -> None:
    for package in (bot, commands):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    ours = [
        c
        for c in _subclasses(BotError)
        if c.__module__.split(".")[0] in {"bot", "commands"} and not c.__name__.startswith("_")
    ]
    assert len(ours) > 30  # the walk found them
    documented = _documented()
    assert documented["BotError"] is None
    missing = [c.__name__ for c in ours if c.__name__ not in documented]
    assert not missing, f"add these to the tree in bot/errors.py: {missing}"
    for cls in ours:
        parent = next(b for b in cls.__bases__ if issubclass(b, BotError))
        assert documented[cls.__name__] == parent.__name__, cls.__name__
