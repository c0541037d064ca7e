"""Reads behind the API: a visitor's own readings, grants and the visitors who granted.

Emotion aggregates come from the staff reports (``museum_site.reports.selectors``): the
same rollup, the same definitions and the same privacy threshold, so the API can never
show a figure the reports would hide.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from emotions.models import EmotionReading
from museum_site.api.models import ApiKey, PartnerGrant, VisitorToken
from museum_site.core.models import VisitorProfile


def reading_list_for(*, visitor: VisitorProfile) -> QuerySet[EmotionReading]:
    """The visitor's own readings, newest first."""
    return (
        EmotionReading.objects.filter(visitor=visitor)
        .select_related("exhibit")
        .order_by("-recorded_at", "-pk")
    )


def granted_visitor_list(*, api_key: ApiKey) -> QuerySet[VisitorProfile]:
    """Visitors who currently let ``api_key`` read their data."""
    live = PartnerGrant.objects.filter(api_key=api_key, revoked_at__isnull=True)
    return (
        VisitorProfile.objects.filter(pk__in=live.values("visitor"))
        .select_related("user")
        .order_by("pk")
    )


def granted_visitor_get(*, api_key: ApiKey, pk: int) -> VisitorProfile:
    """One granting visitor; raises ``VisitorProfile.DoesNotExist`` for anyone else."""
    return granted_visitor_list(api_key=api_key).get(pk=pk)


def partner_grant_list_for(*, visitor: VisitorProfile) -> QuerySet[PartnerGrant]:
    return PartnerGrant.objects.filter(visitor=visitor).select_related("api_key")


def visitor_token_list_for(*, user: AbstractBaseUser) -> QuerySet[VisitorToken]:
    return VisitorToken.objects.filter(user=user).order_by("-created_at", "-pk")
