"""Server-rendered pages: the public collection, accounts and the visitor's own pages.

Views stay thin: they parse the request, call a selector or service and render.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from museum_site.core import selectors, services
from museum_site.core.forms import ExhibitFilterForm, SignUpForm
from museum_site.core.models import Exhibit, Hall, Visit

EXHIBITS_PER_PAGE = 12
VISITS_PER_PAGE = 10


def _paginate(request: HttpRequest, items, per_page: int) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "halls": selectors.hall_list(),
        "recent_exhibits": selectors.exhibit_list().order_by("-created", "-pk")[:6],
    }
    return render(request, "core/home.html", context)


@require_GET
def hall_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/hall_list.html", {"halls": selectors.hall_list()})


@require_GET
def hall_detail(request: HttpRequest, slug: str) -> HttpResponse:
    hall = get_object_or_404(Hall, slug=slug)
    page = _paginate(request, selectors.exhibit_list(hall=hall), EXHIBITS_PER_PAGE)
    return render(request, "core/hall_detail.html", {"hall": hall, "page": page})


@require_GET
def exhibit_list(request: HttpRequest) -> HttpResponse:
    form = ExhibitFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    exhibits = selectors.exhibit_list(
        hall=filters.get("hall"), search=filters.get("q"), tag=filters.get("tag")
    )
    page = _paginate(request, exhibits, EXHIBITS_PER_PAGE)
    # Pagination links keep the filters: everything in the query string except the page.
    kept = [(key, value) for key, value in request.GET.items() if key != "page" and value]
    context = {
        "form": form,
        "page": page,
        "filtered": bool(kept),
        "querystring": urlencode(kept),
    }
    return render(request, "core/exhibit_list.html", context)


@require_GET
def exhibit_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Staff may preview inactive exhibits; visitors get a 404 for them.
    try:
        exhibit = selectors.exhibit_get(slug=slug, include_inactive=request.user.is_staff)
    except Exhibit.DoesNotExist:
        raise Http404("No such exhibit.") from None
    return render(request, "core/exhibit_detail.html", {"exhibit": exhibit})


@require_GET
def exhibit_short(request: HttpRequest, slug: str) -> HttpResponse:
    """``/e/<slug>/``: the short address printed as a QR code beside the exhibit.

    A temporary redirect, so that the canonical address may change without browsers
    having cached the old target.
    """
    exhibit = get_object_or_404(Exhibit, slug=slug)
    return redirect(exhibit)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your account is ready.")
        # New visitors read the consent notice first; it leads on to their page.
        query = urlencode({"next": reverse("core:visitor_home")})
        return redirect(f"{reverse('core:consent')}?{query}")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_GET
def visitor_home(request: HttpRequest) -> HttpResponse:
    profile = services.visitor_profile_get_or_create(user=request.user)
    page = _paginate(request, selectors.visit_list_for(visitor=profile), VISITS_PER_PAGE)
    return render(request, "core/visitor_home.html", {"profile": profile, "page": page})


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = services.visitor_profile_get_or_create(user=request.user)
    try:
        visit = selectors.visit_get_for(visitor=profile, pk=pk)
    except Visit.DoesNotExist:
        # Someone else's visit looks exactly like a missing one.
        raise Http404("No such visit.") from None
    return render(request, "core/visit_detail.html", {"profile": profile, "visit": visit})
