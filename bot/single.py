"""One process per SQLite file: `trunkbot run` and `trunkbot serve` hold a lock beside it.

SQLite is the zero-setup store for one process. Two bots on one file would each answer
every message they receive and race each other's maintenance; several replicas need
PostgreSQL, where every "once" decision is one atomic statement. The lock is an exclusive
``flock`` on ``<database>.lock``, released when the process ends (however it ends).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from bot.errors import ConfigError


def another_process(database: Path) -> str:
    return (
        f"Another Trunkbot is already running on the SQLite database {database}: SQLite serves "
        "one process. Stop the other one, or give this one its own TRUNKBOT_DATABASE_URL — "
        "several replicas share a PostgreSQL database (postgresql://…)."
    )


def hold_sqlite(database: Path) -> IO[bytes]:
    """Take the database's lock for this process; ConfigError when another holds it."""
    from bot.store.sqlite import prepare_path

    prepare_path(database)  # the state directory 0700 and the file 0600, as the store makes them
    lock = database.with_name(database.name + ".lock")
    handle = os.fdopen(os.open(lock, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600), "ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ConfigError(another_process(database)) from None
    os.set_inheritable(handle.fileno(), False)
    return handle
