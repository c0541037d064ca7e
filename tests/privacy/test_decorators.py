import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from museum_site.privacy.decorators import consent_required
from museum_site.privacy.services import consent_revoke


@consent_required
def camera_page(request, slug):
    return HttpResponse(f"camera for {slug}")


def call(user):
    request = RequestFactory().get("/exhibits/kiss/camera/?fps=5")
    request.user = user
    return camera_page(request, slug="kiss")


def test_it_lets_visitors_with_current_consent_in(visitor):
    assert call(visitor).content == b"camera for kiss"


@pytest.mark.parametrize("change", ["withdrawn", "new_version", "never"])
def test_it_sends_everyone_else_to_the_notice_and_back(visitor, make_visitor, settings, change):
    user = visitor
    if change == "withdrawn":
        consent_revoke(profile=visitor.visitor_profile)
    elif change == "new_version":
        settings.CURRENT_CONSENT_VERSION += 1
    else:
        user = make_visitor("erin", consent=False)
    response = call(user)
    assert response.status_code == 302
    assert response["Location"] == "/consent/?next=%2Fexhibits%2Fkiss%2Fcamera%2F%3Ffps%3D5"


def test_it_asks_anonymous_visitors_to_sign_in(db):
    response = call(AnonymousUser())
    assert response["Location"].startswith("/accounts/login/?next=")
