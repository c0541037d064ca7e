from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command

from emotions.models import EmotionReading

NOW = datetime(2027, 3, 1, 3, 17, tzinfo=UTC)


def test_it_purges_and_prints_counts(visitor, exhibit, make_reading, make_clip, settings):
    settings.READINGS_RETENTION_DAYS = 365
    settings.CLIPS_RETENTION_DAYS = 30
    profile = visitor.visitor_profile
    make_reading(exhibit=exhibit, visitor=profile, recorded_at=NOW - timedelta(days=366))
    make_reading(exhibit=exhibit, visitor=profile, recorded_at=NOW - timedelta(days=1))
    make_clip(visitor=profile, exhibit=exhibit, keep_file=True, created_at=NOW - timedelta(days=31))
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge_expired", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Retention: readings 365 days, clips 30 days"
    assert "readings deleted: 1" in lines
    assert "clip videos deleted: 1" in lines
    assert "clips deleted: 0" in lines
    assert EmotionReading.objects.count() == 1


def test_it_changes_nothing_in_a_dry_run(visitor, exhibit, make_reading):
    make_reading(exhibit=exhibit, recorded_at=NOW - timedelta(days=400))
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge_expired", "--dry-run", stdout=out)
    assert "(dry run: nothing is deleted)" in out.getvalue()
    assert "readings to delete: 1" in out.getvalue()
    assert EmotionReading.objects.count() == 1
