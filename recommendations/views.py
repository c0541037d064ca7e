"""The visitor's recommendation pages and the feedback form. Thin: parse, call, render.

Every page works on ``request.user``'s own profile only; no URL names another visitor.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from museum_site.core import selectors as core_selectors
from museum_site.core import services as core_services
from museum_site.core.models import Exhibit
from recommendations import selectors, services
from recommendations.forms import RATING_CHOICES, FeedbackForm

RECOMMENDATIONS_SHOWN = 6
PLAN_STOPS = 8
VISITS_PER_PAGE = 5


@login_required
@require_GET
def for_you(request: HttpRequest) -> HttpResponse:
    profile = core_services.visitor_profile_get_or_create(user=request.user)
    recommendations = selectors.exhibit_recommendations_for(
        visitor=profile, limit=RECOMMENDATIONS_SHOWN
    )
    context = {
        "profile": profile,
        "recommendations": recommendations,
        "has_history": profile.visits.exists() or bool(selectors.feedback_for(visitor=profile)),
        "hidden": selectors.hidden_exhibits_for(visitor=profile),
    }
    return render(request, "recommendations/for_you.html", context)


@login_required
@require_GET
def visit_plan(request: HttpRequest) -> HttpResponse:
    profile = core_services.visitor_profile_get_or_create(user=request.user)
    plan = selectors.next_visit_plan_for(visitor=profile, limit=PLAN_STOPS)
    return render(request, "recommendations/visit_plan.html", {"profile": profile, "plan": plan})


@login_required
@require_GET
def my_visits(request: HttpRequest) -> HttpResponse:
    profile = core_services.visitor_profile_get_or_create(user=request.user)
    visits = core_selectors.visit_list_for(visitor=profile)
    page = Paginator(visits, VISITS_PER_PAGE).get_page(request.GET.get("page"))
    emotions = selectors.visit_emotions_for(visitor=profile, visits=page.object_list)
    seen_ids = {stop.exhibit_id for visit in page for stop in visit.visit_exhibits.all()}
    feedback = selectors.feedback_for(visitor=profile, exhibit_ids=seen_ids)
    timeline = [
        {
            "visit": visit,
            "stops": [
                {
                    "stop": stop,
                    "emotions": emotions.get((visit.pk, stop.exhibit_id)),
                    "feedback": feedback.get(stop.exhibit_id),
                }
                for stop in visit.visit_exhibits.all()
            ],
        }
        for visit in page
    ]
    responses = selectors.strongest_responses_for(visitor=profile)
    chart = {
        "labels": [response.exhibit.title for response in responses],
        "values": [response.delight for response in responses],
    }
    context = {
        "profile": profile,
        "page": page,
        "timeline": timeline,
        "responses": responses,
        "chart": chart,
        "baseline": selectors.visitor_baseline_for(visitor=profile),
        "rating_choices": RATING_CHOICES,
    }
    return render(request, "recommendations/my_visits.html", context)


def _back(request: HttpRequest) -> str:
    candidate = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("recommendations:for_you")


@login_required
@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """Rate, clear, hide or show again one exhibit, then go back where the form was."""
    profile = core_services.visitor_profile_get_or_create(user=request.user)
    try:
        exhibit = Exhibit.objects.get(slug=slug)
    except Exhibit.DoesNotExist:
        raise Http404("No such exhibit.") from None
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Nothing was changed: {errors}")
        return redirect(_back(request))
    action = form.cleaned_data["action"]
    try:
        if action == FeedbackForm.RATE:
            rating = form.cleaned_data["rating"]
            services.feedback_rate(visitor=profile, exhibit=exhibit, rating=rating)
            messages.success(request, f"You rated {exhibit.title} {rating} out of 5.")
        elif action == FeedbackForm.CLEAR:
            services.feedback_rate(visitor=profile, exhibit=exhibit, rating=None)
            messages.info(request, f"Your rating of {exhibit.title} is cleared.")
        elif action == FeedbackForm.HIDE:
            services.feedback_hide(visitor=profile, exhibit=exhibit, hidden=True)
            messages.info(request, f"We will not recommend {exhibit.title} again.")
        else:
            services.feedback_hide(visitor=profile, exhibit=exhibit, hidden=False)
            messages.info(request, f"{exhibit.title} may be recommended again.")
    except ValidationError as error:
        messages.error(request, f"Nothing was changed: {' '.join(error.messages)}")
    return redirect(_back(request))
