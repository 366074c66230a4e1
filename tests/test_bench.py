"""`make bench` keeps running: a tiny run of it (no figures are judged here, only that it
runs and creates what it says; the benchmark itself is run on demand)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--n", "4", "--latency", "0", "--samples", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "4/4 created" in run.stdout
    assert "ratio (thread pool / ours)" in run.stdout
