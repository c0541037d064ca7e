"""The OpenAPI schema validates; Swagger UI is served locally, CSP-clean, from the footer."""

from __future__ import annotations

import re
import time
import urllib.request

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from tests.api.conftest import v1
from tests.privacy import test_browser_csp

# daphne serving the site against the test database, shared with the site-wide CSP test.
daphne_site = test_browser_csp.daphne_site

DOCS = v1("docs/")


def test_it_generates_a_schema_that_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any generator warning (unknown types, name clashes) into an error.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--api-version", "v1", "--file", str(out)
    )
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert "/api/v1/exhibits/{slug}/emotions/" in paths
    assert "/api/v1/schema/" not in paths and "/api/v1/docs/" not in paths
    assert set(schema["components"]["securitySchemes"]) == {
        "partnerKey",
        "visitorToken",
        "cookieAuth",
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            for code in ("401", "403", "404", "429"):
                error = operation["responses"][code]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/Error"}, (path, method, code)


def test_it_serves_the_schema_to_anyone(api, db):
    response = api.get(v1("schema/?format=json"))
    assert response.status_code == 200
    assert response.json()["info"]["title"].endswith("API")
    assert api.get(v1("schema/")).status_code == 200  # YAML by default


def test_it_serves_swagger_ui_from_this_site_without_inline_code(api, db):
    response = api.get(DOCS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<script>(?!</script>)", html), "no inline script"
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith("/") for src in sources), "no CDN"
    for src in sources:
        path = src.split("?")[0]
        if path.startswith("/static/"):
            assert finders.find(path.removeprefix("/static/")), src
    script = next(src for src in sources if "script" in src)
    init = api.get(script)
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert v1("schema/") in init.content.decode()


def test_it_links_the_docs_from_the_footer(client, db):
    assert f'href="{reverse("api:docs", kwargs={"version": "v1"})}"' in client.get("/").text


@pytest.mark.timeout(240)
def test_it_renders_every_operation_in_swagger_ui_under_the_csp(daphne_site):
    from selenium.webdriver.common.by import By

    from tests.browser import chromium, screenshot

    with urllib.request.urlopen(daphne_site + v1("schema/")) as response:  # noqa: S310
        schema = yaml.safe_load(response.read())
    operations = sum(len(ops) for ops in schema["paths"].values())
    with chromium() as driver:
        driver.get(daphne_site + DOCS)
        deadline = time.monotonic() + 30
        blocks = []
        while time.monotonic() < deadline:
            blocks = driver.find_elements(By.CSS_SELECTOR, ".opblock")
            if len(blocks) >= operations:
                break
            time.sleep(0.5)
        screenshot(driver, "api_docs")
        problems = test_browser_csp.csp_problems(driver)
    assert len(blocks) == operations
    assert not problems, problems
