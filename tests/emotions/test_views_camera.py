"""The camera page: who gets it, what it carries for camera.js, and the exhibit page's link."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from emotions.consumers import CameraConsumer
from museum_site.core import services as core_services

pytestmark = pytest.mark.django_db


def camera_url(exhibit) -> str:
    return reverse("emotions:camera", kwargs={"slug": exhibit.slug})


def test_it_has_a_stable_address_under_the_exhibit(exhibit) -> None:
    assert camera_url(exhibit) == f"/exhibits/{exhibit.slug}/camera/"


def test_it_sends_anonymous_visitors_to_sign_in(client, exhibit) -> None:
    response = client.get(camera_url(exhibit))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={camera_url(exhibit)}"


@pytest.mark.parametrize("state", ["never", "withdrawn"])
def test_it_sends_visitors_without_consent_to_the_consent_page(
    client, make_visitor, exhibit, state
) -> None:
    user = make_visitor("erin", consent=state == "withdrawn")
    if state == "withdrawn":
        core_services.consent_withdraw(profile=user.visitor_profile)
    client.force_login(user)
    response = client.get(camera_url(exhibit))
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{reverse('core:consent')}?next=%2Fexhibits%2F{exhibit.slug}%2Fcamera%2F"
    )
    # Agreeing on the consent page leads back to the camera.
    response = client.post(response["Location"], {"action": "give", "agree": "on"})
    assert response["Location"] == camera_url(exhibit)
    assert client.get(camera_url(exhibit)).status_code == 200


def test_it_shows_the_camera_page_to_a_consenting_visitor(client, visitor, exhibit) -> None:
    client.force_login(visitor)
    response = client.get(camera_url(exhibit))
    assert response.status_code == 200
    html = response.content.decode()
    assert exhibit.title in html
    assert f'data-ws-path="/ws/exhibits/{exhibit.slug}/camera/"' in html
    assert 'data-fps="5"' in html and 'data-frame-width="320"' in html
    assert f'data-max-frame-bytes="{CameraConsumer.max_frame_bytes}"' in html
    assert re.search(r"<video[^>]*\bplaysinline\b", html)
    assert 'id="camera-status"' in html and 'id="camera-stop"' in html
    assert html.count('<progress max="1" value="0"') == 7
    assert reverse("core:consent") in html  # The notice summary links to withdrawal.
    assert "/static/emotions/camera.js" in html


def test_it_has_no_inline_script_or_style(client, visitor, exhibit) -> None:
    """The site's CSP is ``default-src 'self'``: inline code or styles would be blocked."""
    client.force_login(visitor)
    html = client.get(camera_url(exhibit)).content.decode()
    for script in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        attributes, body = script
        assert "src=" in attributes and not body.strip()
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_it_is_404_for_unknown_or_inactive_exhibits(client, visitor, exhibit) -> None:
    client.force_login(visitor)
    assert client.get("/exhibits/nothing-here/camera/").status_code == 404
    exhibit.active = False
    exhibit.save()
    assert client.get(camera_url(exhibit)).status_code == 404


def test_it_refuses_other_methods(client, visitor, exhibit) -> None:
    client.force_login(visitor)
    assert client.post(camera_url(exhibit)).status_code == 405


def test_the_exhibit_page_links_to_the_camera(client, exhibit) -> None:
    html = client.get(exhibit.get_absolute_url()).content.decode()
    assert f'href="{camera_url(exhibit)}"' in html


def test_the_short_qr_address_leads_to_the_page_with_the_camera_link(client, exhibit) -> None:
    response = client.get(exhibit.get_short_url(), follow=True)
    assert f'href="{camera_url(exhibit)}"' in response.content.decode()
