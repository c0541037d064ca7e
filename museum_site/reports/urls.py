"""Report pages, routed under ``/admin/reports/`` (before the admin's own URLs)."""

from django.urls import path

from museum_site.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("halls/<slug:slug>/", views.hall, name="hall"),
    path("exhibits/", views.exhibits, name="exhibits"),
    path("exhibits/<slug:slug>/", views.exhibit, name="exhibit"),
    path("trends/", views.trends, name="trends"),
    path("refresh/", views.refresh, name="refresh"),
]
