"""Celery wiring only: configuration comes from Django settings (``CELERY_*``).

Without ``REDIS_URL`` the settings make tasks run eagerly in the calling process; with it
a worker is needed: ``celery -A museum_site worker -l info``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "museum_site.settings")

app = Celery("museum_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
