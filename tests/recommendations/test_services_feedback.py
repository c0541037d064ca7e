"""Visitor feedback: rating, hiding, clearing, and refusing what makes no sense."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from recommendations import services
from recommendations.models import VisitorExhibitFeedback


def test_it_rates_then_hides_then_clears_one_row(visitor, exhibit):
    profile = visitor.visitor_profile
    row = services.feedback_rate(visitor=profile, exhibit=exhibit, rating=4)
    assert (row.rating, row.hidden) == (4, False)

    row = services.feedback_hide(visitor=profile, exhibit=exhibit)
    assert (row.rating, row.hidden) == (4, True)
    assert VisitorExhibitFeedback.objects.count() == 1

    row = services.feedback_rate(visitor=profile, exhibit=exhibit, rating=None)
    assert (row.rating, row.hidden) == (None, True)
    assert services.feedback_hide(visitor=profile, exhibit=exhibit, hidden=False) is None
    assert not VisitorExhibitFeedback.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, 3.5, "5", True])
def test_it_refuses_ratings_outside_one_to_five(visitor, exhibit, rating):
    with pytest.raises(ValidationError):
        services.feedback_rate(visitor=visitor.visitor_profile, exhibit=exhibit, rating=rating)
    assert not VisitorExhibitFeedback.objects.exists()


def test_it_refuses_to_rate_an_exhibit_off_display_but_lets_a_visitor_clear(visitor, exhibit):
    profile = visitor.visitor_profile
    services.feedback_hide(visitor=profile, exhibit=exhibit)
    exhibit.active = False
    exhibit.save()

    with pytest.raises(ValidationError, match="not on display"):
        services.feedback_rate(visitor=profile, exhibit=exhibit, rating=5)
    services.feedback_hide(visitor=profile, exhibit=exhibit, hidden=False)
    assert not VisitorExhibitFeedback.objects.exists()


def test_it_keeps_one_row_per_visitor_and_exhibit_in_the_database(visitor, exhibit):
    profile = visitor.visitor_profile
    VisitorExhibitFeedback.objects.create(visitor=profile, exhibit=exhibit, rating=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitorExhibitFeedback.objects.create(visitor=profile, exhibit=exhibit, hidden=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitorExhibitFeedback.objects.filter(visitor=profile).update(rating=None)


def test_it_keeps_each_visitors_feedback_apart(visitor, outsider, exhibit):
    services.feedback_rate(visitor=visitor.visitor_profile, exhibit=exhibit, rating=5)
    services.feedback_hide(visitor=outsider.visitor_profile, exhibit=exhibit)
    assert VisitorExhibitFeedback.objects.get(visitor=visitor.visitor_profile).rating == 5
    assert VisitorExhibitFeedback.objects.get(visitor=outsider.visitor_profile).hidden
