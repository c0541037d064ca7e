"""Pages of the emotions app (namespace ``emotions``); WebSocket routes are in ``routing.py``."""

from django.urls import path

from emotions import views, views_clips

app_name = "emotions"

urlpatterns = [
    # Live camera: the page, and its WebSocket at routing.py's ws/exhibits/<slug>/camera/.
    path("exhibits/<slug:slug>/camera/", views.camera, name="camera"),
    path("staff/hall-mood/", views.hall_mood, name="hall_mood"),
    # Recorded clips: upload or record, then follow the analysis and see the timeline.
    path("exhibits/<slug:slug>/clips/new/", views_clips.clip_upload, name="clip_upload"),
    path("me/clips/<int:pk>/", views_clips.clip_detail, name="clip_detail"),
    path("me/clips/<int:pk>/status/", views_clips.clip_status, name="clip_status"),
]
