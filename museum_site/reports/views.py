"""Report pages inside the admin, for staff holding ``core.view_reports`` (the Curators group
has it; superusers have every permission).

Each view validates its GET filters with a form, asks the selectors for figures and either
renders a page (tables, and charts drawn from the same numbers) or, with ``?export=csv``,
streams the same figures as CSV. Invalid filters give a 400 with the form's errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import wraps
from itertools import chain
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from kombu.exceptions import OperationalError

from ml import EMOTIONS
from museum_site.core.models import Exhibit, Hall
from museum_site.reports import charts, selectors, services
from museum_site.reports.exports import csv_response, csv_row
from museum_site.reports.forms import (
    HallFilterForm,
    PeriodFilterForm,
    ReportFilterForm,
    TrendFilterForm,
)
from museum_site.reports.selectors import GroupReport, ReportFilters

REPORT_PERMISSION = "core.view_reports"
# The reports say so when the rollup is older than this (is celery beat running?).
STALE_AFTER = timedelta(minutes=30)
# Filters that every report understands, carried along by links between reports.
SHARED_FILTERS = ("date_from", "date_to", "source")


def report_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admin login for everyone (visitors and anonymous users are sent to the admin's sign-in
    page), then the reports permission (other staff get 403)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(REPORT_PERMISSION):
            raise PermissionDenied("You may not view reports.")
        return view(request, *args, **kwargs)

    return admin.site.admin_view(checked)


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("export") == "csv"


def _filename(name: str, filters: ReportFilters) -> str:
    source = f"-{filters.source}" if filters.source else ""
    return f"report-{name}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}{source}.csv"


def _query(form: ReportFilterForm, names: tuple[str, ...] | None = None) -> str:
    """The form's current values as a query string (all fields, or only ``names``)."""
    pairs = []
    for name in form.fields:
        if names is not None and name not in names:
            continue
        value = form.data.get(name, "")
        if value:
            pairs.append((name, value))
    return urlencode(pairs)


def _freshness() -> dict[str, Any]:
    state = services.rollup_state()
    stale = state.synced_at is None or timezone.now() - state.synced_at > STALE_AFTER
    return {"rollup": state, "rollup_stale": stale}


def _page(
    request: HttpRequest,
    template: str,
    *,
    form: ReportFilterForm,
    title: str,
    active: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    query = _query(form)
    page = {
        **admin.site.each_context(request),
        "title": title,
        "active": active,
        "form": form,
        "k": selectors.min_group_size(),
        "emotions": EMOTIONS,
        "shared_query": _query(form, SHARED_FILTERS),
        "csv_query": f"{query}&export=csv" if query else "export=csv",
        **_freshness(),
        **(context or {}),
    }
    return render(request, template, page, status=status)


def _invalid(
    request: HttpRequest, form: ReportFilterForm, *, title: str, active: str, **context: Any
) -> HttpResponse:
    if _wants_csv(request):
        errors = "; ".join(
            f"{name}: {' '.join(messages_)}" if name != "__all__" else " ".join(messages_)
            for name, messages_ in form.errors.items()
        )
        return HttpResponseBadRequest(
            f"Invalid filters: {errors}\n", content_type="text/plain; charset=utf-8"
        )
    return _page(
        request,
        "admin/reports/invalid.html",
        form=form,
        title=title,
        active=active,
        context=context,
        status=400,
    )


def _rows(groups: list[GroupReport], *, level: str, filters: ReportFilters) -> Iterator[list[str]]:
    return (csv_row(group, level=level, filters=filters) for group in groups)


def _total_level(filters: ReportFilters) -> str:
    if filters.exhibit is not None:
        return "exhibit"
    if filters.hall is not None:
        return "hall"
    return "museum"


@require_GET
def _overview(request: HttpRequest) -> HttpResponse:
    title = "Reports: the whole museum"
    form = ReportFilterForm.for_request(request.GET)
    if not form.is_valid():
        return _invalid(request, form, title=title, active="overview")
    filters = form.filters()
    museum = selectors.report_total(filters=filters)
    halls = selectors.report_halls(filters=filters)
    exhibits = selectors.report_exhibits(filters=filters)
    if _wants_csv(request):
        rows = chain(
            [csv_row(museum, level="museum", filters=filters)],
            _rows(halls, level="hall", filters=filters),
            _rows(exhibits, level="exhibit", filters=filters),
        )
        return csv_response(rows, filename=_filename("overview", filters))
    context = {
        "total": museum,
        "halls": halls,
        "ranking": selectors.report_ranking(groups=exhibits),
        "chart_mix": charts.mix_bars(halls, title="Emotion mix by hall"),
        "chart_valence": charts.valence_bars(halls, title="Valence by hall"),
    }
    return _page(
        request,
        "admin/reports/overview.html",
        form=form,
        title=title,
        active="overview",
        context=context,
    )


@require_GET
def _hall(request: HttpRequest, slug: str) -> HttpResponse:
    hall = get_object_or_404(Hall, slug=slug)
    title = f"Reports: {hall.name}"
    form = ReportFilterForm.for_request(request.GET)
    if not form.is_valid():
        return _invalid(request, form, title=title, active="overview", hall=hall)
    filters = form.filters(hall=hall)
    total = selectors.report_total(filters=filters, label=hall.name)
    exhibits = selectors.report_exhibits(filters=filters)
    if _wants_csv(request):
        rows = chain(
            [csv_row(total, level="hall", filters=filters)],
            _rows(exhibits, level="exhibit", filters=filters),
        )
        return csv_response(rows, filename=_filename(f"hall-{hall.slug}", filters))
    context = {
        "hall": hall,
        "total": total,
        "exhibits": exhibits,
        "ranking": selectors.report_ranking(groups=exhibits),
        "chart_mix": charts.mix_bars(exhibits, title=f"Emotion mix of the exhibits in {hall}"),
        "chart_valence": charts.valence_bars(exhibits, title=f"Valence of the exhibits in {hall}"),
    }
    return _page(
        request,
        "admin/reports/hall.html",
        form=form,
        title=title,
        active="overview",
        context=context,
    )


@require_GET
def _exhibits(request: HttpRequest) -> HttpResponse:
    title = "Reports: exhibits"
    form = HallFilterForm.for_request(request.GET)
    if not form.is_valid():
        return _invalid(request, form, title=title, active="exhibits")
    filters = form.filters()
    exhibits = selectors.report_exhibits(filters=filters)
    if _wants_csv(request):
        return csv_response(
            _rows(exhibits, level="exhibit", filters=filters),
            filename=_filename("exhibits", filters),
        )
    context = {
        "exhibits": exhibits,
        "chart_mix": charts.mix_bars(exhibits, title="Emotion mix by exhibit"),
        "chart_valence": charts.valence_bars(exhibits, title="Valence by exhibit"),
    }
    return _page(
        request,
        "admin/reports/exhibits.html",
        form=form,
        title=title,
        active="exhibits",
        context=context,
    )


@require_GET
def _exhibit(request: HttpRequest, slug: str) -> HttpResponse:
    exhibit = get_object_or_404(Exhibit.objects.select_related("hall"), slug=slug)
    title = f"Reports: {exhibit.title}"
    form = PeriodFilterForm.for_request(request.GET)
    if not form.is_valid():
        return _invalid(request, form, title=title, active="exhibits", exhibit=exhibit)
    filters = form.filters(hall=exhibit.hall, exhibit=exhibit)
    comparison = selectors.report_exhibit_comparison(filters=filters, exhibit=exhibit)
    timeline = selectors.report_trend(filters=filters)
    if _wants_csv(request):
        rows = chain(
            [csv_row(comparison.exhibit, level="exhibit", filters=filters)],
            [csv_row(comparison.hall, level="hall", filters=filters)],
            _rows(timeline, level=filters.period, filters=filters),
        )
        return csv_response(rows, filename=_filename(f"exhibit-{exhibit.slug}", filters))
    hall_timeline = selectors.report_trend(
        filters=ReportFilters(
            date_from=filters.date_from,
            date_to=filters.date_to,
            source=filters.source,
            hall=exhibit.hall,
            period=filters.period,
        )
    )
    context = {
        "exhibit": exhibit,
        "comparison": comparison,
        "comparison_groups": [comparison.exhibit, comparison.hall],
        "timeline": timeline,
        "chart_compare": charts.mix_comparison(
            comparison.exhibit, comparison.hall, title=f"{exhibit} beside {exhibit.hall}"
        ),
        "chart_timeline": charts.trend_lines(
            timeline,
            title=f"{exhibit} over time",
            compare=hall_timeline,
            compare_label=f"Valence of {exhibit.hall}",
        ),
        "chart_timeline_mix": charts.trend_mix(timeline, title=f"Emotion mix of {exhibit}"),
    }
    return _page(
        request,
        "admin/reports/exhibit.html",
        form=form,
        title=title,
        active="exhibits",
        context=context,
    )


@require_GET
def _trends(request: HttpRequest) -> HttpResponse:
    title = "Reports: trends over time"
    form = TrendFilterForm.for_request(request.GET)
    if not form.is_valid():
        return _invalid(request, form, title=title, active="trends")
    filters = form.filters()
    total = selectors.report_total(
        filters=filters,
        label=str(filters.exhibit or filters.hall or "Whole museum"),
    )
    buckets = selectors.report_trend(filters=filters)
    if _wants_csv(request):
        rows = chain(
            [csv_row(total, level=_total_level(filters), filters=filters)],
            _rows(buckets, level=filters.period, filters=filters),
        )
        return csv_response(rows, filename=_filename("trends", filters))
    context = {
        "total": total,
        "buckets": buckets,
        "chart_trend": charts.trend_lines(buckets, title="Valence and engagement over time"),
        "chart_trend_mix": charts.trend_mix(buckets, title="Emotion mix over time"),
    }
    return _page(
        request,
        "admin/reports/trends.html",
        form=form,
        title=title,
        active="trends",
        context=context,
    )


@require_POST
def _refresh(request: HttpRequest) -> HttpResponse:
    """Bring the rollup up to date now (queued; run in place when Celery runs eagerly)."""
    from museum_site.reports.tasks import rollup_sync_task

    try:
        result = rollup_sync_task.delay()
    except OperationalError:
        messages.error(request, "Could not queue the refresh: the task queue is unavailable.")
    else:
        if result.ready():
            messages.success(request, "The report figures are up to date.")
        else:
            messages.info(request, "A refresh is under way; reload the page in a minute.")
    default = reverse("reports:overview")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return redirect(target)


overview = report_view(_overview)
hall = report_view(_hall)
exhibits = report_view(_exhibits)
exhibit = report_view(_exhibit)
trends = report_view(_trends)
refresh = report_view(_refresh)
