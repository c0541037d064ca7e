"""visitor_export: everything about one visitor, nobody else's, as plain JSON."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group

from emotions.models import ClipStatus
from museum_site.core import services as core_services
from museum_site.privacy import services
from museum_site.privacy.services import EXPORT_FORMAT

NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def alice_data(visitor, outsider, exhibit, fossil, make_clip, make_reading):
    profile = visitor.visitor_profile
    services.consent_grant(profile=profile, keep_media=True, now=NOON - timedelta(days=1))
    visit = core_services.visit_start(visitor=profile, exhibit=exhibit, now=NOON)
    core_services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=90, now=NOON)
    core_services.visit_record_exhibit(visit=visit, exhibit=fossil, seconds=30, now=NOON)
    make_reading(exhibit=exhibit, visitor=profile, visit=visit, recorded_at=NOON, top="happy")
    clip = make_clip(visitor=profile, exhibit=fossil, keep_file=True, status=ClipStatus.DONE)
    make_reading(exhibit=fossil, visitor=profile, clip=clip, recorded_at=NOON, top="surprise")
    # Bob's data must never appear in Alice's export.
    bob = outsider.visitor_profile
    make_reading(exhibit=exhibit, visitor=bob, recorded_at=NOON, top="sad")
    make_clip(visitor=bob, exhibit=exhibit)
    return profile, visit, clip


def test_it_exports_the_account_profile_and_consents(visitor, alice_data):
    profile, _, _ = alice_data
    data = services.visitor_export(profile=profile)
    assert data["format"] == EXPORT_FORMAT
    assert data["account"]["username"] == "alice"
    assert data["account"]["email"] == "alice@example.com"
    assert data["profile"]["display_name"] == "Alice"
    assert data["profile"]["has_current_consent"] is True
    assert data["profile"]["keep_media"] is True
    assert [c["action"] for c in data["consents"]] == ["given"]
    assert len(data["consents"][0]["notice_sha256"]) == 64
    assert "password" not in json.dumps(data["account"])


def test_it_exports_visits_with_exhibits_and_dwell_time(alice_data, exhibit, fossil):
    profile, visit, _ = alice_data
    [exported] = services.visitor_export(profile=profile)["visits"]
    assert exported["id"] == visit.pk
    assert exported["started_at"] == NOON.isoformat().replace("+00:00", "Z")
    assert [(s["exhibit"], s["dwell_seconds"]) for s in exported["exhibits"]] == [
        (exhibit.slug, 90),
        (fossil.slug, 30),
    ]


def test_it_exports_readings_and_clip_metadata_but_no_video(alice_data, exhibit, fossil):
    profile, visit, clip = alice_data
    data = services.visitor_export(profile=profile)
    readings = data["emotion_readings"]
    assert {(r["exhibit"], r["label"], r["source"]) for r in readings} == {
        (exhibit.slug, "happy", "live"),
        (fossil.slug, "surprise", "clip"),
    }
    live = next(r for r in readings if r["source"] == "live")
    assert live["visit"] == visit.pk
    assert sum(live["probabilities"].values()) == pytest.approx(1.0)
    [exported_clip] = data["clips"]
    assert exported_clip["id"] == clip.pk
    assert exported_clip["original_name"] == "me-at-the-museum.mp4"
    assert exported_clip["video_stored"] is True
    assert exported_clip["status"] == ClipStatus.DONE
    assert "file" not in exported_clip


def test_it_is_plain_json(alice_data):
    profile, _, _ = alice_data
    data = services.visitor_export(profile=profile)
    assert json.loads(json.dumps(data)) == data


def test_it_finds_data_of_other_features_through_the_relations(visitor, staff, django_user_model):
    # The admin log points at users: a model the export has no explicit code for.
    from django.contrib.admin.models import ADDITION, LogEntry

    LogEntry.objects.log_actions(
        user_id=visitor.pk,
        queryset=Group.objects.filter(name="Curators"),
        action_flag=ADDITION,
        change_message="made by a test",
        single_object=True,
    )
    data = services.visitor_export(profile=visitor.visitor_profile)
    [entry] = data["other"]["admin.logentry"]
    assert entry["change_message"] == "made by a test"
    assert "user_id" not in entry  # the link to the visitor is the export itself


def test_it_hides_credentials_and_does_not_embed_files(visitor, exhibit):
    from museum_site.privacy.services import _export_row

    exhibit.image.name = "exhibits/2026/kiss.jpg"
    row = _export_row(exhibit, skip=())
    assert row["image"] == {"name": "kiss.jpg", "stored": True}
    user_row = _export_row(visitor, skip=())
    assert user_row["password"] == "(hidden)"
    assert user_row["groups"] == []


def test_it_exports_feedback_recommendations_partner_access_and_tokens(
    visitor, exhibit, fossil, staff
):
    from museum_site.api import services as api_services
    from museum_site.api.models import ApiScope
    from recommendations import services as recommendation_services

    profile = visitor.visitor_profile
    recommendation_services.feedback_rate(visitor=profile, exhibit=exhibit, rating=4)
    key, _ = api_services.api_key_create(name="City guide app", scopes=[ApiScope.VISITORS_READ])
    api_services.partner_grant_create(visitor=profile, partner_prefix=key.prefix)
    token, raw_token = api_services.visitor_token_create(user=visitor, name="my phone")

    data = services.visitor_export(profile=profile)
    [feedback] = data["recommendations"]["feedback"]
    assert (feedback["exhibit"], feedback["rating"], feedback["hidden"]) == (exhibit.slug, 4, False)
    current = data["recommendations"]["current"]
    assert isinstance(current, list)
    assert all(item["exhibit"] != exhibit.slug for item in current)  # rated: not recommended
    [grant] = data["partner_access"]
    assert grant["partner"] == "City guide app" and grant["revoked_at"] is None
    [exported_token] = data["api_tokens"]
    assert (exported_token["name"], exported_token["prefix"]) == ("my phone", token.prefix)
    dumped = json.dumps(data)
    assert token.key_hash not in dumped and raw_token not in dumped
    assert data["other"] == {}  # nothing known exported twice
