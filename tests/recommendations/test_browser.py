"""A real headless Chromium opens the visitor's pages under the site's CSP.

The chart on "My visits and emotions" must be drawn by Chart.js from the json_script data,
with no script error or CSP violation in the browser log. Screenshots of the three pages
land in ``test-artifacts/recommendations_*.png``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from recommendations import services
from tests.browser import chromium, require_chromium, screenshot
from tests.recommendations.conftest import probs

pytestmark = [pytest.mark.timeout(240)]

CHART = """
const canvas = document.querySelector('canvas[data-chart]');
const chart = window.Chart && window.Chart.getChart(canvas);
return {chart: Boolean(chart), labels: chart ? chart.data.labels : null};
"""


# The server thread sees only committed rows. No serialized_rollback (it clashes with other
# transactional tests' flushes); nothing here needs rows from data migrations.
@pytest.mark.django_db(transaction=True)
def test_it_draws_the_visitors_pages_in_a_real_browser(
    live_server, client, visitor, make_visitor, gallery, see
):
    require_chromium()
    from selenium.webdriver.support.ui import WebDriverWait

    alice = visitor.visitor_profile
    day = timezone.now() - timedelta(days=2)
    see(alice, gallery["kiss"], 240, at=day, readings=[probs(surprise=0.6)] * 4)
    see(alice, gallery["Brass Orrery"], 90, at=day, readings=[probs(happy=0.5)] * 4)
    see(alice, gallery["ammonite"], 30, at=day, readings=[probs(sad=0.3)] * 4)
    services.feedback_rate(visitor=alice, exhibit=gallery["kiss"], rating=5)
    for n in range(3):
        see(make_visitor(f"crowd{n}").visitor_profile, gallery["Dinosaur Egg"], 60, at=day)
    services.recommender_rebuild()

    client.force_login(visitor)
    session = client.cookies["sessionid"].value
    with chromium(width=1100, height=1500) as driver:
        driver.get(f"{live_server.url}/accounts/login/")  # the cookie needs the origin
        driver.add_cookie({"name": "sessionid", "value": session, "path": "/"})

        driver.get(f"{live_server.url}/me/emotions/")
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(CHART)["chart"])
        labels = driver.execute_script(CHART)["labels"]
        assert labels[0] == "Brass Orrery"  # joy counts more towards delight than surprise
        assert set(labels) == {"The Kiss of the Wind", "Brass Orrery", "Ammonite Wall"}
        screenshot(driver, "recommendations_my_visits")

        driver.get(f"{live_server.url}/me/recommendations/")
        assert "Shares the tag" in driver.page_source
        screenshot(driver, "recommendations_for_you")

        driver.get(f"{live_server.url}/me/plan/")
        assert "Your next visit" in driver.page_source
        screenshot(driver, "recommendations_plan")

        problems = [
            entry
            for entry in driver.get_log("browser")
            if entry["level"] in {"SEVERE", "WARNING"} and "favicon.ico" not in entry["message"]
        ]
        assert problems == []
