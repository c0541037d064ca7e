from django.apps import AppConfig


class EmotionsConfig(AppConfig):
    name = "emotions"
    verbose_name = "Emotions"
    default_auto_field = "django.db.models.BigAutoField"
