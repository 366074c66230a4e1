"""`bench.bulk` at a tiny size, so it can't rot: both loops finish every row once (no
duplicate, none lost) against a rate-limited sandbox that did throttle. No figure is judged."""

from __future__ import annotations

import pytest

from bench import bulk as bench_bulk
from commands.bulk import run


async def test_the_bulk_benchmark_runs_with_no_duplicate_and_none_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run, "TIMING", run.Timing(progress_every=0.5))
    ours, loop = await bench_bulk.compare(rows=10, per_second=12, latency=0.0)
    for result in (ours, loop):
        assert result.rows == 10
        assert (result.duplicates, result.lost) == (0, 0)
        assert result.accepted >= 10 * 3  # password, create, details for every row
    assert ours.throttled > 0  # the limit was reached, so the 429 path ran
    line = ours.line(12)
    assert "0 duplicates" in line
    assert "0 lost" in line
