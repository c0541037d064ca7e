"""Local days: the reports cut time into the museum's days (settings.TIME_ZONE)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings


def report_time_zone() -> zoneinfo.ZoneInfo:
    """The zone days are cut in: the museum's local time."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Aware datetimes ``[start of first, start of the day after last)`` in local time."""
    tz = report_time_zone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    return start, end
