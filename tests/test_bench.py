"""`make bench` keeps running: a tiny run of it (no figures are judged here, only that it
runs, creates what it says and loses nothing; the benchmark itself is run on demand)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs() -> None:
    """The in-process figures, then end to end: `trunkbot run` and a plain webex_bot bot as
    processes on the websocket against the TLS fake, 3 creates at once, nothing lost."""
    # The bulk scenario has its own smoke run (tests/test_bench_bulk.py): skipped here.
    tiny = ("--n", "4", "--latency", "0", "--samples", "5", "--k", "3", "--bulk-rows", "0")
    run = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench", *tiny],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # a loaded 2-CPU machine: the bench's own waits are generous too
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "4/4 created" in run.stdout
    assert "ratio (thread pool / ours)" in run.stdout
    assert "bot-side overhead per command" in run.stdout
    for label in ("trunkbot", "webex_bot"):
        line = re.search(rf"{label} +wall .*", run.stdout)
        assert line is not None, run.stdout
        assert "lost 0/3   created 3/3" in line.group(0), run.stdout
    # The recorder saw each create's calling requests, e.g. exactly one trunk POST each.
    assert re.search(r"1\.00  POST /v1/telephony/config/premisePstn/trunks\n", run.stdout)


def test_the_bench_runs_trunkbot_with_only_the_images_packages() -> None:
    """bench.as_image hides what the development venv has beyond deploy/requirements.lock
    (pytest, here) and keeps what the lock pins (httpx, h11) and our own packages."""
    from bench.as_image import not_in_image

    hidden = not_in_image()
    assert "pytest" in hidden
    assert not hidden & {"httpx", "h11", "webex_bot", "pydantic", "bot", "commands"}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; from bench import as_image; "
            "sys.meta_path.insert(0, as_image._NotInImage({'pytest'})); "
            "import httpx\n"
            "try:\n    import pytest\nexcept ModuleNotFoundError as e:\n    print('hidden:', e)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.stdout.strip() == "hidden: No module named 'pytest' (not in the image)", probe
