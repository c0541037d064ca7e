"""API v1 views: thin. Each parses input with an ``...Input`` serializer, calls a selector
or service and renders with an ``...Output`` serializer.

Object routes look objects up inside the caller's own data (``visit_get_for``,
``granted_visitor_get``...), so someone else's id is indistinguishable from a missing one:
404, never 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from emotions import clips
from emotions.forms import ClipUploadLimitHandler
from emotions.models import Clip, EmotionReading
from museum_site.api import analysis, permissions, selectors, services
from museum_site.api.exceptions import PayloadTooLarge
from museum_site.api.filters import ExhibitFilter, ReadingFilter
from museum_site.api.models import ApiScope, PartnerGrant, VisitorToken
from museum_site.api.pagination import PageNumberPagination, ReadingCursorPagination
from museum_site.api.parsers import (
    PngParser,
    RawImageParser,
    reject_oversized_body,
)
from museum_site.api.serializers import (
    AggregateQueryInput,
    AnalyseInput,
    AnalyseOutput,
    AnalyseQueryInput,
    ClipInput,
    ClipOutput,
    ExhibitEmotionsOutput,
    ExhibitInput,
    ExhibitOutput,
    GrantedVisitorOutput,
    GrantInput,
    GrantOutput,
    HallInput,
    HallOutput,
    MuseumEmotionsOutput,
    ProfileOutput,
    ReadingOutput,
    RecommendationOutput,
    RecommendationQueryInput,
    TokenCreatedOutput,
    TokenInput,
    TokenOutput,
    VisitOutput,
)
from museum_site.api.throttling import AnalyseRateThrottle, ApiRateThrottle
from museum_site.core import selectors as core_selectors
from museum_site.core import services as core_services
from museum_site.core.models import Exhibit, Hall, Visit, VisitorProfile
from museum_site.reports import selectors as report_selectors
from museum_site.reports.selectors import ReportFilters
from recommendations import selectors as recommendation_selectors

# Multipart adds boundaries and part headers around the image; allow that much on top.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def validated(serializer_class: type[Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def own_profile(request: Request) -> VisitorProfile:
    """The signed-in user's visitor profile (created on first use, as the website does)."""
    return core_services.visitor_profile_get_or_create(user=request.user)


def _get_or_404(queryset: QuerySet, **lookup: Any) -> Any:
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


class _MethodFirst:
    """Answer 405 for a method the route lacks before authentication and permissions run,
    so that the answer does not depend on who asks."""

    http_method_names: list[str]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


class _ApiView(_MethodFirst, APIView):
    pass


class _GenericView(_MethodFirst, generics.GenericAPIView):
    pass


# --- Collection ---------------------------------------------------------------------------


class HallList(_GenericView):
    """Halls in display order. Everyone signed in reads; staff and `exhibits:write` create."""

    permission_classes = [permissions.CollectionPermission]
    queryset = Hall.objects.all()
    pagination_class = PageNumberPagination
    serializer_class = HallOutput

    @extend_schema(responses=HallOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        page = self.paginate_queryset(core_selectors.hall_list())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=HallInput, responses={201: HallOutput})
    def post(self, request: Request, **kwargs: Any) -> Response:
        hall = core_services.hall_create(**validated(HallInput, request.data))
        hall = core_selectors.hall_list().get(pk=hall.pk)
        return Response(self.get_serializer(hall).data, status=status.HTTP_201_CREATED)


class HallDetail(_GenericView):
    permission_classes = [permissions.CollectionPermission]
    queryset = Hall.objects.all()
    serializer_class = HallOutput

    def get_object(self) -> Hall:
        return _get_or_404(core_selectors.hall_list(), slug=self.kwargs["slug"])

    @extend_schema(responses=HallOutput)
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=HallInput(partial=True), responses=HallOutput)
    def patch(self, request: Request, **kwargs: Any) -> Response:
        hall = self.get_object()
        data = validated(HallInput, request.data, partial=True)
        hall = services.hall_update(hall=hall, data=data)
        # Re-read through the selector for the annotated exhibit count (the slug may differ).
        return Response(self.get_serializer(core_selectors.hall_list().get(pk=hall.pk)).data)


class ExhibitList(_GenericView):
    """Exhibits shown to visitors, filterable by hall, tag and words."""

    permission_classes = [permissions.CollectionPermission]
    queryset = Exhibit.objects.all()
    pagination_class = PageNumberPagination
    serializer_class = ExhibitOutput
    filterset_class = ExhibitFilter

    def get_queryset(self) -> QuerySet[Exhibit]:
        return core_selectors.exhibit_list()

    @extend_schema(responses=ExhibitOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        exhibits = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(exhibits)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=ExhibitInput, responses={201: ExhibitOutput})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = validated(ExhibitInput, request.data)
        exhibit = core_services.exhibit_create(**data)
        return Response(self.get_serializer(exhibit).data, status=status.HTTP_201_CREATED)


class ExhibitDetail(_GenericView):
    """One exhibit by its stable slug. Writers also reach inactive (hidden) exhibits."""

    permission_classes = [permissions.CollectionPermission]
    queryset = Exhibit.objects.all()
    serializer_class = ExhibitOutput

    def get_object(self) -> Exhibit:
        writer = permissions.CollectionPermission().can_write(self.request, self)
        exhibits = core_selectors.exhibit_list(include_inactive=writer)
        return _get_or_404(exhibits, slug=self.kwargs["slug"])

    @extend_schema(responses=ExhibitOutput)
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=ExhibitInput(partial=True), responses=ExhibitOutput)
    def patch(self, request: Request, **kwargs: Any) -> Response:
        exhibit = self.get_object()
        data = validated(ExhibitInput, request.data, partial=True)
        tags = data.pop("tags", None)
        services.exhibit_update(exhibit=exhibit, data=data, tags=tags)
        exhibit = _get_or_404(core_selectors.exhibit_list(include_inactive=True), pk=exhibit.pk)
        return Response(self.get_serializer(exhibit).data)


# --- Aggregates ---------------------------------------------------------------------------


class ExhibitEmotions(_ApiView):
    """How an exhibit moved its visitors over some days: emotion mix, valence, dwell.

    Figures come from the staff reports' daily rollup (refreshed every few minutes) and
    are withheld (`hidden`) when fewer than `min_visitors` distinct visitors are behind them.
    """

    permission_classes = [permissions.AggregatesPermission]

    @extend_schema(parameters=[AggregateQueryInput], responses=ExhibitEmotionsOutput)
    def get(self, request: Request, slug: str, **kwargs: Any) -> Response:
        exhibit = _get_or_404(core_selectors.exhibit_list(), slug=slug)
        query = validated(AggregateQueryInput, request.query_params)
        filters = ReportFilters(**query, hall=exhibit.hall, exhibit=exhibit)
        body = {
            **query,
            "min_visitors": report_selectors.min_group_size(),
            "exhibit": exhibit,
            "total": report_selectors.report_total(filters=filters, label=exhibit.title),
        }
        return Response(ExhibitEmotionsOutput(body).data)


class MuseumEmotions(_ApiView):
    """Museum-wide anonymous aggregates: the museum, each hall and each exhibit.

    For partners with `aggregates:read` and for curators (`core.view_reports`). Groups
    behind fewer than `min_visitors` distinct visitors are `hidden`.
    """

    permission_classes = [permissions.MuseumAggregatesPermission]

    @extend_schema(parameters=[AggregateQueryInput], responses=MuseumEmotionsOutput)
    def get(self, request: Request, **kwargs: Any) -> Response:
        query = validated(AggregateQueryInput, request.query_params)
        filters = ReportFilters(**query)
        body = {
            **query,
            "min_visitors": report_selectors.min_group_size(),
            "museum": report_selectors.report_total(filters=filters),
            "halls": report_selectors.report_halls(filters=filters),
            "exhibits": report_selectors.report_exhibits(filters=filters),
        }
        return Response(MuseumEmotionsOutput(body).data)


# --- Image analysis -----------------------------------------------------------------------


class Analyse(_ApiView):
    """Find faces in one JPEG or PNG and estimate their emotions. Nothing is stored.

    Send the image as the body (`Content-Type: image/jpeg` or `image/png`) or as the
    multipart field `image`. Larger than the limit: 413; not an image: 400.
    """

    permission_classes = [permissions.AnalysePermission]
    throttle_classes = [ApiRateThrottle, AnalyseRateThrottle]
    parser_classes = [MultiPartParser, RawImageParser, PngParser]

    @property
    def max_upload_bytes(self) -> int:
        return settings.API_MAX_IMAGE_BYTES

    @extend_schema(
        parameters=[AnalyseQueryInput],
        request={
            "multipart/form-data": AnalyseInput,
            "image/jpeg": OpenApiTypes.BINARY,
            "image/png": OpenApiTypes.BINARY,
        },
        responses=AnalyseOutput,
    )
    def post(self, request: Request, **kwargs: Any) -> Response:
        reject_oversized_body(request, self.max_upload_bytes + MULTIPART_OVERHEAD_BYTES)
        query = validated(AnalyseQueryInput, request.query_params)
        upload = validated(AnalyseInput, request.data)["image"]
        if upload.size > self.max_upload_bytes:
            raise PayloadTooLarge(
                f"The image is {upload.size} bytes; the limit is {self.max_upload_bytes} bytes."
            )
        try:
            result = analysis.image_analyse(data=upload.read(), max_faces=query["max_faces"])
        except analysis.ImageRejected as exc:
            raise serializers.ValidationError({"image": [str(exc)]}) from None
        faces = [face.to_dict() for face in result.faces]
        body = {
            "width": result.width,
            "height": result.height,
            "face_count": len(faces),
            "faces": faces,
        }
        return Response(AnalyseOutput(body).data)


# --- The signed-in visitor's own data -----------------------------------------------------
#
# Each view names a model-only ``queryset`` (``.none()``) for the schema generator and the
# filter backend; the rows always come from a selector scoped to the caller.


class Me(_ApiView):
    """The signed-in visitor's profile and consent state."""

    permission_classes = [permissions.IsUser]

    @extend_schema(responses=ProfileOutput)
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(ProfileOutput(own_profile(request)).data)


class _ListView(_GenericView):
    pagination_class = PageNumberPagination

    def list_response(self, rows: QuerySet) -> Response:
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MyVisitList(_ListView):
    """The signed-in visitor's visits, newest first, with the exhibits seen."""

    permission_classes = [permissions.IsUser]
    queryset = Visit.objects.none()
    serializer_class = VisitOutput

    @extend_schema(responses=VisitOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.list_response(core_selectors.visit_list_for(visitor=own_profile(request)))


class MyVisitDetail(_GenericView):
    permission_classes = [permissions.IsUser]
    queryset = Visit.objects.none()
    serializer_class = VisitOutput

    def get(self, request: Request, pk: int, **kwargs: Any) -> Response:
        try:
            visit = core_selectors.visit_get_for(visitor=own_profile(request), pk=pk)
        except Visit.DoesNotExist:
            raise Http404 from None
        return Response(self.get_serializer(visit).data)


class MyRecommendations(_ApiView):
    """Exhibits the signed-in visitor has not seen yet, best first, each with its reason."""

    permission_classes = [permissions.IsUser]

    @extend_schema(parameters=[RecommendationQueryInput], responses=RecommendationOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        limit = validated(RecommendationQueryInput, request.query_params)["limit"]
        recommendations = recommendation_selectors.exhibit_recommendations_for(
            visitor=own_profile(request), limit=limit
        )
        return Response(RecommendationOutput(recommendations, many=True).data)


class MyReadingList(_ListView):
    """The signed-in visitor's emotion readings, newest first (cursor pagination)."""

    permission_classes = [permissions.IsUser]
    queryset = EmotionReading.objects.none()
    pagination_class = ReadingCursorPagination
    serializer_class = ReadingOutput
    filterset_class = ReadingFilter

    @extend_schema(responses=ReadingOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.list_response(selectors.reading_list_for(visitor=own_profile(request)))


class MyReadingDetail(_GenericView):
    permission_classes = [permissions.IsUser]
    queryset = EmotionReading.objects.none()
    serializer_class = ReadingOutput

    def get(self, request: Request, pk: int, **kwargs: Any) -> Response:
        readings = selectors.reading_list_for(visitor=own_profile(request))
        return Response(self.get_serializer(_get_or_404(readings, pk=pk)).data)


class MyTokenList(_ListView):
    """Personal tokens: use one as `Authorization: Bearer <token>` in your own apps.

    Creating one needs the browser session; the full token is in that answer only.
    """

    permission_classes = [permissions.IsSessionUserForWrites]
    queryset = VisitorToken.objects.none()
    serializer_class = TokenOutput

    @extend_schema(responses=TokenOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.list_response(selectors.visitor_token_list_for(user=request.user))

    @extend_schema(request=TokenInput, responses={201: TokenCreatedOutput})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = validated(TokenInput, request.data)
        token, raw_key = services.visitor_token_create(user=request.user, **data)
        token.key = raw_key
        return Response(TokenCreatedOutput(token).data, status=status.HTTP_201_CREATED)


class MyTokenDetail(_GenericView):
    permission_classes = [permissions.IsSessionUserForWrites]
    queryset = VisitorToken.objects.none()
    serializer_class = TokenOutput

    def get_object(self) -> VisitorToken:
        tokens = selectors.visitor_token_list_for(user=self.request.user)
        return _get_or_404(tokens, pk=self.kwargs["pk"])

    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, **kwargs: Any) -> Response:
        services.credential_revoke(credential=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyGrantList(_ListView):
    """Partner applications you let read your data (and, with clips:write, send clips).

    Grant one with the identifier the partner shows you; revoke it any time.
    """

    permission_classes = [permissions.IsSessionUserForWrites]
    queryset = PartnerGrant.objects.none()
    serializer_class = GrantOutput

    @extend_schema(responses=GrantOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.list_response(selectors.partner_grant_list_for(visitor=own_profile(request)))

    @extend_schema(request=GrantInput, responses={201: GrantOutput})
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = validated(GrantInput, request.data)
        grant = services.partner_grant_create(
            visitor=own_profile(request), partner_prefix=data["partner"]
        )
        return Response(self.get_serializer(grant).data, status=status.HTTP_201_CREATED)


class MyGrantDetail(_GenericView):
    permission_classes = [permissions.IsSessionUserForWrites]
    queryset = PartnerGrant.objects.none()
    serializer_class = GrantOutput

    def get_object(self) -> PartnerGrant:
        grants = selectors.partner_grant_list_for(visitor=own_profile(self.request))
        return _get_or_404(grants, pk=self.kwargs["pk"])

    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, **kwargs: Any) -> Response:
        services.partner_grant_revoke(grant=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Clips ----------------------------------------------------------------------------------


class _ClipUploadView(_ListView):
    """Multipart clip uploads, bounded like the website's: refused on the declared length
    before any byte is read, and cut off by ``ClipUploadLimitHandler`` once the file passes
    ``CLIP_MAX_BYTES`` (a chunked body declares nothing)."""

    queryset = Clip.objects.none()
    serializer_class = ClipOutput
    parser_classes = [MultiPartParser]
    clip_limit: ClipUploadLimitHandler | None = None

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Upload handlers must be in place before anything reads the body, the session
        # authentication's CSRF check included, so this happens before initial().
        if request.method == "POST":
            self.clip_limit = ClipUploadLimitHandler(request)
            request.upload_handlers = [self.clip_limit, TemporaryFileUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method == "POST":
            reject_oversized_body(request, settings.CLIP_MAX_BYTES + MULTIPART_OVERHEAD_BYTES)
        super().initial(request, *args, **kwargs)

    def clip_upload(self, request: Request, visitor: VisitorProfile) -> Response:
        payload = request.data  # parses the body (if the CSRF check has not already)
        if self.clip_limit is not None and self.clip_limit.exceeded:
            raise PayloadTooLarge(clips.clip_too_large_message(0))
        data = validated(ClipInput, payload)
        if not visitor.has_current_consent():
            raise PermissionDenied("The visitor has not consented to emotion analysis.")
        try:
            exhibit = core_selectors.exhibit_get(slug=data["exhibit"])
        except Exhibit.DoesNotExist:
            raise serializers.ValidationError(
                {"exhibit": ["No exhibit on display has this slug."]}
            ) from None
        try:
            # Together or not at all: a refused video must not leave a visit behind.
            with transaction.atomic():
                clip = clips.clip_create(
                    visitor=visitor,
                    exhibit=exhibit,
                    file=data["file"],
                    visit=core_services.visit_start(visitor=visitor, exhibit=exhibit),
                )
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) == "too_large":
                raise PayloadTooLarge(exc.messages[0]) from None
            raise serializers.ValidationError({"file": exc.messages}) from None
        return Response(ClipOutput(clip).data, status=status.HTTP_201_CREATED)


class MyClipList(_ClipUploadView):
    """The signed-in visitor's clips, and sending a new one (multipart: `exhibit`, `file`).

    The analysis runs in the background: poll the clip until `finished`.
    """

    permission_classes = [permissions.IsUser]

    @extend_schema(responses=ClipOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.list_response(clips.clip_list_for(visitor=own_profile(request)))

    @extend_schema(request={"multipart/form-data": ClipInput}, responses={201: ClipOutput})
    def post(self, request: Request, **kwargs: Any) -> Response:
        return self.clip_upload(request, own_profile(request))


class MyClipDetail(_GenericView):
    """One of the visitor's clips: status, progress and, once done, its timeline."""

    permission_classes = [permissions.IsUser]
    queryset = Clip.objects.none()
    serializer_class = ClipOutput

    def get(self, request: Request, pk: int, **kwargs: Any) -> Response:
        own = clips.clip_list_for(visitor=own_profile(request))
        return Response(self.get_serializer(_get_or_404(own, pk=pk)).data)


# --- Partners: visitors who granted access ------------------------------------------------


class _GrantedVisitorView(_ListView):
    permission_classes = [permissions.partner_scope(ApiScope.VISITORS_READ)]

    def granted_visitor(self) -> VisitorProfile:
        key = permissions.partner_key(self.request)
        try:
            return selectors.granted_visitor_get(api_key=key, pk=self.kwargs["pk"])
        except VisitorProfile.DoesNotExist:
            raise Http404 from None


class PartnerVisitorList(_GrantedVisitorView):
    """Visitors who currently let this key read their data (scope `visitors:read`)."""

    queryset = VisitorProfile.objects.none()
    serializer_class = GrantedVisitorOutput

    @extend_schema(responses=GrantedVisitorOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        key = permissions.partner_key(request)
        return self.list_response(selectors.granted_visitor_list(api_key=key))


class PartnerVisitorVisits(_GrantedVisitorView):
    """A granting visitor's visits; any other visitor id is 404."""

    queryset = Visit.objects.none()
    serializer_class = VisitOutput

    @extend_schema(responses=VisitOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.list_response(core_selectors.visit_list_for(visitor=self.granted_visitor()))


class PartnerVisitorReadings(_GrantedVisitorView):
    """A granting visitor's readings (cursor pagination); any other visitor id is 404."""

    queryset = EmotionReading.objects.none()
    pagination_class = ReadingCursorPagination
    serializer_class = ReadingOutput
    filterset_class = ReadingFilter

    @extend_schema(responses=ReadingOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.list_response(selectors.reading_list_for(visitor=self.granted_visitor()))


class PartnerVisitorClips(_GrantedVisitorView, _ClipUploadView):
    """A granting visitor's clips; `clips:write` sends one for them (multipart)."""

    permission_classes = [permissions.PartnerClipPermission]

    @extend_schema(responses=ClipOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.list_response(clips.clip_list_for(visitor=self.granted_visitor()))

    @extend_schema(request={"multipart/form-data": ClipInput}, responses={201: ClipOutput})
    def post(self, request: Request, **kwargs: Any) -> Response:
        return self.clip_upload(request, self.granted_visitor())


class PartnerVisitorClipDetail(_GrantedVisitorView):
    permission_classes = [permissions.PartnerClipPermission]
    queryset = Clip.objects.none()
    serializer_class = ClipOutput

    def get(self, request: Request, clip_pk: int, **kwargs: Any) -> Response:
        own = clips.clip_list_for(visitor=self.granted_visitor())
        return Response(self.get_serializer(_get_or_404(own, pk=clip_pk)).data)


class PartnerVisitorRecommendations(_GrantedVisitorView):
    """A granting visitor's recommendations (scope `visitors:read`)."""

    queryset = VisitorProfile.objects.none()
    pagination_class = None  # a short ranked list (?limit=), not pages

    @extend_schema(parameters=[RecommendationQueryInput], responses=RecommendationOutput(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        limit = validated(RecommendationQueryInput, request.query_params)["limit"]
        recommendations = recommendation_selectors.exhibit_recommendations_for(
            visitor=self.granted_visitor(), limit=limit
        )
        return Response(RecommendationOutput(recommendations, many=True).data)
