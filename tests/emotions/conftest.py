"""Fixtures shared by the live-camera tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def patient_frame_wait(settings) -> None:
    """Frames wait up to 5 s for a model thread instead of the production 60 ms.

    On a busy test machine (seen with a training run beside the tests) a frame can wait
    longer than 60 ms for a model thread and be answered "skipped" (load shedding): right for
    a server, a flake for a test about something else. The load-shedding test sets its own
    limit.
    """
    settings.LIVE_MAX_FRAME_WAIT_MS = 5000
