"""The public pages: home, halls and exhibits, as anonymous visitors, visitors and staff."""

import pytest
from django.http import HttpResponse
from django.urls import include, path

from museum_site.core import services
from museum_site.urls import urlpatterns as site_urlpatterns


@pytest.fixture
def hidden(hall):
    return services.exhibit_create(
        title="Bronze in storage", hall=hall, description="Away for conservation.", active=False
    )


def test_it_shows_the_home_page_to_anonymous_visitors(client, exhibit, hall):
    response = client.get("/")
    assert response.status_code == 200
    assert hall.name in response.text
    assert exhibit.title in response.text
    assert 'href="/accounts/login/"' in response.text
    assert "static/vendor/pico/pico.min.css" in response.text


def test_it_shows_the_visitor_their_links_but_not_admin(client, visitor):
    client.force_login(visitor)
    response = client.get("/")
    assert 'href="/me/"' in response.text
    assert 'href="/admin/"' not in response.text
    assert "Sign out" in response.text


def test_it_links_staff_to_the_admin(client, curator):
    client.force_login(curator)
    assert 'href="/admin/"' in client.get("/").text


def test_it_lists_halls_with_exhibit_counts(client, exhibit, hidden, hall):
    response = client.get("/halls/")
    assert response.status_code == 200
    assert hall.name in response.text
    assert "1 exhibit " in response.text


def test_it_shows_a_hall_and_its_active_exhibits(client, exhibit, hidden, hall):
    response = client.get(hall.get_absolute_url())
    assert response.status_code == 200
    assert exhibit.title in response.text
    assert hidden.title not in response.text


def test_it_answers_404_for_an_unknown_hall(client, db):
    response = client.get("/halls/no-such-hall/")
    assert response.status_code == 404
    assert "We could not find that page" in response.text


def test_it_lists_active_exhibits(client, exhibit, fossil, hidden):
    response = client.get("/exhibits/")
    assert response.status_code == 200
    assert exhibit.title in response.text
    assert fossil.title in response.text
    assert hidden.title not in response.text
    assert "2 exhibits." in response.text


def test_it_filters_exhibits_by_hall_tag_and_search(client, exhibit, fossil, other_hall):
    by_hall = client.get("/exhibits/", {"hall": other_hall.slug})
    by_tag = client.get("/exhibits/", {"tag": "bronze"})
    by_text = client.get("/exhibits/", {"q": "ammonite"})
    assert list(by_hall.context["page"]) == [fossil]
    assert list(by_tag.context["page"]) == [exhibit]
    assert list(by_text.context["page"]) == [fossil]
    assert "Clear filters" in by_text.text


def test_it_ignores_unknown_filters_instead_of_failing(client, exhibit, fossil):
    response = client.get("/exhibits/", {"hall": "no-such-hall", "page": "x"})
    assert response.status_code == 200
    assert len(response.context["page"]) == 2


def test_it_paginates_exhibits_and_keeps_the_filters(client, hall):
    for number in range(13):
        services.exhibit_create(
            title=f"Study {number:02d}", hall=hall, description="A study.", tags=["study"]
        )
    first = client.get("/exhibits/", {"tag": "study"})
    assert len(first.context["page"]) == 12
    assert 'href="?tag=study&amp;page=2"' in first.text

    second = client.get("/exhibits/", {"tag": "study", "page": 2})
    assert [exhibit.title for exhibit in second.context["page"]] == ["Study 12"]


def test_it_lists_exhibits_in_a_fixed_number_of_queries(
    client, hall, django_assert_max_num_queries
):
    for number in range(12):
        services.exhibit_create(
            title=f"Study {number}", hall=hall, description="A study.", tags=["a", "b"]
        )
    with django_assert_max_num_queries(6):
        client.get("/exhibits/")


def test_it_shows_an_exhibit_at_its_stable_url(client, exhibit):
    response = client.get("/exhibits/the-kiss-of-the-wind/")
    assert response.status_code == 200
    assert exhibit.title in response.text
    assert exhibit.description in response.text
    assert "Auguste Delmas, 1902" in response.text
    assert 'href="/exhibits/?tag=bronze"' in response.text
    assert "/e/the-kiss-of-the-wind/" in response.text


def test_it_redirects_the_short_qr_address_to_the_exhibit(client, exhibit):
    response = client.get("/e/the-kiss-of-the-wind/")
    assert response.status_code == 302
    assert response["Location"] == "/exhibits/the-kiss-of-the-wind/"


def test_it_answers_404_for_unknown_exhibits(client, db):
    assert client.get("/exhibits/nothing-here/").status_code == 404
    assert client.get("/e/nothing-here/").status_code == 404


def test_it_hides_inactive_exhibits_from_visitors(client, visitor, hidden):
    assert client.get(hidden.get_absolute_url()).status_code == 404
    client.force_login(visitor)
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_it_lets_staff_preview_inactive_exhibits(client, curator, hidden):
    client.force_login(curator)
    response = client.get(hidden.get_absolute_url())
    assert response.status_code == 200
    assert "staff preview" in response.text


def test_it_links_to_the_routed_camera_page(client, exhibit):
    # The camera is routed now (emotions.urls); an unrouted name is covered in test_templatetags.
    response = client.get(exhibit.get_absolute_url())
    assert 'href="/exhibits/the-kiss-of-the-wind/camera/"' in response.text


def _camera(request, slug):
    return HttpResponse(slug)


camera_routes = ([path("exhibits/<slug:slug>/camera/", _camera, name="camera")], "emotions")
urlpatterns = [path("", include(camera_routes)), *site_urlpatterns]


@pytest.mark.urls(__name__)
def test_it_links_to_the_camera_once_it_is_routed(client, exhibit):
    response = client.get(exhibit.get_absolute_url())
    assert 'href="/exhibits/the-kiss-of-the-wind/camera/"' in response.text
    assert "Open the camera" in response.text


def test_it_refuses_other_methods_on_read_only_pages(client, exhibit):
    assert client.post("/exhibits/").status_code == 405
    assert client.post(exhibit.get_absolute_url()).status_code == 405
