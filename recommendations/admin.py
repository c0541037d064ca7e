"""Admin: the recommender's derived tables are read-only; feedback can be inspected or removed."""

from django.contrib import admin

from recommendations.models import (
    ExhibitFingerprint,
    ExhibitNeighbour,
    ExhibitPopularity,
    VisitorExhibitFeedback,
)


class DerivedAdmin(admin.ModelAdmin):
    """Rows rebuilt by the Celery beat task: editing them would be overwritten within the hour."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExhibitFingerprint)
class ExhibitFingerprintAdmin(DerivedAdmin):
    list_display = (
        "exhibit",
        "dominant",
        "valence",
        "arousal",
        "reading_count",
        "visitor_count",
        "confidence",
        "updated_at",
    )
    list_filter = ("exhibit__hall",)
    search_fields = ("exhibit__title",)
    list_select_related = ("exhibit",)


@admin.register(ExhibitPopularity)
class ExhibitPopularityAdmin(DerivedAdmin):
    list_display = ("exhibit", "recent_visitors", "score", "updated_at")
    list_filter = ("exhibit__hall",)
    search_fields = ("exhibit__title",)
    list_select_related = ("exhibit",)


@admin.register(ExhibitNeighbour)
class ExhibitNeighbourAdmin(DerivedAdmin):
    list_display = ("exhibit", "channel", "neighbour", "score", "support")
    list_filter = ("channel", "exhibit__hall")
    search_fields = ("exhibit__title", "neighbour__title")
    list_select_related = ("exhibit", "neighbour")


@admin.register(VisitorExhibitFeedback)
class VisitorExhibitFeedbackAdmin(admin.ModelAdmin):
    list_display = ("visitor", "exhibit", "rating", "hidden", "updated_at")
    list_filter = ("hidden", "rating", "exhibit__hall")
    search_fields = ("exhibit__title", "visitor__user__username")
    list_select_related = ("visitor__user", "exhibit")
    raw_id_fields = ("visitor", "exhibit")

    def has_add_permission(self, request) -> bool:
        # The visitor's own word: staff may look at it or delete it, never write it for them.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
