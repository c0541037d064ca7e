"""Staff run export and erasure for a visitor from the admin."""

import json

from django.contrib.auth import get_user_model

from museum_site.privacy.models import ConsentRecord
from museum_site.privacy.services import consent_grant

CHANGELIST = "/admin/core/visitorprofile/"


def act(client, action, *profiles, **extra):
    data = {"action": action, "_selected_action": [p.pk for p in profiles], **extra}
    return client.post(CHANGELIST, data)


def test_it_downloads_one_visitors_data(client, staff, visitor):
    client.force_login(staff)
    response = act(client, "export_visitor_data", visitor.visitor_profile)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="museum-data-alice-')
    assert json.loads(response.content)["account"]["username"] == "alice"


def test_it_downloads_several_visitors_data_in_one_file(client, staff, visitor, outsider):
    client.force_login(staff)
    response = act(client, "export_visitor_data", visitor.visitor_profile, outsider.visitor_profile)
    bundle = json.loads(response.content)
    assert sorted(v["account"]["username"] for v in bundle["visitors"]) == ["alice", "bob"]


def test_it_asks_before_erasing_then_erases(client, staff, visitor, outsider):
    client.force_login(staff)
    response = act(client, "erase_visitor_data", visitor.visitor_profile)
    assert response.status_code == 200
    assert "cannot be undone" in response.text
    assert get_user_model().objects.filter(username="alice").exists()

    response = act(client, "erase_visitor_data", visitor.visitor_profile, post="yes")
    assert response.status_code == 302
    assert not get_user_model().objects.filter(username="alice").exists()
    assert get_user_model().objects.filter(username="bob").exists()


def test_it_does_not_erase_staff_from_the_admin(client, staff, curator):
    from museum_site.core.services import visitor_profile_get_or_create

    client.force_login(staff)
    profile = visitor_profile_get_or_create(user=curator)
    page = act(client, "erase_visitor_data", profile).text
    assert "Staff accounts are not erased here" in page
    act(client, "erase_visitor_data", profile, post="yes")
    assert get_user_model().objects.filter(pk=curator.pk).exists()


def test_curators_can_neither_export_nor_erase(client, curator, visitor):
    client.force_login(curator)
    page = client.get(CHANGELIST).text
    assert "export_visitor_data" not in page and "erase_visitor_data" not in page
    response = act(client, "export_visitor_data", visitor.visitor_profile)
    assert "attachment" not in response.get("Content-Disposition", "")
    act(client, "erase_visitor_data", visitor.visitor_profile, post="yes")
    assert get_user_model().objects.filter(pk=visitor.pk).exists()


def test_it_shows_the_consent_history_read_only(client, staff, visitor):
    consent_grant(profile=visitor.visitor_profile, keep_media=True)
    client.force_login(staff)
    page = client.get(f"{CHANGELIST}{visitor.visitor_profile.pk}/change/").text
    assert "Consent records" in page
    record = ConsentRecord.objects.get()
    assert record.notice_sha256 in page
    assert client.get(f"/admin/privacy/consentrecord/{record.pk}/change/").status_code == 200
    assert client.get("/admin/privacy/consentrecord/add/").status_code == 403


def test_staff_cannot_set_a_visitors_consent(client, staff, make_visitor):
    erin = make_visitor("erin", consent=False)
    client.force_login(staff)
    url = f"{CHANGELIST}{erin.visitor_profile.pk}/change/"
    client.post(
        url,
        {
            "user": erin.pk,
            "display_name": "Erin",
            "consent_version": "2",
            "consent_given_at_0": "2026-05-04",
            "consent_given_at_1": "12:00:00",
            "keep_media": "on",
            "preferences": "{}",
            "consent_records-TOTAL_FORMS": "0",
            "consent_records-INITIAL_FORMS": "0",
        },
    )
    erin.visitor_profile.refresh_from_db()
    assert erin.visitor_profile.display_name == "Erin"  # the form was saved ...
    assert erin.visitor_profile.consent_version is None  # ... without the consent fields
    assert erin.visitor_profile.keep_media is False
