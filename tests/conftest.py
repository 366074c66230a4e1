"""Suite-wide setup: the fake Webex fixtures, the secret scan, and hypothesis profiles.

Hypothesis profiles (``HYPOTHESIS_PROFILE``, default ``default``):

* ``default`` — what ``make test`` runs: 200 examples per property test, no deadline;
* ``long`` — 100,000 examples per property test, on demand::

      HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_fuzz.py

  (tests that pin ``max_examples`` themselves keep their own number).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.fake_webex.plugin", "tests.secret_scan"]

settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile(
    "long",
    max_examples=100_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
