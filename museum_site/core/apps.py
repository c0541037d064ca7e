from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "museum_site.core"
    label = "core"
    verbose_name = "Museum"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from museum_site.core import checks  # noqa: F401  (registers the system checks)
