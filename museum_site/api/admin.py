"""Admin for partner API keys (create, revoke), personal tokens and grants (inspect, revoke).

A new key's secret is rendered straight into the response of the "add" form, never put in
a message: Django's message storage may keep messages in a cookie, which is signed but not
encrypted, and the secret must not leave the server except on that one page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from museum_site.api.models import ApiKey, ApiScope, PartnerGrant, VisitorToken, validate_rate
from museum_site.api.services import api_key_create, credential_revoke, partner_grant_revoke


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every key may read halls and exhibits; scopes add more.",
    )
    throttle_rate = forms.CharField(
        required=False,
        max_length=20,
        validators=[validate_rate],
        help_text="Optional, e.g. 1200/minute; empty: the default partner rate.",
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "throttle_rate", "expires_at"]

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return expires_at


@admin.action(description="Revoke selected keys or tokens")
def revoke_credentials(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
    now = timezone.now()
    count = 0
    for credential in queryset.filter(revoked_at__isnull=True):
        credential_revoke(credential=credential, now=now)
        count += 1
    modeladmin.message_user(request, f"{count} revoked.", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scope_list", "status", "created_at", "last_used_at"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = [revoke_credentials]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return ["name", "scopes", "throttle_rate", "expires_at"]
        return [
            "name",
            "prefix",
            "scopes",
            "throttle_rate",
            "expires_at",
            "created_at",
            "created_by",
            "last_used_at",
            "revoked_at",
        ]

    @admin.display(description="Scopes")
    def scope_list(self, api_key: ApiKey) -> str:
        return ", ".join(api_key.scopes) or "—"

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Revoke instead: a revoked key keeps its history (grants, last use) for audits.
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form: forms.Form, change: bool):
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, raw_key = api_key_create(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
            throttle_rate=form.cleaned_data["throttle_rate"],
            created_by=request.user,
        )
        # The admin keeps working with ``obj`` (log entry, redirect): make it the saved key.
        obj.__dict__.update(api_key.__dict__)
        obj._raw_key = raw_key

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        response = TemplateResponse(
            request,
            "api/admin/apikey_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "api_key": obj,
                "raw_key": obj._raw_key,
                "title": "API key created",
            },
        )
        # The page holds a secret: no caching anywhere (the admin adds this too; be explicit).
        patch_cache_control(response, no_store=True, private=True)
        return response


@admin.register(VisitorToken)
class VisitorTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "status", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    actions = [revoke_credentials]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Visitors create their own tokens (POST /api/v1/me/tokens/); staff never see secrets.
        return False


@admin.register(PartnerGrant)
class PartnerGrantAdmin(admin.ModelAdmin):
    list_display = ["visitor", "api_key", "granted_at", "revoked_at"]
    list_select_related = ["visitor__user", "api_key"]
    search_fields = ["visitor__user__username", "api_key__name", "api_key__prefix"]
    readonly_fields = ["visitor", "api_key", "granted_at", "revoked_at"]
    actions = ["revoke_grants"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Only the visitor may grant access to their data.
        return False

    @admin.action(description="Revoke selected grants")
    def revoke_grants(self, request: HttpRequest, queryset: QuerySet[PartnerGrant]) -> None:
        grants = list(queryset.filter(revoked_at__isnull=True))
        for grant in grants:
            partner_grant_revoke(grant=grant)
        self.message_user(request, f"{len(grants)} grant(s) revoked.", messages.SUCCESS)
