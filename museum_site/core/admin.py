from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from museum_site.core.models import Exhibit, Hall, Tag, Visit, VisitExhibit, VisitorProfile
from museum_site.core.templatetags.museum_tags import duration
from museum_site.privacy.admin import (
    ConsentRecordInline,
    erase_visitor_data,
    export_visitor_data,
)


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "floor", "ordering", "exhibit_count"]
    list_filter = ["floor"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["ordering", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Hall]:
        return super().get_queryset(request).annotate(_exhibit_count=Count("exhibits"))

    @admin.display(description="Exhibits", ordering="_exhibit_count")
    def exhibit_count(self, hall: Hall) -> int:
        return hall._exhibit_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "exhibit_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(_exhibit_count=Count("exhibits"))

    @admin.display(description="Exhibits", ordering="_exhibit_count")
    def exhibit_count(self, tag: Tag) -> int:
        return tag._exhibit_count


@admin.register(Exhibit)
class ExhibitAdmin(admin.ModelAdmin):
    list_display = ["title", "hall", "artist", "year", "active", "updated"]
    list_filter = ["active", "hall", "tags"]
    list_select_related = ["hall"]
    search_fields = ["title", "slug", "description", "artist", "tags__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["hall", "tags"]
    readonly_fields = ["created", "updated"]
    date_hierarchy = "created"
    actions = ["make_active", "make_inactive"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "hall", "active"]}),
        ("Description", {"fields": ["description", "artist", "year", "tags", "image"]}),
        ("History", {"fields": ["created", "updated"], "classes": ["collapse"]}),
    ]

    @admin.action(description="Show selected exhibits to visitors", permissions=["change"])
    def make_active(self, request: HttpRequest, queryset: QuerySet[Exhibit]) -> None:
        count = queryset.update(active=True)
        self.message_user(request, f"{count} exhibit(s) are now shown.", messages.SUCCESS)

    @admin.action(description="Hide selected exhibits from visitors", permissions=["change"])
    def make_inactive(self, request: HttpRequest, queryset: QuerySet[Exhibit]) -> None:
        count = queryset.update(active=False)
        self.message_user(request, f"{count} exhibit(s) are now hidden.", messages.SUCCESS)


@admin.register(VisitorProfile)
class VisitorProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "display_name",
        "consent_version",
        "consent_given_at",
        "consent_withdrawn_at",
        "keep_media",
        "created_at",
    ]
    list_filter = ["consent_version", "keep_media", "consent_withdrawn_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "display_name"]
    autocomplete_fields = ["user"]
    # Consent is the visitor's own act, recorded with its history by the privacy services:
    # staff can see it here but not set it.
    readonly_fields = [
        "created_at",
        "consent_version",
        "consent_given_at",
        "consent_withdrawn_at",
        "keep_media",
    ]
    ordering = ["user__username"]
    # Data rights run by staff on a visitor's behalf (museum_site/privacy).
    actions = [export_visitor_data, erase_visitor_data]
    inlines = [ConsentRecordInline]


class VisitExhibitInline(admin.TabularInline):
    model = VisitExhibit
    extra = 0
    autocomplete_fields = ["exhibit"]
    fields = ["exhibit", "first_seen", "last_seen", "dwell_seconds"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "visitor", "started_at", "ended_at", "visit_length", "stops"]
    list_filter = ["started_at", "ended_at"]
    list_select_related = ["visitor__user"]
    search_fields = ["visitor__user__username", "visitor__display_name"]
    autocomplete_fields = ["visitor"]
    date_hierarchy = "started_at"
    inlines = [VisitExhibitInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visit]:
        return super().get_queryset(request).annotate(_stops=Count("visit_exhibits"))

    @admin.display(description="Length")
    def visit_length(self, visit: Visit) -> str:
        return duration(visit.duration()) + (" (ongoing)" if visit.is_open else "")

    @admin.display(description="Exhibits", ordering="_stops")
    def stops(self, visit: Visit) -> int:
        return visit._stops


@admin.register(VisitExhibit)
class VisitExhibitAdmin(admin.ModelAdmin):
    list_display = ["exhibit", "visit", "first_seen", "last_seen", "dwell_seconds"]
    list_filter = ["exhibit__hall", "first_seen"]
    list_select_related = ["exhibit", "visit__visitor__user"]
    search_fields = ["exhibit__title", "visit__visitor__user__username"]
    autocomplete_fields = ["visit", "exhibit"]
    date_hierarchy = "first_seen"
