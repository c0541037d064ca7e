from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """Expose the museum's name to every template as ``site_name``."""
    return {"site_name": settings.SITE_NAME}
