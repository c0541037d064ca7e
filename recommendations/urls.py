from django.urls import path

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("me/recommendations/", views.for_you, name="for_you"),
    path("me/plan/", views.visit_plan, name="visit_plan"),
    path("me/emotions/", views.my_visits, name="my_visits"),
    path("me/feedback/<slug:slug>/", views.feedback, name="feedback"),
]
