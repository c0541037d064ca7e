"""purge_expired: retention with a frozen clock."""

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from emotions.models import Clip, ClipStatus, EmotionReading
from museum_site.privacy import services

NOW = datetime(2027, 3, 1, 3, 17, tzinfo=UTC)


@pytest.fixture(autouse=True)
def retention(settings):
    settings.READINGS_RETENTION_DAYS = 365
    settings.CLIPS_RETENTION_DAYS = 30


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_it_deletes_readings_past_their_retention(visitor, exhibit, make_reading):
    profile = visitor.visitor_profile
    old = make_reading(exhibit=exhibit, visitor=profile, recorded_at=days_ago(365.01))
    anonymous_old = make_reading(exhibit=exhibit, recorded_at=days_ago(400))
    young = make_reading(exhibit=exhibit, visitor=profile, recorded_at=days_ago(364.99))
    with time_machine.travel(NOW, tick=False):
        report = services.purge_expired()
    assert report.readings_deleted == 2
    assert list(EmotionReading.objects.values_list("pk", flat=True)) == [young.pk]
    assert not EmotionReading.objects.filter(pk__in=[old.pk, anonymous_old.pk]).exists()


def test_it_deletes_clip_videos_past_their_retention_even_kept_ones(
    visitor, exhibit, make_clip, clip_storage
):
    profile = visitor.visitor_profile
    old_kept = make_clip(visitor=profile, exhibit=exhibit, keep_file=True, created_at=days_ago(31))
    young_kept = make_clip(
        visitor=profile, exhibit=exhibit, keep_file=True, created_at=days_ago(29)
    )
    with time_machine.travel(NOW, tick=False):
        report = services.purge_expired()
    assert report.clip_files_deleted == 1
    assert not (clip_storage / old_kept.file.name).exists()
    assert (clip_storage / young_kept.file.name).is_file()
    old_kept.refresh_from_db()
    # The row and its readings stay: they follow the readings' retention.
    assert (old_kept.file.name, old_kept.keep_file, old_kept.status) == ("", False, "done")


def test_it_deletes_clip_rows_with_their_readings_after_the_readings_retention(
    visitor, exhibit, make_clip, make_reading
):
    profile = visitor.visitor_profile
    old = make_clip(visitor=profile, exhibit=exhibit, with_file=False, created_at=days_ago(366))
    make_reading(exhibit=exhibit, visitor=profile, clip=old, recorded_at=days_ago(364))
    kept = make_clip(visitor=profile, exhibit=exhibit, with_file=False, created_at=days_ago(300))
    with time_machine.travel(NOW, tick=False):
        report = services.purge_expired()
    assert report.clips_deleted == 1
    assert report.readings_deleted == 1
    assert list(Clip.objects.values_list("pk", flat=True)) == [kept.pk]


def test_it_fails_clips_never_analysed_within_the_retention(
    visitor, exhibit, make_clip, clip_storage
):
    stuck = make_clip(
        visitor=visitor.visitor_profile,
        exhibit=exhibit,
        status=ClipStatus.QUEUED,
        created_at=days_ago(45),
    )
    with time_machine.travel(NOW, tick=False):
        report = services.purge_expired()
    stuck.refresh_from_db()
    assert report.clips_expired_unanalysed == 1
    assert stuck.status == ClipStatus.FAILED
    assert not stuck.file
    assert not any(clip_storage.rglob("*.mp4"))


def test_it_sweeps_clip_files_no_row_knows_of(visitor, exhibit, make_clip, clip_storage):
    clip = make_clip(visitor=visitor.visitor_profile, exhibit=exhibit, created_at=days_ago(1))
    (clip_storage / "2027" / "02").mkdir(parents=True)
    orphan = clip_storage / "2027" / "02" / "left-behind.mp4"
    fresh = clip_storage / "2027" / "02" / "upload-in-progress.mp4"
    for path, age in ((orphan, 3), (fresh, 0.1)):
        path.write_bytes(b"video")
        stamp = days_ago(age).timestamp()
        os.utime(path, (stamp, stamp))
    with time_machine.travel(NOW, tick=False):
        report = services.purge_expired()
    assert report.orphan_files_deleted == 1
    assert not orphan.exists()
    assert fresh.exists()
    assert (clip_storage / clip.file.name).exists()


def test_it_only_counts_in_a_dry_run(visitor, exhibit, make_clip, make_reading, clip_storage):
    profile = visitor.visitor_profile
    make_reading(exhibit=exhibit, visitor=profile, recorded_at=days_ago(400))
    clip = make_clip(visitor=profile, exhibit=exhibit, keep_file=True, created_at=days_ago(40))
    with time_machine.travel(NOW, tick=False):
        report = services.purge_expired(dry_run=True)
    assert (report.readings_deleted, report.clip_files_deleted) == (1, 1)
    assert EmotionReading.objects.count() == 1
    assert (clip_storage / clip.file.name).is_file()


def test_it_follows_the_retention_settings(visitor, exhibit, make_reading, settings):
    settings.READINGS_RETENTION_DAYS = 7
    make_reading(exhibit=exhibit, visitor=visitor.visitor_profile, recorded_at=days_ago(8))
    with time_machine.travel(NOW, tick=False):
        assert services.purge_expired().readings_deleted == 1
