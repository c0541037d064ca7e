"""The reports' GET filter forms: what a curator may narrow a report to, validated."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from emotions.models import ReadingSource
from museum_site.core.models import Exhibit, Hall
from museum_site.reports.dates import report_time_zone
from museum_site.reports.selectors import PERIOD_DAY, PERIOD_WEEK, ReportFilters

DEFAULT_RANGE_DAYS = 90
# Daily buckets beyond this would make unreadable charts and long tables: ask for weeks.
MAX_DAILY_DAYS = 400
MAX_RANGE_DAYS = 366 * 5


class DateInput(forms.DateInput):
    input_type = "date"


class ReportFilterForm(forms.Form):
    """Date range and source: the filters of every report.

    Always bound: :meth:`for_request` fills what the query string leaves empty with the
    defaults (the last 90 days, all sources), so a bare URL shows a sensible report and an
    exported CSV states exactly what it covers.
    """

    date_from = forms.DateField(label="From", widget=DateInput)
    date_to = forms.DateField(label="To", widget=DateInput)
    source = forms.ChoiceField(
        label="Source",
        required=False,
        choices=[("", "All sources"), *ReadingSource.choices],
    )

    @classmethod
    def defaults(cls) -> dict[str, str]:
        today = timezone.localdate(timezone=report_time_zone())
        return {
            "date_from": (today - timedelta(days=DEFAULT_RANGE_DAYS - 1)).isoformat(),
            "date_to": today.isoformat(),
        }

    @classmethod
    def for_request(cls, query: Mapping[str, str]) -> ReportFilterForm:
        data: dict[str, Any] = cls.defaults()
        for name in cls.base_fields:
            value = query.get(name, "")
            if value != "":
                data[name] = value
        return cls(data)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_from: date | None = cleaned.get("date_from")
        date_to: date | None = cleaned.get("date_to")
        if date_from and date_to:
            if date_from > date_to:
                raise forms.ValidationError("The start date must not be after the end date.")
            if (date_to - date_from).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(
                    f"Choose a range of at most {MAX_RANGE_DAYS} days (five years)."
                )
        return cleaned

    def filters(self, **fixed: Any) -> ReportFilters:
        """The validated filters; ``fixed`` sets what the URL decides (a hall, an exhibit)."""
        if not self.is_valid():
            raise ValueError("The filter form is not valid.")
        data = self.cleaned_data
        values: dict[str, Any] = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "source": data.get("source") or None,
            "hall": data.get("hall"),
            "exhibit": data.get("exhibit"),
            "period": data.get("period") or PERIOD_DAY,
        }
        values.update(fixed)
        return ReportFilters(**values)


class HallFilterForm(ReportFilterForm):
    """The exhibit list: also narrowed to a hall."""

    hall = forms.ModelChoiceField(
        label="Hall",
        required=False,
        queryset=Hall.objects.order_by("ordering", "name"),
        to_field_name="slug",
        empty_label="All halls",
    )


class PeriodFilterForm(ReportFilterForm):
    """An exhibit's detail report: also daily or weekly buckets for its timeline."""

    period = forms.ChoiceField(
        label="Buckets",
        required=False,
        choices=[(PERIOD_DAY, "Daily"), (PERIOD_WEEK, "Weekly")],
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        period = cleaned.get("period") or PERIOD_DAY
        if date_from and date_to and period == PERIOD_DAY:
            if (date_to - date_from).days >= MAX_DAILY_DAYS:
                self.add_error(
                    "period",
                    f"Daily buckets cover at most {MAX_DAILY_DAYS} days; choose weekly "
                    "buckets or a shorter range.",
                )
        return cleaned


class TrendFilterForm(PeriodFilterForm):
    """Trends over time: every filter, hall and exhibit included."""

    hall = forms.ModelChoiceField(
        label="Hall",
        required=False,
        queryset=Hall.objects.order_by("ordering", "name"),
        to_field_name="slug",
        empty_label="All halls",
    )
    exhibit = forms.ModelChoiceField(
        label="Exhibit",
        required=False,
        queryset=Exhibit.objects.select_related("hall").order_by("title"),
        to_field_name="slug",
        empty_label="All exhibits",
    )

    field_order = ["date_from", "date_to", "source", "hall", "exhibit", "period"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        hall, exhibit = cleaned.get("hall"), cleaned.get("exhibit")
        if hall is not None and exhibit is not None and exhibit.hall_id != hall.pk:
            self.add_error("exhibit", f"{exhibit} is not in {hall}.")
        return cleaned
