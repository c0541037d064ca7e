"""Reads: the visitor profile from the database, recommendations, reasons and the plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ml import EMOTIONS
from museum_site.core import services as core_services
from recommendations import engine, selectors, services
from tests.recommendations.conftest import probs

HAPPY = EMOTIONS.index("happy")


def recent(days: float = 1):
    return timezone.now() - timedelta(days=days)


def test_it_builds_the_profile_from_the_visitors_readings_dwell_and_ratings(
    visitor, exhibit, fossil, see
):
    alice = visitor.visitor_profile
    see(alice, exhibit, 240, readings=[probs(happy=0.8), probs(happy=0.6)])
    see(alice, fossil, 60, readings=[probs(happy=0.1)], faces=2)
    services.feedback_rate(visitor=alice, exhibit=fossil, rating=2)

    profile = selectors.visitor_profile_for(visitor=alice)

    kiss, ammonite = profile.responses[exhibit.pk], profile.responses[fossil.pk]
    assert profile.baseline[HAPPY] == pytest.approx(0.4)
    assert kiss.mean[HAPPY] == pytest.approx(0.7) and kiss.readings == 2
    assert kiss.difference[HAPPY] == pytest.approx(0.3)
    assert ammonite.difference[HAPPY] == pytest.approx(-0.3)
    # Median dwell of 240 s and 60 s is 150 s.
    assert kiss.dwell_log2 == pytest.approx(0.6780719)  # log2(240 / 150)
    assert ammonite.rating == 2
    assert kiss.affinity > 0 > ammonite.affinity


def test_it_stops_using_readings_once_consent_is_withdrawn(visitor, exhibit, see):
    alice = visitor.visitor_profile
    see(alice, exhibit, 90, readings=[probs(happy=0.9)] * 3)
    assert selectors.visitor_profile_for(visitor=alice).responses[exhibit.pk].readings == 3

    core_services.consent_withdraw(profile=alice)

    response = selectors.visitor_profile_for(visitor=alice).responses[exhibit.pk]
    assert response.readings == 0  # the visit still counts, the face no longer does
    assert selectors.observations_for()[0].dwell_seconds == 90


def test_it_recommends_popular_exhibits_to_a_newcomer_with_a_popularity_reason(
    make_visitor, gallery, see
):
    for n in range(3):
        crowd = make_visitor(f"crowd{n}").visitor_profile
        see(crowd, gallery["Dinosaur Egg"], 60, at=recent(2 + n))
    see(make_visitor("one").visitor_profile, gallery["Brass Orrery"], 60, at=recent(3))
    old = make_visitor("old").visitor_profile
    see(old, gallery["Bronze Horse"], 60, at=recent(45))  # outside this month
    services.recommender_rebuild()

    newcomer = make_visitor("erin").visitor_profile
    items = selectors.exhibit_recommendations_for(visitor=newcomer, limit=3)

    assert [item.exhibit.title for item in items][:2] == ["Dinosaur Egg", "Brass Orrery"]
    assert items[0].reason.kind == engine.POPULARITY
    assert items[0].reason.text == "Popular with visitors this month (3 visitors)."
    assert items[1].reason.text == "Popular with visitors this month (1 visitor)."
    assert items[2].reason.kind == "new"
    assert items[2].reason.text == f"Something new for you ({items[2].exhibit.hall.name})."
    assert "Bronze Horse" not in [item.exhibit.title for item in items[:2]]


def test_it_never_recommends_seen_hidden_or_inactive_exhibits(visitor, gallery, see):
    alice = visitor.visitor_profile
    see(alice, gallery["kiss"], 300, at=recent())
    services.feedback_rate(visitor=alice, exhibit=gallery["ammonite"], rating=3)
    services.feedback_hide(visitor=alice, exhibit=gallery["Bronze Horse"])
    gallery["Bronze Dancer"].active = False
    gallery["Bronze Dancer"].save()
    services.recommender_rebuild()

    items = selectors.exhibit_recommendations_for(visitor=alice, limit=20)

    titles = {item.exhibit.title for item in items}
    assert titles == {
        "Marble Muse",
        "Trilobite Tray",
        "Dinosaur Egg",
        "Brass Orrery",
        "Difference Engine",
        "Wimshurst Machine",
    }


def test_it_explains_content_recommendations_with_the_shared_tags(visitor, gallery, see):
    alice = visitor.visitor_profile
    see(alice, gallery["kiss"], 120, at=recent())
    services.feedback_rate(visitor=alice, exhibit=gallery["kiss"], rating=5)
    services.recommender_rebuild()

    items = selectors.exhibit_recommendations_for(visitor=alice, limit=3)

    # Three share a tag and the hall; "symbolism" is the rarer tag, so it counts more. Only
    # two may come from one hall in a list of three.
    assert items[0].exhibit.title == "Marble Muse"
    assert items[1].exhibit.title in {"Bronze Dancer", "Bronze Horse"}
    assert items[2].exhibit.hall != gallery["kiss"].hall
    first, second = items[0], items[1]
    assert first.reason.kind == second.reason.kind == engine.CONTENT
    assert first.reason.source == gallery["kiss"]
    assert first.reason.text == (
        "Shares the tag symbolism with The Kiss of the Wind, which you rated 5 out of 5."
    )
    assert second.reason.text.startswith("Shares the tag bronze with The Kiss of the Wind")
    assert 'href="/exhibits/the-kiss-of-the-wind/"' in first.reason.html
    assert "<strong>symbolism</strong>" in first.reason.html


def test_it_explains_collaborative_and_emotional_recommendations(make_visitor, gallery, see):
    orrery, engine_, wimshurst = (
        gallery["Brass Orrery"],
        gallery["Difference Engine"],
        gallery["Wimshurst Machine"],
    )
    # Six visitors: surprised by the orrery and the engine, unmoved by the Wimshurst machine.
    for n in range(6):
        crowd = make_visitor(f"crowd{n}").visitor_profile
        see(crowd, orrery, 200, at=recent(3), readings=[probs(surprise=0.7)] * 4)
        see(crowd, engine_, 200, at=recent(2), readings=[probs(surprise=0.6)] * 4)
        see(crowd, wimshurst, 30, at=recent(1), readings=[probs()] * 4)
    alice = make_visitor("alice").visitor_profile
    see(alice, orrery, 200, at=recent(), readings=[probs(surprise=0.8)] * 4)
    see(alice, gallery["kiss"], 40, at=recent(), readings=[probs()] * 4)
    services.recommender_rebuild()

    emotional = selectors.exhibit_recommendations_for(
        visitor=alice,
        limit=1,
        weights=engine.Weights(affinity=0, emotion=1, content=0, popularity=0),
    )[0]
    assert emotional.exhibit == engine_
    assert emotional.reason.text == (
        "Visitors who were surprised by Brass Orrery, like you, "
        "were also surprised by Difference Engine."
    )
    collaborative = selectors.exhibit_recommendations_for(
        visitor=alice,
        limit=1,
        weights=engine.Weights(affinity=1, emotion=0, content=0, popularity=0),
    )[0]
    assert collaborative.exhibit == engine_
    assert collaborative.reason.text == (
        "Visitors who enjoyed Brass Orrery, like you, also enjoyed Difference Engine."
    )
    # The default blend recommends it too; here its popularity is what sets it apart most.
    default = selectors.exhibit_recommendations_for(visitor=alice, limit=1)[0]
    assert default.exhibit == engine_
    assert default.reason.text == "Popular with visitors this month (6 visitors)."


def test_it_spreads_recommendations_across_halls(make_visitor, gallery, see):
    # The sculpture hall is by far the most popular.
    for n in range(4):
        crowd = make_visitor(f"crowd{n}").visitor_profile
        for title in ("Bronze Dancer", "Marble Muse", "Bronze Horse"):
            see(crowd, gallery[title], 60, at=recent(n + 1))
    see(make_visitor("x").visitor_profile, gallery["Trilobite Tray"], 60, at=recent())
    see(make_visitor("y").visitor_profile, gallery["Brass Orrery"], 60, at=recent())
    services.recommender_rebuild()

    items = selectors.exhibit_recommendations_for(
        visitor=make_visitor("erin").visitor_profile, limit=4
    )
    halls = [item.exhibit.hall.name for item in items]
    assert halls.count("Sculpture Court") == 2
    assert len(set(halls)) == 3


def test_it_plans_the_next_visit_hall_by_hall_in_museum_order(make_visitor, gallery, see):
    for n in range(2):
        crowd = make_visitor(f"crowd{n}").visitor_profile
        for title in ("Wimshurst Machine", "Dinosaur Egg", "Bronze Horse", "Brass Orrery"):
            see(crowd, gallery[title], 120, at=recent(n + 1))
    services.recommender_rebuild()
    alice = make_visitor("alice").visitor_profile
    see(alice, gallery["kiss"], 300, at=recent())
    see(alice, gallery["ammonite"], 60, at=recent())

    plan = selectors.next_visit_plan_for(visitor=alice, limit=8)

    orderings = [stop.hall.ordering for stop in plan.halls]
    assert orderings == sorted(orderings) == [1, 2, 3]
    planned = [item.exhibit.title for stop in plan.halls for item in stop.recommendations]
    assert len(planned) == len(set(planned)) == 8
    assert "The Kiss of the Wind" not in planned
    assert all(
        item.exhibit.hall == stop.hall for stop in plan.halls for item in stop.recommendations
    )
    assert plan.halls[2].floor_label == "Lower level 1"
    assert plan.minutes_per_exhibit == pytest.approx(3.0)  # median of 300 s and 60 s
    assert plan.minutes == 24


def test_it_summarises_each_stops_emotions_against_the_visitors_usual(
    visitor, exhibit, fossil, see
):
    alice = visitor.visitor_profile
    kiss_visit = see(alice, exhibit, 60, readings=[probs(surprise=0.6)] * 2)
    fossil_visit = see(alice, fossil, 60, readings=[probs()] * 2)

    summaries = selectors.visit_emotions_for(visitor=alice, visits=[kiss_visit, fossil_visit])

    kiss = summaries[kiss_visit.pk, exhibit.pk]
    assert kiss.readings == 2
    assert kiss.probabilities["surprise"] == pytest.approx(0.6)
    assert kiss.above_usual["surprise"] == pytest.approx(0.3)
    assert kiss.standout == ("surprise", 30)
    assert kiss.dominant == "surprise"
    assert summaries[fossil_visit.pk, fossil.pk].standout is None
    assert sum(seg.width for seg in kiss.segments) == pytest.approx(100)


def test_it_never_reads_another_visitors_readings(visitor, outsider, exhibit, see):
    bobs_visit = see(outsider.visitor_profile, exhibit, 60, readings=[probs(sad=0.9)])
    see(visitor.visitor_profile, exhibit, 60, readings=[probs(happy=0.9)])
    alice = visitor.visitor_profile

    assert selectors.visit_emotions_for(visitor=alice, visits=[bobs_visit]) == {}
    assert selectors.visitor_baseline_for(visitor=alice).probabilities["sad"] == 0
    assert [r.exhibit.pk for r in selectors.strongest_responses_for(visitor=alice)] == [exhibit.pk]


def test_it_names_the_shared_hall_when_no_tag_is_shared(visitor, gallery, see):
    alice = visitor.visitor_profile
    see(alice, gallery["Brass Orrery"], 120, at=recent())
    services.feedback_rate(visitor=alice, exhibit=gallery["Brass Orrery"], rating=4)
    services.recommender_rebuild()

    items = selectors.exhibit_recommendations_for(visitor=alice, limit=4)

    by_title = {item.exhibit.title: item for item in items}
    assert items[0].exhibit.title == "Difference Engine"
    assert by_title["Difference Engine"].reason.text == (
        "Shares the tag brass with Brass Orrery, which you rated 4 out of 5."
    )
    assert by_title["Wimshurst Machine"].reason.text == (
        "In the same hall as Brass Orrery, which you rated 4 out of 5."
    )


def test_a_page_reads_only_the_visitors_own_readings_in_a_fixed_number_of_queries(
    make_visitor, gallery, see
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(5):
        crowd = make_visitor(f"crowd{n}").visitor_profile
        for title in ("Bronze Dancer", "Dinosaur Egg", "Brass Orrery"):
            see(crowd, gallery[title], 60, at=recent(n + 1), readings=[probs(happy=0.4)] * 5)
    services.recommender_rebuild()
    alice = make_visitor("alice").visitor_profile
    see(alice, gallery["kiss"], 60, at=recent(), readings=[probs(surprise=0.4)] * 5)

    with CaptureQueriesContext(connection) as queries:
        items = selectors.exhibit_recommendations_for(visitor=alice, limit=6)
    assert len(items) == 6
    assert len(queries) <= 10
    readings_sql = [q["sql"] for q in queries if '"emotions_reading"' in q["sql"]]
    assert readings_sql, "the visitor's own readings are read"
    for sql in readings_sql:
        assert f'"emotions_reading"."visitor_id" IN ({alice.pk})' in sql, sql
