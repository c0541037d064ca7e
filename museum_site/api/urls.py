"""``/api/``: version 1 under ``/api/v1/`` (URLPathVersioning), JSON 404 for anything else.

URL names live in the ``api`` namespace; reverse them with ``version="v1"``, e.g.
``reverse("api:exhibit-list", kwargs={"version": "v1"})``.
"""

from django.urls import include, path, re_path

from museum_site.api import docs, views
from museum_site.api.exceptions import not_found

app_name = "api"

v1 = [
    path("halls/", views.HallList.as_view(), name="hall-list"),
    path("halls/<slug:slug>/", views.HallDetail.as_view(), name="hall-detail"),
    path("exhibits/", views.ExhibitList.as_view(), name="exhibit-list"),
    path("exhibits/<slug:slug>/", views.ExhibitDetail.as_view(), name="exhibit-detail"),
    path(
        "exhibits/<slug:slug>/emotions/",
        views.ExhibitEmotions.as_view(),
        name="exhibit-emotions",
    ),
    path("aggregates/", views.MuseumEmotions.as_view(), name="aggregates"),
    path("analyse/", views.Analyse.as_view(), name="analyse"),
    path("me/", views.Me.as_view(), name="me"),
    path("me/visits/", views.MyVisitList.as_view(), name="my-visit-list"),
    path("me/visits/<int:pk>/", views.MyVisitDetail.as_view(), name="my-visit-detail"),
    path("me/readings/", views.MyReadingList.as_view(), name="my-reading-list"),
    path("me/readings/<int:pk>/", views.MyReadingDetail.as_view(), name="my-reading-detail"),
    path("me/recommendations/", views.MyRecommendations.as_view(), name="my-recommendations"),
    path("me/clips/", views.MyClipList.as_view(), name="my-clip-list"),
    path("me/clips/<int:pk>/", views.MyClipDetail.as_view(), name="my-clip-detail"),
    path("me/tokens/", views.MyTokenList.as_view(), name="my-token-list"),
    path("me/tokens/<int:pk>/", views.MyTokenDetail.as_view(), name="my-token-detail"),
    path("me/grants/", views.MyGrantList.as_view(), name="my-grant-list"),
    path("me/grants/<int:pk>/", views.MyGrantDetail.as_view(), name="my-grant-detail"),
    path("partner/visitors/", views.PartnerVisitorList.as_view(), name="partner-visitor-list"),
    path(
        "partner/visitors/<int:pk>/visits/",
        views.PartnerVisitorVisits.as_view(),
        name="partner-visitor-visits",
    ),
    path(
        "partner/visitors/<int:pk>/readings/",
        views.PartnerVisitorReadings.as_view(),
        name="partner-visitor-readings",
    ),
    path(
        "partner/visitors/<int:pk>/recommendations/",
        views.PartnerVisitorRecommendations.as_view(),
        name="partner-visitor-recommendations",
    ),
    path(
        "partner/visitors/<int:pk>/clips/",
        views.PartnerVisitorClips.as_view(),
        name="partner-visitor-clips",
    ),
    path(
        "partner/visitors/<int:pk>/clips/<int:clip_pk>/",
        views.PartnerVisitorClipDetail.as_view(),
        name="partner-visitor-clip-detail",
    ),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.SwaggerView.as_view(), name="docs"),
]

urlpatterns = [
    re_path(r"^(?P<version>v1)/", include(v1)),
    re_path(r"^", not_found),
]
