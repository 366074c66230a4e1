"""pytest fixtures over :mod:`webexfake.messaging` (the fake Webex cloud lives in ``webexfake``)."""
