"""Admin: the consent history (read-only), and the export and erasure actions that
``museum_site/core/admin.py`` puts on visitor profiles."""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from museum_site.core.models import VisitorProfile
from museum_site.privacy import services
from museum_site.privacy.models import ConsentRecord
from museum_site.privacy.services import EXPORT_FORMAT
from museum_site.privacy.views import export_response

logger = logging.getLogger(__name__)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["recorded_at", "visitor", "action", "version", "keep_media"]
    list_filter = ["action", "version", "keep_media"]
    list_select_related = ["visitor__user"]
    search_fields = ["visitor__user__username", "visitor__display_name"]
    date_hierarchy = "recorded_at"
    readonly_fields = ["visitor", "action", "version", "notice_sha256", "keep_media", "recorded_at"]

    # Append-only evidence: nobody adds, edits or deletes records by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ConsentRecordInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = readonly_fields = ["recorded_at", "action", "version", "keep_media", "notice_sha256"]
    ordering = ["-recorded_at", "-pk"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.action(description="Download selected visitors' data (JSON)", permissions=["change"])
def export_visitor_data(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VisitorProfile]
) -> HttpResponse:
    profiles = list(queryset.select_related("user").order_by("pk"))
    logger.info(
        "Staff user %s exported the data of visitor profiles %s",
        request.user.pk,
        [profile.pk for profile in profiles],
    )
    if len(profiles) == 1:
        return export_response(services.visitor_export(profile=profiles[0]), name=profiles[0].user)
    bundle = {
        "format": EXPORT_FORMAT,
        "visitors": [services.visitor_export(profile=profile) for profile in profiles],
    }
    return export_response(bundle, name=f"{len(profiles)}-visitors")


@admin.action(description="Erase selected visitors' accounts and data…", permissions=["delete"])
def erase_visitor_data(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VisitorProfile]
) -> HttpResponse | None:
    """Like ``delete_selected``: a confirmation page first, the erasure on its POST."""
    profiles = list(queryset.select_related("user").order_by("user__username"))
    refused = [p for p in profiles if p.user.is_staff or p.user.is_superuser]
    erasable = [p for p in profiles if p not in refused]
    if request.POST.get("post") == "yes":
        erased = 0
        for profile in erasable:
            try:
                services.visitor_erase(profile=profile)
            except ValidationError as error:
                modeladmin.message_user(request, f"{profile}: {error.messages[0]}", messages.ERROR)
            else:
                erased += 1
        logger.info("Staff user %s erased %d visitor account(s)", request.user.pk, erased)
        modeladmin.message_user(
            request, f"Erased {erased} visitor account(s) and their data.", messages.SUCCESS
        )
        if refused:
            modeladmin.message_user(
                request,
                f"Not erased (staff accounts): {', '.join(str(p) for p in refused)}.",
                messages.WARNING,
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Erase visitors' accounts and data?",
        "opts": modeladmin.model._meta,
        "erasable": erasable,
        "refused": refused,
        "queryset": queryset,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/privacy/erase_confirmation.html", context)
