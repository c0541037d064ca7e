"""System checks for the report settings (ids ``reports.E0xx``)."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_min_group_size(app_configs, **kwargs) -> list[Error]:
    size = getattr(settings, "REPORTS_MIN_GROUP_SIZE", None)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        return [
            Error(
                "REPORTS_MIN_GROUP_SIZE must be a positive integer.",
                hint="It is the k of the reports' privacy threshold: groups with fewer "
                "distinct visitors are hidden. Set the REPORTS_MIN_GROUP_SIZE variable.",
                id="reports.E001",
            )
        ]
    return []
