"""Who may do what. Every class fails closed: an unknown caller is refused.

Refusals before authentication become 401 (DRF asks the first authenticator for a
challenge); refusals of an authenticated caller become 403 with the ``message`` set here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from museum_site.api.models import ApiKey, ApiScope
from museum_site.core.models import VisitorProfile

if TYPE_CHECKING:
    from rest_framework.views import APIView


def partner_key(request: Request) -> ApiKey | None:
    """The partner's key when the caller authenticated with one."""
    return request.auth if isinstance(request.auth, ApiKey) else None


def is_user(request: Request) -> bool:
    """A signed-in person (session or personal token), not a partner application."""
    return partner_key(request) is None and bool(request.user and request.user.is_authenticated)


def visitor_profile(request: Request) -> VisitorProfile | None:
    if not is_user(request):
        return None
    # A reverse one-to-one raises a subclass of AttributeError when the row is missing.
    return getattr(request.user, "visitor_profile", None)


class IsSignedInOrPartner(BasePermission):
    """Any signed-in user or any live partner key: the default for read-only data."""

    message = "Sign in or send a partner API key."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return partner_key(request) is not None or is_user(request)


class IsUser(BasePermission):
    """Signed-in people only. Partner keys never see an individual visitor's data here."""

    message = (
        "Partner API keys cannot use this route: it serves a visitor's own data. "
        "Partners read granted visitors under /partner/visitors/."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_user(request)


class IsSessionUserForWrites(IsUser):
    """Reading with a token is fine; creating or revoking credentials needs the browser
    session (password sign-in), so a leaked token cannot mint or extend access."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not is_user(request):
            return False
        if request.method in SAFE_METHODS:
            return True
        if isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        self.message = "Tokens and grants can only be changed from a signed-in browser session."
        return False


class _ScopePermission(BasePermission):
    scope: str = ""

    def has_partner_scope(self, request: Request) -> bool:
        key = partner_key(request)
        if key is None:
            return False
        if key.has_scope(self.scope):
            return True
        self.message = f"This API key lacks the '{self.scope}' scope."
        return False


class PartnerScope(_ScopePermission):
    """Partner keys holding ``scope``; nobody else."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if partner_key(request) is None:
            self.message = "Only partner API keys may use this route."
            return False
        return self.has_partner_scope(request)


def partner_scope(scope: str) -> type[PartnerScope]:
    return type(f"PartnerScope_{scope}", (PartnerScope,), {"scope": scope})


class CollectionPermission(_ScopePermission):
    """Halls and exhibits: everyone signed in reads; writers need ``exhibits:write`` (keys)
    or the matching model permission (staff such as ``core.change_exhibit``; curators are
    staff but hold only view permissions, so they cannot write)."""

    scope = ApiScope.EXHIBITS_WRITE
    action_for_method = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return partner_key(request) is not None or is_user(request)
        action = self.action_for_method.get(request.method or "", "change")
        return self.can_write(request, view, action=action)

    def can_write(self, request: Request, view: APIView, *, action: str = "change") -> bool:
        if partner_key(request) is not None:
            return self.has_partner_scope(request)
        if not is_user(request):
            return False
        model = view.queryset.model
        if request.user.has_perm(f"core.{action}_{model._meta.model_name}"):
            return True
        self.message = "You may read the collection but not change it."
        return False


class AggregatesPermission(_ScopePermission):
    """Anonymous aggregates: signed-in users, or partner keys with ``aggregates:read``."""

    scope = ApiScope.AGGREGATES_READ

    def has_permission(self, request: Request, view: APIView) -> bool:
        if partner_key(request) is not None:
            return self.has_partner_scope(request)
        return is_user(request)


class MuseumAggregatesPermission(AggregatesPermission):
    """Museum-wide figures are a report: partners with the scope, or people holding
    ``core.view_reports`` (curators, superusers)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if partner_key(request) is not None:
            return self.has_partner_scope(request)
        if not is_user(request):
            return False
        if request.user.has_perm("core.view_reports"):
            return True
        self.message = "Museum-wide figures are for curators and partners."
        return False


class AnalysePermission(_ScopePermission):
    """Single-image analysis: partner keys with ``analyse``, or visitors who consented to
    emotion analysis (it is their face they send)."""

    scope = ApiScope.ANALYSE

    def has_permission(self, request: Request, view: APIView) -> bool:
        if partner_key(request) is not None:
            return self.has_partner_scope(request)
        if not is_user(request):
            return False
        profile = visitor_profile(request)
        if profile is not None and profile.has_current_consent():
            return True
        self.message = "Give consent to emotion analysis on the consent page first."
        return False


class PartnerClipPermission(_ScopePermission):
    """Clips of granting visitors: uploading needs ``clips:write``; following their status
    needs ``clips:write`` or ``visitors:read``."""

    scope = ApiScope.CLIPS_WRITE

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = partner_key(request)
        if key is None:
            self.message = "Only partner API keys may use this route."
            return False
        if request.method in SAFE_METHODS and key.has_scope(ApiScope.VISITORS_READ):
            return True
        return self.has_partner_scope(request)
