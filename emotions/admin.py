from django.contrib import admin

from emotions.models import Clip, EmotionReading


@admin.register(EmotionReading)
class EmotionReadingAdmin(admin.ModelAdmin):
    list_display = (
        "recorded_at",
        "exhibit",
        "visitor",
        "source",
        "label",
        "confidence",
        "face_count",
    )
    list_filter = ("source", "label", "exhibit__hall", "recorded_at")
    search_fields = ("exhibit__title", "visitor__display_name", "visitor__user__username")
    date_hierarchy = "recorded_at"
    list_select_related = ("exhibit", "visitor__user")
    raw_id_fields = ("visitor", "visit", "exhibit", "clip")

    def has_change_permission(self, request, obj=None) -> bool:
        # Readings are measurements: staff may inspect or delete them, never edit them.
        return False


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    list_display = ("pk", "created_at", "exhibit", "visitor", "status", "progress", "keep_file")
    list_filter = ("status", "keep_file", "exhibit__hall")
    search_fields = ("exhibit__title", "visitor__user__username", "original_name")
    date_hierarchy = "created_at"
    list_select_related = ("exhibit", "visitor__user")
    raw_id_fields = ("visitor", "visit", "exhibit")
    readonly_fields = ("status", "progress", "error", "timeline", "started_at", "finished_at")
