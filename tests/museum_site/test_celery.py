"""The Celery app: configured from Django settings; eager without REDIS_URL."""

from django.conf import settings

from museum_site import celery_app


@celery_app.task
def _add(x: int, y: int) -> int:
    return x + y


def test_it_reads_its_configuration_from_django_settings():
    assert celery_app.main == "museum_site"
    assert celery_app.conf.task_always_eager is settings.CELERY_TASK_ALWAYS_EAGER
    assert celery_app.conf.task_serializer == "json"


def test_it_runs_tasks_in_process_without_redis():
    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert _add.delay(2, 3).get(timeout=5) == 5
