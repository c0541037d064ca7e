from datetime import timedelta

import pytest
from django.template import Context, Template

from museum_site.core.templatetags.museum_tags import duration


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, "0 s"),
        (35, "35 s"),
        (120, "2 min"),
        (252, "4 min 12 s"),
        (3900, "1 h 05 min"),
        (timedelta(minutes=40), "40 min"),
        (-5, "0 s"),
        (None, ""),
    ],
)
def test_it_formats_durations(value, expected):
    assert duration(value) == expected


def test_it_renders_an_empty_string_for_a_missing_route():
    template = Template(
        '{% load museum_tags %}{% optional_url "emotions:not_routed" "x" as url %}[{{ url }}]'
        '{% optional_url "core:exhibit_detail" slug="x" as known %}[{{ known }}]'
    )
    assert template.render(Context()) == "[][/exhibits/x/]"
