"""Number formats of the report pages."""

from __future__ import annotations

from museum_site.reports.templatetags.report_tags import percent, seconds, signed


def test_it_formats_shares_as_percent():
    assert percent(0.4235) == "42.4 %"
    assert percent(0.0) == "0.0 %"
    assert percent(None) == ""


def test_it_signs_valence_with_a_true_minus():
    assert signed(0.25) == "+0.25"
    assert signed(-0.1) == "\u22120.10"
    assert signed(None) == ""


def test_it_formats_dwell_times():
    assert seconds(44.6) == "45 s"
    assert seconds(3725) == "62 min 5 s"
    assert seconds(None) == ""
