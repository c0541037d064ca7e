"""visitor_erase: the account goes, readings stay only as anonymous hourly aggregates."""

from datetime import UTC, datetime

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from emotions.models import Clip, ClipStatus, EmotionReading
from museum_site.core import services as core_services
from museum_site.core.models import Visit, VisitorProfile
from museum_site.privacy import services
from museum_site.privacy.models import ConsentRecord

AT = datetime(2026, 5, 4, 12, 34, 56, 789000, tzinfo=UTC)


@pytest.fixture
def alice(visitor, exhibit, make_clip, make_reading, clip_storage):
    profile = visitor.visitor_profile
    services.consent_grant(profile=profile, keep_media=True)
    visit = core_services.visit_start(visitor=profile, exhibit=exhibit, now=AT)
    live = make_reading(exhibit=exhibit, visitor=profile, visit=visit, recorded_at=AT)
    kept = make_clip(visitor=profile, exhibit=exhibit, keep_file=True)
    waiting = make_clip(visitor=profile, exhibit=exhibit, status=ClipStatus.QUEUED)
    make_reading(exhibit=exhibit, visitor=profile, clip=kept, recorded_at=AT)
    AccessLog.objects.create(username="alice", ip_address="192.0.2.7", user_agent="phone")
    AccessAttempt.objects.create(
        username="alice", ip_address="192.0.2.7", user_agent="phone", failures_since_start=1
    )
    files = [clip_storage / kept.file.name, clip_storage / waiting.file.name]
    assert all(path.is_file() for path in files)
    return profile, live, files


def test_it_deletes_the_account_and_everything_linked_to_it(alice, visitor):
    profile, _, files = alice
    report = services.visitor_erase(profile=profile)
    assert report.username == "alice"
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not VisitorProfile.objects.filter(pk=profile.pk).exists()
    assert not Visit.objects.exists()
    assert not Clip.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert not AccessLog.objects.filter(username="alice").exists()
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert not any(path.exists() for path in files)
    assert report.clip_files_deleted == 2
    assert report.rows_deleted["emotions.Clip"] == 2
    assert report.rows_deleted["axes.AccessLog"] == 1


def test_it_anonymises_live_readings_irreversibly(alice):
    profile, live, _ = alice
    report = services.visitor_erase(profile=profile)
    assert report.readings_anonymised == 1
    # The clip's reading went with its clip; the live one stays, cut loose from the person.
    [kept] = EmotionReading.objects.all()
    assert kept.pk == live.pk
    assert kept.visitor_id is None and kept.visit_id is None
    assert kept.recorded_at == datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    assert kept.exhibit_id == live.exhibit_id
    assert kept.probabilities == live.probabilities


def test_it_leaves_other_visitors_alone(alice, outsider, exhibit, make_reading, make_clip):
    profile, _, _ = alice
    bob = outsider.visitor_profile
    reading = make_reading(exhibit=exhibit, visitor=bob, recorded_at=AT)
    clip = make_clip(visitor=bob, exhibit=exhibit)
    services.visitor_erase(profile=profile)
    reading.refresh_from_db()
    assert reading.visitor_id == bob.pk and reading.recorded_at == AT
    assert Clip.objects.get().pk == clip.pk
    assert clip.file.storage.exists(clip.file.name)


def test_it_refuses_to_erase_staff(staff):
    profile = core_services.visitor_profile_get_or_create(user=staff)
    with pytest.raises(ValidationError) as caught:
        services.visitor_erase(profile=profile)
    assert caught.value.code == "staff"
    assert get_user_model().objects.filter(pk=staff.pk).exists()


def test_it_closes_open_camera_sockets(alice, django_capture_on_commit_callbacks, monkeypatch):
    from emotions import services as emotion_services

    profile, _, _ = alice
    told = []
    monkeypatch.setattr(
        emotion_services, "live_notify_consent_withdrawn", lambda profile: told.append(profile.pk)
    )
    profile_id = profile.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.visitor_erase(profile=profile)
    assert told == [profile_id]


def test_it_anonymises_readings_however_the_profile_is_deleted(visitor, exhibit, make_reading):
    profile = visitor.visitor_profile
    reading = make_reading(exhibit=exhibit, visitor=profile, recorded_at=AT)
    profile.delete()  # e.g. the admin's "delete selected"
    reading.refresh_from_db()
    assert reading.visitor_id is None
    assert reading.recorded_at == datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def test_it_deletes_a_clips_video_however_the_clip_is_deleted(
    visitor, exhibit, make_clip, clip_storage, django_capture_on_commit_callbacks
):
    clip = make_clip(visitor=visitor.visitor_profile, exhibit=exhibit)
    path = clip_storage / clip.file.name
    with django_capture_on_commit_callbacks(execute=True):
        Clip.objects.filter(pk=clip.pk).delete()
    assert not path.exists()


def test_it_deletes_feedback_partner_grants_and_tokens(visitor, outsider, exhibit):
    from museum_site.api import services as api_services
    from museum_site.api.models import ApiKey, ApiScope, PartnerGrant, VisitorToken
    from recommendations import services as recommendation_services
    from recommendations.models import VisitorExhibitFeedback

    profile = visitor.visitor_profile
    recommendation_services.feedback_hide(visitor=profile, exhibit=exhibit)
    recommendation_services.feedback_rate(
        visitor=outsider.visitor_profile, exhibit=exhibit, rating=5
    )
    key, _ = api_services.api_key_create(name="City guide app", scopes=[ApiScope.VISITORS_READ])
    api_services.partner_grant_create(visitor=profile, partner_prefix=key.prefix)
    api_services.visitor_token_create(user=visitor, name="my phone")
    report = services.visitor_erase(profile=profile)
    assert not PartnerGrant.objects.exists()
    assert not VisitorToken.objects.exists()
    assert list(VisitorExhibitFeedback.objects.values_list("visitor", flat=True)) == [
        outsider.visitor_profile.pk
    ]
    assert ApiKey.objects.filter(pk=key.pk).exists()  # the partner's key is not the visitor's
    assert report.rows_deleted["api.PartnerGrant"] == 1


def test_it_leaves_no_row_of_any_model_pointing_at_the_visitor(alice, visitor):
    # Generic over every relation, so a feature added later is held to the same rule.
    profile, _, _ = alice
    owners = [(VisitorProfile, profile.pk), (get_user_model(), visitor.pk)]
    services.visitor_erase(profile=profile)
    for model, pk in owners:
        for relation in model._meta.related_objects:
            related = relation.related_model._base_manager
            assert not related.filter(**{relation.field.attname: pk}).exists(), relation
