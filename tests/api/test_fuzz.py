"""Schemathesis against the live schema: every operation, valid and invalid input, no 5xx.

The schema is fetched from ``/api/v1/schema/`` of the real WSGI application and every
operation is called in-process with generated requests, once as a partner holding every
scope and once as a signed-in visitor (session cookie and CSRF token, as a browser sends).
Responses must conform to the schema too: documented status codes, content types and bodies.

Each operation runs with valid (positive) and invalid (negative) generated input, and, where
its path has parameters, once more with the ids and slugs of real rows the caller may see:
generated ids rarely exist, and without real ones only the 404 paths would be exercised.

Schemathesis' own pytest plugin does not run under pytest 9 yet, so the cases are driven
with Hypothesis directly (the documented Python API: ``operation.as_strategy()``).
"""

from __future__ import annotations

import secrets

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import checks as st_checks

from emotions.models import Clip, ClipStatus
from ml import EMOTIONS
from museum_site.api.services import partner_grant_create
from museum_site.core import services as core_services
from tests.api.conftest import ALL_SCOPES

MAX_EXAMPLES = 20
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure is reproducible
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(
    db, make_key, make_token, make_visitor, exhibit, fossil, make_reading, settings, tmp_path
):
    """Real rows for the generated requests to find, and the two callers."""
    # Nothing a generated request manages to store may land in the real folders.
    settings.CLIP_STORAGE_ROOT = tmp_path / "clips"
    settings.MEDIA_ROOT = tmp_path / "media"
    # Generous limits: the fuzzer sends hundreds of requests a minute.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            ["anon", "user", "partner", "analyse"], "100000/minute"
        ),
    }
    alice = make_visitor("alice", display_name="Alice")
    profile = alice.visitor_profile
    visit = core_services.visit_start(visitor=profile, exhibit=exhibit)
    reading = make_reading(exhibit=exhibit, visitor=profile, visit=visit)
    partner = make_key(*ALL_SCOPES, name="Fuzz partner")
    grant = partner_grant_create(visitor=profile, partner_prefix=partner.obj.prefix)
    token = make_token(alice)
    second = {name: 1 / 7 for name in EMOTIONS}
    clip = Clip.objects.create(
        visitor=profile,
        exhibit=exhibit,
        status=ClipStatus.DONE,
        progress=1.0,
        timeline=[
            {
                "t": 0,
                "frames": 2,
                "faces": 1,
                "label": "happy",
                "confidence": 0.2,
                "probabilities": second,
            },
            {
                "t": 1,
                "frames": 2,
                "faces": 0,
                "label": None,
                "confidence": None,
                "probabilities": None,
            },
        ],
    )

    client = Client()
    client.force_login(alice)
    csrf = secrets.token_hex(16)  # any 32-character token; Django compares cookie and header
    return {
        "partner": {"headers": {"Authorization": f"Api-Key {partner.raw}"}, "cookies": None},
        "visitor": {
            "headers": {"X-CSRFToken": csrf},
            "cookies": {
                django_settings.SESSION_COOKIE_NAME: client.cookies[
                    django_settings.SESSION_COOKIE_NAME
                ].value,
                django_settings.CSRF_COOKIE_NAME: csrf,
            },
        },
        "slug": {"/halls/": exhibit.hall.slug, "": exhibit.slug},
        "ids": {
            "visits": visit.pk,
            "readings": reading.pk,
            "tokens": token.obj.pk,
            "grants": grant.pk,
            "visitors": profile.pk,
            "clips": clip.pk,
        },
    }


@pytest.fixture
def api_schema(world):
    # The real WSGI handler closes the database connection after each request (as in
    # production); here that connection holds the test's transaction, so keep it open, as
    # Django's own test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def real_path_parameters(path: str, world: dict) -> dict[str, object] | None:
    """Path parameters naming rows the caller may see (``None`` for paths without any)."""
    parameters: dict[str, object] = {}
    if "{slug}" in path:
        hall = path.startswith("/api/v1/halls/")
        parameters["slug"] = world["slug"]["/halls/"] if hall else world["slug"][""]
    if "{id}" in path:
        collection = path.split("/{id}")[0].rstrip("/").split("/")[-1]
        parameters["id"] = world["ids"][collection]
    if "{clip_pk}" in path:
        parameters["clip_pk"] = world["ids"]["clips"]
    return parameters or None


CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]


def fuzz(api_schema, caller: dict, world: dict) -> tuple[set[str], list[str]]:
    """Run every operation as ``caller``; return the operations that succeeded (2xx) at
    least once and the failures found."""
    failures: list[str] = []
    succeeded: set[str] = set()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # Reads first, while the rows are as the fixture made them; writes (which may rename,
    # hide or revoke them) after.
    operations.sort(key=lambda operation: operation.method.upper() != "GET")
    for operation in operations:
        # (mode, fixed path parameters, fixed query): generated input, valid and invalid,
        # then real rows with no query string (so that filters do not hide the success path).
        variants = [(GenerationMode.POSITIVE, None, None), (GenerationMode.NEGATIVE, None, None)]
        real = real_path_parameters(operation.path, world)
        variants.append((GenerationMode.POSITIVE, real, {}))
        for mode, path_parameters, query in variants:
            strategy = operation.as_strategy(
                generation_mode=mode,
                path_parameters=path_parameters,
                query=query,
                cookies=caller["cookies"],
            )

            @FUZZ_SETTINGS
            @given(case=strategy)
            def run(case) -> None:
                response = case.call_and_validate(headers=caller["headers"], checks=CHECKS)
                if response.status_code < 300:
                    succeeded.add(case.operation.label)

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid: no query, no body, only a path slug any text fits.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # noqa: BLE001 - every failure is collected and reported
                variant = "real rows, no query" if query is not None else mode.value
                failures.append(f"{operation.label} [{variant}]: {exc}")
    return succeeded, failures


def get_operations(api_schema) -> set[str]:
    return {
        result.ok().label
        for result in api_schema.get_all_operations()
        if result.ok().method.upper() == "GET"
    }


def test_it_gives_a_partner_with_every_scope_no_server_error(api_schema, world):
    succeeded, failures = fuzz(api_schema, world["partner"], world)
    assert not failures, "\n\n".join(failures)
    # Every read a partner may make was answered with data at least once, not only errors.
    readable = {label for label in get_operations(api_schema) if "/api/v1/me/" not in label}
    assert readable <= succeeded, sorted(readable - succeeded)


def test_it_gives_a_signed_in_visitor_no_server_error(api_schema, world):
    succeeded, failures = fuzz(api_schema, world["visitor"], world)
    assert not failures, "\n\n".join(failures)
    readable = {
        label
        for label in get_operations(api_schema)
        if "/api/v1/partner/" not in label and label != "GET /api/v1/aggregates/"
    }
    assert readable <= succeeded, sorted(readable - succeeded)
