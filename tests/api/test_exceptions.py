"""Every failure answers ``{"error": {"code", "message", "details"}}`` in JSON."""

from __future__ import annotations

import logging

import pytest
from django.db import IntegrityError

from museum_site.api.models import ApiScope
from tests.api.conftest import v1


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_it_shapes_400_with_field_details(api, make_key, db):
    key = make_key(ApiScope.EXHIBITS_WRITE)
    error = assert_error(api.post(v1("halls/"), {"floor": "up"}, **key.headers), 400, "invalid")
    assert set(error["details"]) == {"name", "floor"}


def test_it_shapes_400_for_malformed_json(api, make_key, db):
    key = make_key(ApiScope.EXHIBITS_WRITE)
    response = api.post(v1("halls/"), "{not json", content_type="application/json", **key.headers)
    assert_error(response, 400, "parse_error")


def test_it_shapes_401_and_403(api, make_key, exhibit):
    assert_error(api.get(v1("exhibits/")), 401, "not_authenticated")
    key = make_key()
    assert_error(api.post(v1("halls/"), {"name": "x"}, **key.headers), 403, "permission_denied")


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v2/exhibits/", "/api/", "/api/x"])
def test_it_shapes_404_for_unrouted_api_paths(api, db, path):
    error = assert_error(api.get(path), 404, "not_found")
    assert path in error["message"]


def test_it_shapes_405(api, make_key, exhibit):
    response = api.delete(v1(f"exhibits/{exhibit.slug}/"), **make_key().headers)
    error = assert_error(response, 405, "method_not_allowed")
    assert "DELETE" in error["message"]


def test_it_shapes_413_for_an_oversized_json_body(api, make_key, settings, db):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    key = make_key(ApiScope.EXHIBITS_WRITE)
    response = api.post(v1("halls/"), {"name": "x" * 200}, **key.headers)
    assert_error(response, 413, "payload_too_large")


def test_it_shapes_415(api, make_key, db):
    key = make_key(ApiScope.EXHIBITS_WRITE)
    response = api.post(v1("halls/"), b"name=x", content_type="text/plain", **key.headers)
    assert_error(response, 415, "unsupported_media_type")


def test_it_shapes_409_for_a_concurrent_conflict(api, make_key, monkeypatch, db):
    def collide(**kwargs):
        raise IntegrityError('duplicate key value violates unique constraint "core_hall_slug"')

    monkeypatch.setattr("museum_site.core.services.hall_create", collide)
    key = make_key(ApiScope.EXHIBITS_WRITE)
    assert_error(api.post(v1("halls/"), {"name": "Annex"}, **key.headers), 409, "conflict")


def test_it_shapes_500_and_logs_the_bug(api, make_key, monkeypatch, caplog, db):
    def broken():
        raise RuntimeError("selector exploded")

    monkeypatch.setattr("museum_site.core.selectors.hall_list", broken)
    api.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="museum_site.api.exceptions"):
        response = api.get(v1("halls/"), **make_key().headers)
    error = assert_error(response, 500, "server_error")
    assert "selector exploded" not in error["message"]
    assert any(
        record.exc_info and "selector exploded" in str(record.exc_info[1])
        for record in caplog.records
    )
