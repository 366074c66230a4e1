"""`python -m bot` is `trunkbot`."""

from bot.cli import main

raise SystemExit(main())
