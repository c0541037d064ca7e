"""The site works under its Content-Security-Policy: real headless Chromium visits every page.

daphne serves the whole site from a subprocess against the test database (data committed by
``transactional_db``). Every named, GET-able route is visited, anonymously and as a staff
superuser with consent, and the browser console must report no CSP violation. A positive
control first proves that a violation would be reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from emotions.models import Clip, ClipStatus
from museum_site.core import services as core_services
from tests.browser import chromium, screenshot, write_y4m
from tests.live_server import daphne

ANONYMOUS_PAGES = ["login", "signup", "password_reset", "core:home", "privacy:how"]
# Staff pages of the admin worth a look beyond the index: lists, forms, widgets.
ADMIN_PAGES = [
    ("admin:index", {}),
    ("admin:core_exhibit_changelist", {}),
    ("admin:core_exhibit_add", {}),
    ("admin:core_visitorprofile_changelist", {}),
    ("admin:privacy_consentrecord_changelist", {}),
]


@pytest.fixture
def daphne_site(transactional_db, tmp_path) -> Iterator[str]:
    env = {"MEDIA_ROOT": str(tmp_path / "media"), "CLIP_STORAGE_ROOT": str(tmp_path / "clips")}
    with daphne(tmp_path=tmp_path, env=env) as url:
        yield url


def named_routes(patterns=None, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every named route of the site outside the admin, with its namespaced name."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_routes(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name, pattern


def site_pages(client: Client, candidates: dict[str, list[object]]) -> list[str]:
    """Paths of every route we can fill from ``candidates`` (argument name -> values) that
    exists for ``client``: DEBUG's technical 404 page has inline styles of its own."""
    singles = [{arg: value} for arg, values in candidates.items() for value in values]
    pairs = [a | b for i, a in enumerate(singles) for b in singles[i + 1 :] if a.keys() != b.keys()]
    pages = set()
    for name, _ in named_routes():
        for kwargs in [{}, *singles, *pairs]:
            try:
                path = reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
            if client.get(path).status_code != 404:
                pages.add(path)
    pages.update(reverse(name, kwargs=kwargs) for name, kwargs in ADMIN_PAGES)
    return sorted(pages)


def csp_problems(driver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def test_the_site_works_under_its_content_security_policy(daphne_site, staff, exhibit, tmp_path):
    profile = core_services.visitor_profile_get_or_create(user=staff)
    core_services.consent_give(profile=profile)
    visit = core_services.visit_start(visitor=profile, exhibit=exhibit)
    clip = Clip.objects.create(visitor=profile, exhibit=exhibit, status=ClipStatus.DONE)
    client = Client()
    client.force_login(staff)
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    pages = site_pages(
        client,
        {"slug": [exhibit.slug, exhibit.hall.slug], "pk": [visit.pk, clip.pk], "version": ["v1"]},
    )
    assert {"/consent/", "/admin/", "/privacy/", exhibit.get_absolute_url()} <= set(pages)
    assert "/api/v1/docs/" in pages
    assert len(pages) >= 20, pages  # the walk over the routes really found the site
    rng = np.random.default_rng(3)
    webcam = write_y4m(
        [rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(5)],
        tmp_path / "webcam.y4m",
    )

    with chromium(fake_video=webcam) as driver:
        driver.get(f"{daphne_site}/")
        # Positive control: an inline script is refused and the refusal reaches the log.
        driver.execute_script(
            "const s = document.createElement('script');"
            "s.textContent = 'window.csp_broken = true';"
            "document.body.appendChild(s);"
        )
        time.sleep(0.5)
        assert driver.execute_script("return window.csp_broken === undefined")
        assert csp_problems(driver), "the browser did not report a CSP violation"

        visited: dict[str, list[str]] = {}
        for name in ANONYMOUS_PAGES:
            driver.get(daphne_site + reverse(name))
            visited[f"anonymous {name}"] = csp_problems(driver)

        driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session_id, "path": "/"})
        for path in pages:
            driver.get(daphne_site + path)
            time.sleep(0.3)  # scripts run after load
            visited[path] = csp_problems(driver)
        screenshot(driver, "privacy_last_page")

    problems = {page: messages for page, messages in visited.items() if messages}
    assert not problems, problems
