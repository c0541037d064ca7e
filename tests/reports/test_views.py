"""The report pages: who may see them, what they show, their filters and CSV exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse
from django.urls import reverse

from ml import EMOTIONS
from museum_site.reports.exports import COLUMNS
from museum_site.reports.models import RollupState
from tests.reports.conftest import D1, D8

RANGE = {"date_from": D1.isoformat(), "date_to": D8.isoformat()}


def report_urls(world) -> list[str]:
    return [
        reverse("reports:overview"),
        reverse("reports:exhibits"),
        reverse("reports:trends"),
        reverse("reports:hall", args=[world.exhibit.hall.slug]),
        reverse("reports:exhibit", args=[world.exhibit.slug]),
    ]


def rows_of(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


# --- Who may see the reports ------------------------------------------------------------


def test_it_sends_anonymous_users_to_the_admin_sign_in(client, world):
    for url in report_urls(world):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_it_refuses_visitors(client, world):
    client.force_login(world.visitors[1].user)
    for url in report_urls(world):
        response = client.get(url, RANGE)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))
        response = client.get(url, {**RANGE, "export": "csv"})
        assert response.status_code == 302 and not isinstance(response, StreamingHttpResponse)


def test_it_refuses_staff_without_the_reports_permission(client, django_user_model, world):
    clerk = django_user_model.objects.create_user("erin", password="x-long-pass-1", is_staff=True)
    client.force_login(clerk)
    for url in report_urls(world):
        assert client.get(url).status_code == 403


def test_it_shows_reports_to_staff_given_the_permission(client, django_user_model, world):
    analyst = django_user_model.objects.create_user("fay", password="x-long-pass-1", is_staff=True)
    analyst.user_permissions.add(Permission.objects.get(codename="view_reports"))
    client.force_login(analyst)
    assert client.get(reverse("reports:overview")).status_code == 200


@pytest.mark.parametrize("who", ["curator", "staff"])
def test_it_shows_every_report_to_curators_and_superusers(client, world, who, request):
    client.force_login(request.getfixturevalue(who))
    for url in report_urls(world):
        response = client.get(url, RANGE)
        assert response.status_code == 200, url
        assert "Museum emotion platform" in response.text  # the admin's look
        response = client.get(url, {**RANGE, "export": "csv"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_it_links_the_reports_from_the_admin_index_for_those_who_may_see_them(
    client, curator, django_user_model
):
    client.force_login(curator)
    assert reverse("reports:overview") in client.get(reverse("admin:index")).text
    clerk = django_user_model.objects.create_user("erin", password="x-long-pass-1", is_staff=True)
    client.force_login(clerk)
    assert reverse("reports:overview") not in client.get(reverse("admin:index")).text


# --- What the pages show ----------------------------------------------------------------


def test_it_shows_the_museum_overview_with_rankings_and_halls(client, curator, world):
    client.force_login(curator)
    response = client.get(reverse("reports:overview"), RANGE)
    page = response.text
    context = response.context
    assert context["total"].figures.visitors == 5
    assert [group.label for group in context["ranking"].most_surprising] == [
        "Bronze Horse",
        "The Kiss of the Wind",
    ]
    # Sculpture Court: happy 1.25/9 = 13.9 %, valence -0.875/9 = -0.10.
    assert "13.9 %" in page and "\u22120.10" in page
    assert "hidden (fewer than 2 visitors)" in page  # the Hall of Natural History
    assert 'data-chart="chart-mix"' in page and 'id="chart-mix"' in page
    assert context["chart_mix"]["labels"] == ["Sculpture Court"]  # hidden halls not charted


def test_it_shows_the_exhibit_list_narrowed_to_a_hall(client, curator, world):
    client.force_login(curator)
    response = client.get(reverse("reports:exhibits"), {**RANGE, "hall": world.fossil.hall.slug})
    assert [group.exhibit for group in response.context["exhibits"]] == [world.fossil]
    assert "Bronze Horse" not in response.text


def test_it_shows_a_hall_report(client, curator, world):
    client.force_login(curator)
    response = client.get(reverse("reports:hall", args=[world.exhibit.hall.slug]), RANGE)
    assert response.context["total"].figures.visitors == 4
    assert [g.label for g in response.context["exhibits"]] == [
        "Bronze Horse",
        "The Kiss of the Wind",
    ]
    assert client.get(reverse("reports:hall", args=["no-such-hall"])).status_code == 404


def test_it_shows_an_exhibit_beside_its_hall_with_its_timeline(client, curator, world):
    client.force_login(curator)
    response = client.get(reverse("reports:exhibit", args=[world.exhibit.slug]), RANGE)
    comparison = response.context["comparison"]
    assert comparison.valence_rank == 2 and comparison.ranked_exhibits == 2
    assert len(response.context["timeline"]) == 8
    chart = response.context["chart_timeline"]
    assert [series["key"] for series in chart["series"]] == ["valence", "engagement", "compare"]
    # D1: the exhibit's valence 0, the hall's (happy 1 + surprise 0.5 - sad 1) / 6 faces.
    assert chart["series"][0]["values"][0] == 0.0
    assert chart["series"][2]["values"][0] == pytest.approx(0.5 / 6, abs=1e-3)
    assert "Valence rank in Sculpture Court" in response.text


def test_it_shows_weekly_trends_filtered(client, curator, world):
    client.force_login(curator)
    response = client.get(
        reverse("reports:trends"),
        {**RANGE, "period": "week", "hall": world.exhibit.hall.slug, "source": "clip"},
    )
    buckets = response.context["buckets"]
    assert [bucket.label for bucket in buckets] == ["Week of 2026-05-04", "Week of 2026-05-11"]
    assert buckets[0].figures.mix["angry"] == 1.0 and buckets[1].hidden
    assert response.context["chart_trend"]["series"][0]["values"] == [-1.0, None]


@time_machine.travel("2026-05-12 09:00Z", tick=False)
def test_it_defaults_to_the_last_90_days(client, curator, world):
    client.force_login(curator)
    response = client.get(reverse("reports:overview"))
    form = response.context["form"]
    assert form.cleaned_data["date_from"].isoformat() == "2026-02-12"
    assert form.cleaned_data["date_to"].isoformat() == "2026-05-12"
    assert response.context["total"].figures.readings == 8


def test_it_answers_bad_filters_with_400_and_the_reason(client, curator, world):
    client.force_login(curator)
    response = client.get(
        reverse("reports:overview"), {"date_from": "2026-05-09", "date_to": "2026-05-01"}
    )
    assert response.status_code == 400
    assert "The start date must not be after the end date." in response.text
    assert "total" not in response.context
    response = client.get(reverse("reports:trends"), {"date_from": "yesterday"})
    assert response.status_code == 400 and "Enter a valid date." in response.text
    response = client.get(
        reverse("reports:trends"),
        {**RANGE, "hall": world.fossil.hall.slug, "exhibit": world.exhibit.slug},
    )
    assert response.status_code == 400 and "is not in Hall of Natural History" in response.text
    response = client.get(reverse("reports:exhibits"), {**RANGE, "hall": "nowhere"})
    assert response.status_code == 400
    response = client.get(
        reverse("reports:trends"), {"date_from": "2020-01-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400 and "at most" in response.text
    response = client.get(
        reverse("reports:trends"), {"date_from": "2024-01-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400 and "weekly" in response.text
    response = client.get(
        reverse("reports:trends"),
        {"date_from": "2024-01-01", "date_to": "2026-01-01", "period": "week"},
    )
    assert response.status_code == 200


def test_it_answers_bad_filters_on_a_csv_export_with_plain_text(client, curator, world):
    client.force_login(curator)
    response = client.get(reverse("reports:exhibits"), {"source": "tv", "export": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "source" in response.content.decode()


def test_it_keeps_the_shared_filters_in_links_between_reports(client, curator, world):
    client.force_login(curator)
    page = client.get(reverse("reports:overview"), {**RANGE, "source": "live"}).text
    hall_link = reverse("reports:hall", args=[world.exhibit.hall.slug])
    assert f"{hall_link}?date_from=2026-05-04&amp;date_to=2026-05-11&amp;source=live" in page


def test_it_renders_without_inline_script_or_style(client, curator, world):
    """Content-Security-Policy ``default-src 'self'``: only external scripts and JSON data."""
    client.force_login(curator)
    for url in report_urls(world):
        page = client.get(url, RANGE).text
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert not re.search(r"\sstyle=", page)
        assert not re.search(r"\son[a-z]+=", page)
        assert "/static/vendor/chartjs/chart.umd.min.js" in page
        assert "/static/reports/charts.js" in page


# --- CSV ---------------------------------------------------------------------------------


def test_it_exports_the_overview_as_csv_with_the_filters(client, curator, world):
    client.force_login(curator)
    response = client.get(reverse("reports:overview"), {**RANGE, "export": "csv"})
    assert response["Content-Disposition"] == (
        'attachment; filename="report-overview-20260504-20260511.csv"'
    )
    rows = rows_of(response)
    assert list(rows[0]) == COLUMNS
    museum, sculpture, natural = rows[:3]
    assert museum["level"] == "museum" and museum["visitors"] == "5"
    assert (museum["readings"], museum["faces"], museum["source"]) == ("8", "10", "all")
    assert (museum["date_from"], museum["date_to"]) == ("2026-05-04", "2026-05-11")
    assert museum["happy"] == "0.1250" and museum["neutral"] == "0.3000"
    assert sculpture["hall"] == "Sculpture Court" and sculpture["valence"] == "-0.0972"
    assert sculpture["mean_dwell_seconds"] == "45.0" and sculpture["stops"] == "4"
    # Hidden: the name stays, every figure is left out.
    assert natural["hall"] == "Hall of Natural History" and natural["hidden"] == "yes"
    assert all(natural[column] == "" for column in ["visitors", "readings", "faces", *EMOTIONS])
    assert [row["exhibit"] for row in rows[3:]] == [
        "Bronze Horse",
        "The Kiss of the Wind",
        "Ammonite Wall",
    ]


def test_it_exports_trends_bucket_by_bucket(client, curator, world):
    client.force_login(curator)
    response = client.get(reverse("reports:trends"), {**RANGE, "source": "live", "export": "csv"})
    assert response["Content-Disposition"].endswith('-live.csv"')
    rows = rows_of(response)
    assert rows[0]["level"] == "museum"
    days = rows[1:]
    assert [row["period_start"] for row in days] == [f"2026-05-{d:02d}" for d in range(4, 12)]
    assert days[0]["level"] == "day" and days[0]["visitors"] == "3"
    assert days[1]["hidden"] == "yes" and days[1]["readings"] == ""


def test_it_exports_an_exhibit_with_its_hall_and_timeline(client, curator, world):
    client.force_login(curator)
    response = client.get(
        reverse("reports:exhibit", args=[world.exhibit.slug]),
        {**RANGE, "period": "week", "export": "csv"},
    )
    rows = rows_of(response)
    assert [row["level"] for row in rows] == ["exhibit", "hall", "week", "week"]
    assert rows[0]["valence"] == "-0.2857" and rows[0]["mean_dwell_seconds"] == "60.0"
    assert rows[2]["exhibit"] == "The Kiss of the Wind"


def test_it_exports_the_hall_and_exhibit_lists(client, curator, world):
    client.force_login(curator)
    hall_rows = rows_of(
        client.get(
            reverse("reports:hall", args=[world.exhibit.hall.slug]), {**RANGE, "export": "csv"}
        )
    )
    assert [row["level"] for row in hall_rows] == ["hall", "exhibit", "exhibit"]
    exhibit_rows = rows_of(client.get(reverse("reports:exhibits"), {**RANGE, "export": "csv"}))
    assert len(exhibit_rows) == 3 and exhibit_rows[2]["hidden"] == "yes"


def test_it_defuses_spreadsheet_formulas_in_names(client, curator, world):
    world.horse.title = '=HYPERLINK("http://evil")'
    world.horse.save()
    client.force_login(curator)
    rows = rows_of(client.get(reverse("reports:exhibits"), {**RANGE, "export": "csv"}))
    assert rows[0]["exhibit"] == '\'=HYPERLINK("http://evil")'


# --- Freshness ---------------------------------------------------------------------------


def test_it_says_how_fresh_the_figures_are_and_refreshes_on_request(client, curator, world):
    from museum_site.reports.models import ReadingRollup

    client.force_login(curator)
    RollupState.objects.filter(pk=1).update(synced_at=None)
    ReadingRollup.objects.all().delete()
    page = client.get(reverse("reports:overview"), RANGE)
    assert "have not been computed yet" in page.text
    assert page.context["total"].hidden  # nothing rolled up any more
    next_url = reverse("reports:overview") + "?date_from=2026-05-04&date_to=2026-05-11"
    response = client.post(reverse("reports:refresh"), {"next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    page = client.get(next_url)
    assert "Figures as of" in page.text and "is it running" not in page.text
    assert page.context["total"].figures.visitors == 5


def test_it_only_refreshes_on_post_and_only_redirects_home(client, curator, world):
    client.force_login(curator)
    assert client.get(reverse("reports:refresh")).status_code == 405
    response = client.post(reverse("reports:refresh"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("reports:overview")


def test_it_refuses_a_refresh_to_visitors(client, world):
    client.force_login(world.visitors[1].user)
    response = client.post(reverse("reports:refresh"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
