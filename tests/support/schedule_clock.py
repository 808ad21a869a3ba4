"""Imported by the consumers the schedule test starts (``python -m backend.worker --import
schedule_clock``): the report schedules' clock reads REACHBOARD_TEST_NOW (UTC, ISO 8601) instead of
the real time, so every process of the test agrees on a frozen "now"."""
from __future__ import annotations

import datetime as dt
import os

from backend.services import report_schedules

_FROZEN = os.environ.get("REACHBOARD_TEST_NOW")
if _FROZEN:
    _AT = dt.datetime.fromisoformat(_FROZEN)
    report_schedules._clock["now"] = lambda: _AT
