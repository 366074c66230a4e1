"""Screenshots of the cards as Microsoft's renderer draws them, for the docs.

.venv/bin/python -m tests.cards                 # docs/card-form.png
.venv/bin/python -m tests.cards --all OUT_DIR   # every sample card, one PNG each
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot import replies
from tests.cards import CardBrowser, missing
from tests.cards.samples import CERTIFICATE_VALUES, every_card, form

ROOT = Path(__file__).resolve().parents[2]


def docs_form() -> dict[str, object]:
    """The form in the README: a certificate-based trunk with one problem at its field."""
    return form(
        values=CERTIFICATE_VALUES,
        errors={"max-calls": replies.max_calls_range("max-calls", "Oracle ACME SBC", 10, 1000)},
    )


async def _main(args: argparse.Namespace) -> int:
    async with CardBrowser() as browser:
        if args.all:
            for name, card in every_card().items():
                path = await browser.screenshot(card, Path(args.all) / f"{name}.png")
                print(path)
            return 0
        print(await browser.screenshot(docs_form(), args.out))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cards", description=__doc__)
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "card-form.png"))
    parser.add_argument("--all", metavar="OUT_DIR", help="screenshot every sample card")
    args = parser.parse_args()
    reason = missing()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
