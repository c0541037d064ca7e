import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from museum_site.privacy.models import AppendOnlyError, ConsentAction, ConsentRecord

HASH = "a" * 64


@pytest.fixture
def record(visitor):
    return ConsentRecord.objects.create(
        visitor=visitor.visitor_profile, action=ConsentAction.GIVEN, version=1, notice_sha256=HASH
    )


def test_it_reads_as_the_action_and_version(record):
    assert str(record).startswith("Consent given v1 at ")


def test_it_cannot_be_changed_once_saved(record):
    record.keep_media = True
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(pk=record.pk).update(keep_media=True)
    record.refresh_from_db()
    assert record.keep_media is False


def test_it_goes_with_the_visitor(record, visitor):
    visitor.delete()
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"action": ConsentAction.GIVEN, "version": None, "notice_sha256": HASH},
        {"action": ConsentAction.GIVEN, "version": 1, "notice_sha256": ""},
        {"action": ConsentAction.GIVEN, "version": 1, "notice_sha256": "not-a-hash" * 6},
        {"action": ConsentAction.WITHDRAWN, "version": 1, "keep_media": True},
        {"action": "maybe", "version": 1, "notice_sha256": HASH},
    ],
)
def test_it_rejects_records_that_prove_nothing(visitor, fields):
    record = ConsentRecord(visitor=visitor.visitor_profile, **fields)
    with pytest.raises(ValidationError):
        record.full_clean()
    # The database says no as well, for writes that skip validation.
    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()


def test_it_allows_a_withdrawal_without_a_notice(visitor):
    record = ConsentRecord(
        visitor=visitor.visitor_profile, action=ConsentAction.WITHDRAWN, version=None
    )
    record.full_clean()
    record.save()
