"""The visitor's pages: recommendations, next-visit plan, visits & emotions, feedback."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from recommendations import services
from recommendations.models import VisitorExhibitFeedback
from tests.recommendations.conftest import probs

PAGES = ["/me/recommendations/", "/me/plan/", "/me/emotions/"]


def recent(days: float = 1):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def alices_history(visitor, gallery, see):
    alice = visitor.visitor_profile
    see(alice, gallery["kiss"], 240, at=recent(2), readings=[probs(surprise=0.7)] * 3)
    see(alice, gallery["ammonite"], 45, at=recent(1), readings=[probs()] * 3)
    services.feedback_rate(visitor=alice, exhibit=gallery["kiss"], rating=5)
    services.recommender_rebuild()
    return alice


def assert_csp_clean(html: str) -> None:
    """No inline code or styles: the site runs under default-src 'self'."""
    assert ' style="' not in html
    assert not re.search(r"\son[a-z]+=", html)
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        if "src=" in attributes:
            assert not body.strip()


@pytest.mark.parametrize("url", PAGES)
def test_it_sends_anonymous_visitors_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_it_sends_anonymous_feedback_to_sign_in(client, exhibit):
    response = client.post(f"/me/feedback/{exhibit.slug}/", {"action": "hide"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not VisitorExhibitFeedback.objects.exists()


def test_it_shows_recommendations_with_reasons(client, visitor, alices_history, gallery):
    client.force_login(visitor)
    response = client.get("/me/recommendations/")

    assert response.status_code == 200
    html = response.text
    assert "Recommended for you" in html
    assert "Marble Muse" in html
    assert "Shares the tag <strong>symbolism</strong> with" in html
    assert 'href="/exhibits/the-kiss-of-the-wind/"' in html
    assert "which you rated 5 out of 5" in html
    assert "The Kiss of the Wind</a></h2>" not in html  # seen: never recommended
    assert "We do not know your taste yet" not in html
    assert_csp_clean(html)


def test_it_tells_a_newcomer_why_they_see_popular_exhibits(client, make_visitor, alices_history):
    client.force_login(make_visitor("erin"))
    html = client.get("/me/recommendations/").text
    assert "We do not know your taste yet" in html
    assert "Popular with visitors this month (1 visitor)." in html


def test_it_plans_the_next_visit_by_hall(client, visitor, alices_history, gallery):
    client.force_login(visitor)
    response = client.get("/me/plan/")
    assert response.status_code == 200
    html = response.text
    halls = [gallery["kiss"].hall.name, gallery["ammonite"].hall.name, "Science and Invention"]
    positions = [html.index(f">{name}</a></h2>") for name in halls]
    assert positions == sorted(positions)
    assert "Lower level 1" in html
    assert "The Kiss of the Wind</strong>" not in html
    assert_csp_clean(html)


def test_it_shows_visits_with_emotions_chart_and_rating_forms(
    client, visitor, alices_history, gallery
):
    client.force_login(visitor)
    response = client.get("/me/emotions/")
    assert response.status_code == 200
    html = response.text
    assert "My visits and emotions" in html
    assert "surprise +" in html and "points</strong> above your usual" in html
    assert '<canvas id="responses-chart" data-chart="responses-data"' in html
    assert '<script id="responses-data" type="application/json">' in html
    chart = response.context["chart"]
    assert chart["labels"][0] == "The Kiss of the Wind" and chart["values"][0] > 0
    assert 'action="/me/feedback/the-kiss-of-the-wind/"' in html
    assert '<option value="5" selected>' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert '<svg class="emotion-strip"' in html
    assert_csp_clean(html)


def test_it_never_shows_one_visitor_anothers_history(
    client, visitor, outsider, alices_history, gallery
):
    client.force_login(outsider)
    emotions = client.get("/me/emotions/").text
    assert "No visits yet" in emotions
    assert "The Kiss of the Wind" not in emotions
    assert "responses-data" not in emotions
    recommendations = client.get("/me/recommendations/").text
    assert "which you rated" not in recommendations
    assert "We do not know your taste yet" in recommendations
    # Bob's feedback form can only ever change Bob's own rows.
    client.post("/me/feedback/the-kiss-of-the-wind/", {"action": "clear"})
    assert VisitorExhibitFeedback.objects.get(visitor=alices_history).rating == 5


def test_it_rates_and_returns_to_the_page_it_came_from(client, visitor, exhibit):
    client.force_login(visitor)
    response = client.post(
        f"/me/feedback/{exhibit.slug}/",
        {"action": "rate", "rating": "4", "next": "/me/emotions/?page=2"},
    )
    assert response.status_code == 302 and response["Location"] == "/me/emotions/?page=2"
    assert VisitorExhibitFeedback.objects.get().rating == 4
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["You rated The Kiss of the Wind 4 out of 5."]


def test_it_hides_and_shows_again_from_the_recommendations(
    client, visitor, alices_history, gallery
):
    client.force_login(visitor)
    muse = gallery["Marble Muse"]
    client.post(f"/me/feedback/{muse.slug}/", {"action": "hide", "next": "/me/recommendations/"})
    html = client.get("/me/recommendations/").text
    assert "Exhibits you asked us not to recommend" in html
    assert f"Not for me: never recommend {muse.title}" not in html
    assert "Show again" in html

    client.post(f"/me/feedback/{muse.slug}/", {"action": "unhide"})
    assert not VisitorExhibitFeedback.objects.filter(exhibit=muse).exists()


@pytest.mark.parametrize(
    "data",
    [{"action": "rate"}, {"action": "rate", "rating": "9"}, {"action": "delete"}, {}],
)
def test_it_changes_nothing_on_a_bad_request_and_says_why(client, visitor, exhibit, data):
    client.force_login(visitor)
    response = client.post(
        f"/me/feedback/{exhibit.slug}/", {**data, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/me/recommendations/"  # never off-site
    assert not VisitorExhibitFeedback.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert len(messages) == 1 and messages[0].startswith("Nothing was changed:")


def test_it_refuses_feedback_without_csrf_token_get_or_unknown_exhibit(visitor, exhibit):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(visitor)
    assert strict.post(f"/me/feedback/{exhibit.slug}/", {"action": "hide"}).status_code == 403
    assert strict.get(f"/me/feedback/{exhibit.slug}/").status_code == 405
    assert not VisitorExhibitFeedback.objects.exists()
    client = Client()
    client.force_login(visitor)
    assert client.post("/me/feedback/no-such-thing/", {"action": "hide"}).status_code == 404


def test_it_explains_an_empty_diary_and_missing_consent(client, make_visitor):
    client.force_login(make_visitor("erin", consent=False))
    html = client.get("/me/emotions/").text
    assert "No emotion readings yet" in html and "agree to the camera notice" in html
    assert "chart.umd.min.js" not in html


def test_it_links_the_pages_from_the_nav_and_the_visitors_home(client, visitor):
    client.force_login(visitor)
    html = client.get("/me/").text
    for url in PAGES:
        assert f'href="{url}"' in html
    assert 'href="/me/recommendations/" aria-current="page"' in client.get(PAGES[0]).text
