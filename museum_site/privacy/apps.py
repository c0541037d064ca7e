from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "museum_site.privacy"
    label = "privacy"
    verbose_name = "Privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks and the receiver that deletes a clip's file with its row.
        from museum_site.privacy import checks, signals  # noqa: F401
