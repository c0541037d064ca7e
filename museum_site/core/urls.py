from django.urls import path

from museum_site.core import views
from museum_site.privacy import views as privacy_views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("halls/", views.hall_list, name="hall_list"),
    path("halls/<slug:slug>/", views.hall_detail, name="hall_detail"),
    path("exhibits/", views.exhibit_list, name="exhibit_list"),
    # The canonical, stable address of an exhibit ...
    path("exhibits/<slug:slug>/", views.exhibit_detail, name="exhibit_detail"),
    # ... and the short alias printed as a QR code on the exhibit's label.
    path("e/<slug:slug>/", views.exhibit_short, name="exhibit_short"),
    path("me/", views.visitor_home, name="visitor_home"),
    path("me/visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    # The consent notice belongs to the privacy app; the name stays core:consent.
    path("consent/", privacy_views.consent, name="consent"),
]
