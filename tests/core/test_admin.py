"""The admin: every core model for staff, read-only access for curators, nothing for visitors."""

from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from museum_site.core import services
from museum_site.core.models import Exhibit, Hall, Tag, Visit, VisitExhibit, VisitorProfile

NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
CORE_MODELS = [Hall, Tag, Exhibit, VisitorProfile, Visit, VisitExhibit]


@pytest.fixture
def collection(visitor, exhibit):
    """One of everything, so that change pages and list columns have rows to render."""
    visit = services.visit_start(visitor=visitor.visitor_profile, exhibit=exhibit, now=NOON)
    services.visit_record_exhibit(visit=visit, exhibit=exhibit, seconds=30, now=NOON)
    return {
        Hall: exhibit.hall,
        Tag: exhibit.tags.first(),
        Exhibit: exhibit,
        VisitorProfile: visitor.visitor_profile,
        Visit: visit,
        VisitExhibit: visit.visit_exhibits.get(),
    }


def _url(model, view, *args):
    return reverse(f"admin:core_{model._meta.model_name}_{view}", args=args)


def test_it_registers_every_core_model():
    for model in CORE_MODELS:
        assert admin.site.is_registered(model), model


def test_it_titles_the_admin(client, staff):
    client.force_login(staff)
    assert "Museum emotion platform" in client.get("/admin/").text


@pytest.mark.parametrize("model", CORE_MODELS, ids=lambda model: model.__name__)
def test_it_loads_the_list_add_and_change_pages_for_staff(client, staff, collection, model):
    client.force_login(staff)
    obj = collection[model]
    assert client.get(_url(model, "changelist")).status_code == 200
    assert client.get(_url(model, "changelist"), {"q": "kiss"}).status_code == 200
    assert client.get(_url(model, "add")).status_code == 200
    assert client.get(_url(model, "change", obj.pk)).status_code == 200


def test_it_shows_visit_exhibits_inline_on_a_visit(client, staff, collection):
    client.force_login(staff)
    response = client.get(_url(Visit, "change", collection[Visit].pk))
    assert "visit_exhibits-TOTAL_FORMS" in response.text


def test_it_autocompletes_halls_for_exhibits(client, staff, hall):
    client.force_login(staff)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "core", "model_name": "exhibit", "field_name": "hall", "term": "sculp"},
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["text"] == hall.name


def test_it_hides_exhibits_with_an_admin_action(client, staff, exhibit):
    client.force_login(staff)
    response = client.post(
        _url(Exhibit, "changelist"),
        {"action": "make_inactive", "_selected_action": [exhibit.pk]},
    )
    assert response.status_code == 302
    exhibit.refresh_from_db()
    assert not exhibit.active


@pytest.mark.parametrize("model", CORE_MODELS, ids=lambda model: model.__name__)
def test_it_lets_curators_view_core_models(client, curator, collection, model):
    client.force_login(curator)
    assert client.get(_url(model, "changelist")).status_code == 200
    change = client.get(_url(model, "change", collection[model].pk))
    assert change.status_code == 200
    assert 'name="_save"' not in change.text


@pytest.mark.parametrize("model", CORE_MODELS, ids=lambda model: model.__name__)
def test_it_stops_curators_from_adding_or_changing(client, curator, collection, model):
    client.force_login(curator)
    assert client.get(_url(model, "add")).status_code == 403
    assert client.post(_url(model, "change", collection[model].pk), {}).status_code == 403
    assert (
        client.post(_url(model, "delete", collection[model].pk), {"post": "yes"}).status_code == 403
    )


@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/user/add/", "/admin/auth/group/"]
)
def test_it_keeps_curators_away_from_users_and_groups(client, curator, url):
    client.force_login(curator)
    assert client.get(url).status_code == 403


def test_it_stops_curators_from_editing_a_user(client, curator, visitor):
    client.force_login(curator)
    response = client.post(f"/admin/auth/user/{visitor.pk}/change/", {"is_staff": "on"})
    assert response.status_code == 403
    visitor.refresh_from_db()
    assert not visitor.is_staff


def test_it_sends_visitors_to_the_admin_login(client, visitor):
    client.force_login(visitor)
    response = client.get("/admin/core/exhibit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
