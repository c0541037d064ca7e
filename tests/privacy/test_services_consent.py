"""consent_grant / consent_revoke: history, the notice hash, stopping analysis at once."""

from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError

from emotions.models import Clip, ClipStatus
from museum_site.privacy import selectors, services
from museum_site.privacy.models import ConsentAction, ConsentRecord

NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def newcomer(make_visitor):
    return make_visitor("erin", consent=False).visitor_profile


def test_it_records_consent_with_the_notice_agreed_to(newcomer, settings):
    notice = selectors.consent_notice()
    record = services.consent_grant(
        profile=newcomer, keep_media=True, notice_sha256=notice.sha256, now=NOON
    )
    newcomer.refresh_from_db()
    assert newcomer.has_current_consent()
    assert newcomer.keep_media is True
    assert newcomer.consent_given_at == NOON
    assert (record.action, record.version, record.keep_media, record.recorded_at) == (
        ConsentAction.GIVEN,
        settings.CURRENT_CONSENT_VERSION,
        True,
        NOON,
    )
    assert record.notice_sha256 == notice.sha256


def test_it_refuses_consent_to_a_notice_that_changed_meanwhile(newcomer, settings):
    shown = selectors.consent_notice().sha256
    settings.READINGS_RETENTION_DAYS += 1  # the text now names another period
    with pytest.raises(ValidationError) as caught:
        services.consent_grant(profile=newcomer, notice_sha256=shown)
    assert caught.value.code == "notice_changed"
    newcomer.refresh_from_db()
    assert not newcomer.has_current_consent()
    assert not ConsentRecord.objects.exists()


def test_it_keeps_a_history_that_is_only_appended_to(newcomer):
    services.consent_grant(profile=newcomer, keep_media=True, now=NOON)
    services.consent_revoke(profile=newcomer, now=NOON.replace(hour=13))
    services.consent_grant(profile=newcomer, now=NOON.replace(hour=14))
    history = list(selectors.consent_history_for(profile=newcomer))
    assert [(r.action, r.keep_media, r.recorded_at.hour) for r in history] == [
        (ConsentAction.GIVEN, True, 12),
        (ConsentAction.WITHDRAWN, False, 13),
        (ConsentAction.GIVEN, False, 14),
    ]
    assert history[1].version == history[0].version


def test_it_withdraws_consent_and_the_keep_clips_choice(visitor):
    profile = visitor.visitor_profile
    services.consent_grant(profile=profile, keep_media=True)
    services.consent_revoke(profile=profile, now=NOON)
    profile.refresh_from_db()
    assert not profile.has_current_consent()
    assert profile.consent_withdrawn_at == NOON
    assert profile.keep_media is False


def test_it_tells_open_camera_sockets_to_stop(visitor, django_capture_on_commit_callbacks):
    profile = visitor.visitor_profile
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"visitor-{profile.pk}", channel)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.consent_revoke(profile=profile)
    assert len(callbacks) == 1  # after commit, never for a withdrawal that rolled back
    assert async_to_sync(layer.receive)(channel) == {"type": "consent.withdrawn"}
    async_to_sync(layer.group_discard)(f"visitor-{profile.pk}", channel)


def test_it_logs_rather_than_fails_when_the_channel_layer_is_down(visitor, monkeypatch, caplog):
    from emotions import services as emotion_services

    def broken(**kwargs):
        raise ConnectionError("redis is away")

    monkeypatch.setattr(emotion_services, "live_notify_consent_withdrawn", broken)
    services.live_stop(profile_id=visitor.visitor_profile.pk)
    assert "Could not notify the camera sockets" in caplog.text


def test_it_cancels_clips_not_analysed_yet(visitor, exhibit, make_clip):
    profile = visitor.visitor_profile
    queued = make_clip(visitor=profile, exhibit=exhibit, status=ClipStatus.QUEUED)
    running = make_clip(visitor=profile, exhibit=exhibit, status=ClipStatus.PROCESSING)
    done = make_clip(visitor=profile, exhibit=exhibit, status=ClipStatus.DONE, with_file=False)
    services.consent_revoke(profile=profile, now=NOON)
    for clip in (queued, running):
        clip.refresh_from_db()
        assert clip.status == ClipStatus.FAILED
        assert clip.error == "Cancelled: you withdrew your consent."
        assert clip.finished_at == NOON
        # Without its lease the worker still analysing it drops its results.
        assert clip.lease_token is None and clip.heartbeat_at is None
        assert not clip.file
    done.refresh_from_db()
    assert done.status == ClipStatus.DONE


def test_it_deletes_kept_videos_on_withdrawal(visitor, exhibit, make_clip, clip_storage):
    profile = visitor.visitor_profile
    kept = make_clip(visitor=profile, exhibit=exhibit, keep_file=True)
    path = clip_storage / kept.file.name
    assert path.is_file()
    services.consent_revoke(profile=profile)
    kept.refresh_from_db()
    assert not path.exists()
    assert not kept.file
    assert kept.keep_file is False


def test_it_deletes_kept_videos_when_keeping_is_turned_off(
    visitor, outsider, exhibit, make_clip, clip_storage
):
    profile = visitor.visitor_profile
    services.consent_grant(profile=profile, keep_media=True)
    kept = make_clip(visitor=profile, exhibit=exhibit, keep_file=True)
    waiting = make_clip(visitor=profile, exhibit=exhibit, status=ClipStatus.QUEUED)
    others = make_clip(visitor=outsider.visitor_profile, exhibit=exhibit, keep_file=True)
    services.consent_grant(profile=profile, keep_media=False)
    assert not (clip_storage / kept.file.name).exists()
    kept.refresh_from_db()
    assert (kept.file.name, kept.keep_file) == ("", False)
    # A clip waiting for analysis keeps its video until the analysis is done with it.
    assert (clip_storage / waiting.file.name).is_file()
    assert (clip_storage / others.file.name).is_file()
    assert Clip.objects.get(pk=others.pk).keep_file is True


def test_it_keeps_kept_videos_when_consent_is_confirmed(visitor, exhibit, make_clip, clip_storage):
    profile = visitor.visitor_profile
    services.consent_grant(profile=profile, keep_media=True)
    kept = make_clip(visitor=profile, exhibit=exhibit, keep_file=True)
    services.consent_grant(profile=profile, keep_media=True)
    assert (clip_storage / kept.file.name).is_file()


def test_it_asks_again_for_a_new_notice_version(visitor, settings):
    profile = visitor.visitor_profile
    assert profile.has_current_consent()
    settings.CURRENT_CONSENT_VERSION += 1
    assert not profile.has_current_consent()
