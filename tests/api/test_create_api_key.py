"""``manage.py create_api_key``: prints the key once, keeps only its hash."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from museum_site.api.models import ApiKey, hash_key
from tests.api.conftest import v1


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_it_prints_a_working_key_alone_on_stdout(api, exhibit):
    raw, message = run("--name", "Ticketing", "--scopes", "aggregates:read, analyse")
    api_key = ApiKey.objects.get()
    assert api_key.key_hash == hash_key(raw)
    assert api_key.scopes == ["aggregates:read", "analyse"] and api_key.expires_at is None
    assert api_key.prefix in message and raw not in message
    assert api.get(v1("exhibits/"), HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200


def test_it_sets_an_expiry_and_a_rate(db):
    run("--name", "Research", "--expires-days", "30", "--throttle-rate", "10/minute")
    api_key = ApiKey.objects.get()
    assert (api_key.expires_at - api_key.created_at).days in {29, 30}
    assert api_key.throttle_rate == "10/minute"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--scopes", "everything"], "Unknown scope"),
        (["--name", "", "--scopes", "analyse"], "name"),
        (["--name", "x", "--throttle-rate", "fast"], "not a rate"),
        (["--name", "x", "--expires-days", "0"], "at least 1"),
    ],
)
def test_it_refuses_bad_arguments(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiKey.objects.exists()
