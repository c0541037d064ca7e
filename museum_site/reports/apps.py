from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Staff reports in the admin: how exhibits make people feel (anonymous aggregates only)."""

    name = "museum_site.reports"
    label = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from museum_site.reports import checks  # noqa: F401  (registers the system checks)
