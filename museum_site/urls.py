"""Root URLconf.

Later features plug in here: the camera pages (``emotions.urls``, namespace ``emotions``),
the API and its docs. Template code probes optional URL names with ``{% optional_url %}``,
so adding a route is enough to make its links appear.
"""

from django.contrib import admin
from django.urls import include, path

from museum_site import health
from museum_site.core import views as core_views
from museum_site.privacy.urls import media_urlpatterns

admin.site.site_header = "Museum emotion platform"
admin.site.site_title = "Museum emotion platform"
admin.site.index_title = "Collection, visitors and visits"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # Staff reports live inside the admin (its login and look); before the admin's catch-all.
    path("admin/reports/", include("museum_site.reports.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("museum_site.api.urls")),
    path("accounts/signup/", core_views.signup, name="signup"),
    # login, logout, password_change(_done), password_reset(_done|_confirm|_complete)
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("emotions.urls")),
    path("", include("museum_site.core.urls")),
    path("", include("museum_site.privacy.urls")),
    path("", include("recommendations.urls")),
]

# Uploaded exhibit images in development (DEBUG only), as downloads and never a clip;
# production serves MEDIA_ROOT from the proxy with the same headers (README.md, "Privacy").
urlpatterns += media_urlpatterns()
