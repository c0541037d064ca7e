"""Fixtures shared by the whole suite.

Users (all with the password ``PASSWORD``):

- ``visitor``  "alice": signed up through the service, consent given
- ``outsider`` "bob": another visitor, to prove one visitor cannot reach another's data
- ``curator``  "charlie": staff in the "Curators" group (read-only admin, reports)
- ``staff``    "dana": a staff superuser

Sign in with ``client.force_login(user)``: django-axes needs the request in
``authenticate()``, which ``Client.login()`` does not pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from museum_site.core import services

PASSWORD = "museum-test-pass-42"

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def fer_val_path() -> Path:
    """Real FER-2013 faces (shared/data beside the checkout); see tests/faces.py for frames."""
    path = SHARED_DATA / "fer2013" / "val.npz"
    if not path.is_file():
        pytest.skip(f"real FER-2013 faces not found at {path} (set SHARED_DATA_DIR)")
    return path


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    database = settings.DATABASES["default"]
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    if engine == "postgresql":
        where = f"PostgreSQL at {database['HOST']}:{database['PORT']}, test_{database['NAME']}"
    else:
        where = f"{engine}"
    redis = os.environ.get("TEST_REDIS_URL") or "not available (TEST_REDIS_URL unset)"
    return [f"database: {where}", f"redis for tests: {redis}"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_visitor(db):
    def make(username: str, *, display_name: str = "", consent: bool = True):
        user = services.user_sign_up(
            username=username,
            email=f"{username}@example.com",
            password=PASSWORD,
            display_name=display_name,
        )
        if consent:
            services.consent_give(profile=user.visitor_profile)
        return user

    return make


@pytest.fixture
def visitor(make_visitor):
    return make_visitor("alice", display_name="Alice")


@pytest.fixture
def outsider(make_visitor):
    return make_visitor("bob", display_name="Bob")


@pytest.fixture
def curator(db, django_user_model):
    user = django_user_model.objects.create_user(
        "charlie", "charlie@example.com", PASSWORD, is_staff=True
    )
    # Created by the core.0002 data migration; a missing group must fail loudly here.
    user.groups.add(Group.objects.get(name="Curators"))
    return user


@pytest.fixture
def staff(db, django_user_model):
    return django_user_model.objects.create_superuser("dana", "dana@example.com", PASSWORD)


@pytest.fixture
def hall(db):
    return services.hall_create(
        name="Sculpture Court", description="Marble and bronze under a glass roof.", ordering=1
    )


@pytest.fixture
def other_hall(db):
    return services.hall_create(
        name="Hall of Natural History", description="Fossils and minerals.", ordering=2
    )


@pytest.fixture
def exhibit(hall):
    return services.exhibit_create(
        title="The Kiss of the Wind",
        hall=hall,
        description="Two bronze figures joined by swirling drapery.",
        tags=["bronze", "Symbolism"],
        artist="Auguste Delmas",
        year=1902,
    )


@pytest.fixture
def fossil(other_hall):
    return services.exhibit_create(
        title="Ammonite Wall",
        hall=other_hall,
        description="A slab of seabed crowded with spiral shells.",
        tags=["fossil", "jurassic"],
    )
