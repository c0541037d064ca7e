"""Reads: queries that span models, shared by views, the admin and later the API.

Keyword-only, typed, named ``<entity>_<action>``. They return querysets where callers
may paginate or narrow them further.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from museum_site.core.models import Exhibit, Hall, Tag, Visit, VisitExhibit, VisitorProfile


def hall_list() -> QuerySet[Hall]:
    """All halls in display order, each with ``exhibit_count`` (active exhibits only)."""
    return Hall.objects.annotate(
        exhibit_count=Count("exhibits", filter=Q(exhibits__active=True))
    ).order_by("ordering", "name")


def exhibit_list(
    *,
    hall: Hall | None = None,
    search: str | None = None,
    tag: Tag | None = None,
    include_inactive: bool = False,
) -> QuerySet[Exhibit]:
    """Exhibits visitors may see, optionally narrowed to a hall, a tag or a text search.

    ``search`` matches each word (all must match) against the title, description, artist,
    hall name and tag names, ignoring case.
    """
    exhibits = Exhibit.objects.all()
    if not include_inactive:
        exhibits = exhibits.filter(active=True)
    if hall is not None:
        exhibits = exhibits.filter(hall=hall)
    if tag is not None:
        exhibits = exhibits.filter(tags=tag)
    for word in (search or "").split():
        matching = Exhibit.objects.filter(
            Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(artist__icontains=word)
            | Q(hall__name__icontains=word)
            | Q(tags__name__icontains=word)
        ).values("pk")
        # A subquery per word keeps the outer query free of duplicate rows from the tag join.
        exhibits = exhibits.filter(pk__in=matching)
    return exhibits.select_related("hall").prefetch_related("tags").order_by("title", "pk")


def exhibit_get(*, slug: str, include_inactive: bool = False) -> Exhibit:
    """The exhibit with ``slug``; raises ``Exhibit.DoesNotExist`` (also if inactive)."""
    return exhibit_list(include_inactive=include_inactive).get(slug=slug)


def tag_list_in_use() -> QuerySet[Tag]:
    """Tags carried by at least one active exhibit, with ``exhibit_count``."""
    return (
        Tag.objects.annotate(exhibit_count=Count("exhibits", filter=Q(exhibits__active=True)))
        .filter(exhibit_count__gt=0)
        .order_by("name")
    )


def visit_list_for(*, visitor: VisitorProfile) -> QuerySet[Visit]:
    """The visitor's visits, newest first, with ``exhibit_count`` and ``total_dwell_seconds``.

    Each visit's ``visit_exhibits`` are prefetched (with their exhibit) in the order seen.
    """
    stops = VisitExhibit.objects.select_related("exhibit").order_by("first_seen", "pk")
    return (
        Visit.objects.filter(visitor=visitor)
        .annotate(
            exhibit_count=Count("visit_exhibits"),
            total_dwell_seconds=Coalesce(Sum("visit_exhibits__dwell_seconds"), 0),
        )
        .prefetch_related(Prefetch("visit_exhibits", queryset=stops))
        .order_by("-started_at", "-pk")
    )


def visit_get_for(*, visitor: VisitorProfile, pk: int) -> Visit:
    """One of the visitor's own visits; raises ``Visit.DoesNotExist`` for anyone else's."""
    return visit_list_for(visitor=visitor).get(pk=pk)
