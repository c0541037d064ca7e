"""``manage.py load_demo``: the demo museum, its accounts, and rerunning it."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from museum_site.core import demo_data
from museum_site.core.models import Exhibit, Hall, Tag, Visit, VisitExhibit


def _load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "halls": Hall.objects.count(),
        "exhibits": Exhibit.objects.count(),
        "tags": Tag.objects.count(),
        "users": get_user_model().objects.count(),
        "visits": Visit.objects.count(),
        "stops": VisitExhibit.objects.count(),
    }


def test_it_creates_a_believable_museum(db):
    output = _load()

    assert Hall.objects.count() >= 4
    assert Exhibit.objects.filter(active=True).count() >= 30
    for exhibit in Exhibit.objects.prefetch_related("tags"):
        assert len(exhibit.description) > 80, exhibit
        assert exhibit.tags.count() >= 2, exhibit
    assert Exhibit.objects.values("hall").distinct().count() == Hall.objects.count()
    assert "Demo museum ready" in output


def test_it_creates_demo_accounts_and_prints_their_credentials(db):
    output = _load()
    users = get_user_model().objects

    admin = users.get(username=demo_data.CURATOR_ADMIN)
    assert admin.is_staff and admin.is_superuser
    curator = users.get(username=demo_data.CURATOR)
    assert curator.is_staff and not curator.is_superuser
    assert curator.has_perm("core.view_reports")

    visitors = users.filter(username__startswith="demo-visitor-")
    assert 3 <= visitors.count() <= 5
    for visitor in visitors:
        assert visitor.visitor_profile.has_current_consent()
        assert visitor.visitor_profile.visits.filter(ended_at__isnull=False).exists()
        assert not visitor.is_staff

    for user in users.all():
        assert user.check_password(demo_data.DEMO_PASSWORD)
        assert user.username in output
    assert demo_data.DEMO_PASSWORD in output


def test_it_is_idempotent_and_restores_the_demo_state(db):
    _load()
    before = _counts()
    curator = get_user_model().objects.get(username=demo_data.CURATOR)
    curator.set_password("changed-by-someone")
    curator.save()
    Exhibit.objects.filter(slug="foucault-pendulum").update(title="Renamed", active=False)

    _load()

    assert _counts() == before
    curator.refresh_from_db()
    assert curator.check_password(demo_data.DEMO_PASSWORD)
    pendulum = Exhibit.objects.get(slug="foucault-pendulum")
    assert (pendulum.title, pendulum.active) == ("Foucault Pendulum", True)


def test_it_loads_only_into_an_empty_museum_when_asked(db, exhibit):
    output = _load("--if-empty")
    assert "was not loaded" in output
    assert Exhibit.objects.count() == 1
    assert not get_user_model().objects.filter(username=demo_data.CURATOR_ADMIN).exists()


def test_it_refuses_to_run_in_production_mode(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        _load()
    assert not Exhibit.objects.exists()
    _load("--allow-production")
    assert Exhibit.objects.exists()
