"""A real headless Chromium opens the museum report and finds its charts drawn.

The site is served by pytest-django's ``live_server`` (static files included), with the
project's own middleware, Content-Security-Policy and all; any script error, or a CSP
violation, shows up in the browser log and fails the test. The screenshot lands in
``test-artifacts/report_overview.png``.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser import chromium, require_chromium, screenshot
from tests.reports.conftest import D1, D8

pytestmark = [pytest.mark.timeout(240)]

# True when a canvas holds more than a blank canvas of its size would.
CANVAS_DRAWN = """
const canvas = document.querySelector(arguments[0]);
const blank = document.createElement('canvas');
blank.width = canvas.width;
blank.height = canvas.height;
return {
    chart: Boolean(window.Chart && window.Chart.getChart(canvas)),
    drawn: canvas.width > 0 && canvas.toDataURL() !== blank.toDataURL(),
    bars: window.Chart.getChart(canvas).data.labels,
};
"""


# The server thread sees only committed rows. The superuser, not the curator: the Curators
# group comes from a data migration, which an earlier transactional test's flush removes.
@pytest.mark.django_db(transaction=True)
def test_it_draws_the_overview_charts_in_a_real_browser(
    live_server, client, staff, world, report_settings
):
    require_chromium()
    from selenium.webdriver.support.ui import WebDriverWait

    report_settings.REPORTS_MIN_GROUP_SIZE = 1  # both halls on the chart
    client.force_login(staff)
    session = client.cookies["sessionid"].value
    url = (
        f"{live_server.url}{reverse('reports:overview')}"
        f"?date_from={D1.isoformat()}&date_to={D8.isoformat()}"
    )
    with chromium(width=1280, height=1400) as driver:
        driver.get(f"{live_server.url}{reverse('admin:login')}")  # the cookie needs the origin
        driver.add_cookie({"name": "sessionid", "value": session, "path": "/"})
        driver.get(url)
        WebDriverWait(driver, 30).until(
            lambda d: (
                d.execute_script(
                    "return document.documentElement.getAttribute('data-charts-drawn')"
                )
                == "2"
            )
        )
        mix = driver.execute_script(CANVAS_DRAWN, 'canvas[data-chart="chart-mix"]')
        valence = driver.execute_script(CANVAS_DRAWN, 'canvas[data-chart="chart-valence"]')
        assert mix["chart"] and mix["drawn"]
        assert valence["chart"] and valence["drawn"]
        assert mix["bars"] == ["Sculpture Court", "Hall of Natural History"]
        assert "Whole museum" in driver.page_source
        assert driver.title.startswith("Reports: the whole museum")
        screenshot(driver, "report_overview")
        problems = [
            entry
            for entry in driver.get_log("browser")
            if entry["level"] in {"SEVERE", "WARNING"} and "favicon.ico" not in entry["message"]
        ]
        assert problems == []
