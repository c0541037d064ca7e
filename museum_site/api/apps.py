from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "museum_site.api"
    label = "api"
    verbose_name = "Partner API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from museum_site.api import checks, schema  # noqa: F401  (system checks, OpenAPI extensions)
