"""Chart data for ``static/reports/charts.js``, handed over with ``json_script``.

A small, library-neutral shape (kind, labels, series of numbers) rather than Chart.js
options: the views stay free of presentation details and the script owns the look.
Hidden groups (fewer than k visitors) are left out of bar charts and are gaps (``null``) in
time series, exactly as in the tables next to every chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ml import EMOTIONS
from museum_site.reports.selectors import GroupReport

Chart = dict[str, Any]


def _percent(value: float) -> float:
    return round(value * 100, 1)


def _mix_series(groups: Sequence[GroupReport]) -> list[dict[str, Any]]:
    return [
        {
            "key": name,
            "label": name.capitalize(),
            "values": [
                None if group.figures is None else _percent(group.figures.mix[name])
                for group in groups
            ],
        }
        for name in EMOTIONS
    ]


def mix_bars(groups: Sequence[GroupReport], *, title: str) -> Chart:
    """Stacked bars of the emotion mix, one bar per shown group (percent)."""
    shown = [group for group in groups if group.figures is not None]
    return {
        "kind": "stacked-bar",
        "title": title,
        "horizontal": len(shown) > 8,
        "unit": "%",
        "labels": [group.label for group in shown],
        "series": _mix_series(shown),
    }


def valence_bars(groups: Sequence[GroupReport], *, title: str) -> Chart:
    """Valence per shown group, on a fixed -1..+1 axis."""
    shown = [group for group in groups if group.figures is not None]
    return {
        "kind": "bar",
        "title": title,
        "horizontal": len(shown) > 8,
        "min": -1,
        "max": 1,
        "labels": [group.label for group in shown],
        "series": [
            {
                "key": "valence",
                "label": "Valence",
                "values": [round(group.figures.valence, 3) for group in shown],
            }
        ],
    }


def trend_lines(
    groups: Sequence[GroupReport],
    *,
    title: str,
    compare: Sequence[GroupReport] | None = None,
    compare_label: str = "",
) -> Chart:
    """Valence and non-neutral share over time; ``compare`` adds a second valence line."""
    series: list[dict[str, Any]] = [
        {
            "key": "valence",
            "label": "Valence",
            "values": [
                None if group.figures is None else round(group.figures.valence, 3)
                for group in groups
            ],
        },
        {
            "key": "engagement",
            "label": "Non-neutral share",
            "values": [
                None if group.figures is None else round(group.figures.non_neutral_share, 3)
                for group in groups
            ],
        },
    ]
    if compare is not None:
        series.append(
            {
                "key": "compare",
                "label": compare_label,
                "values": [
                    None if group.figures is None else round(group.figures.valence, 3)
                    for group in compare
                ],
            }
        )
    return {
        "kind": "line",
        "title": title,
        "min": -1,
        "max": 1,
        "labels": [group.label for group in groups],
        "series": series,
    }


def trend_mix(groups: Sequence[GroupReport], *, title: str) -> Chart:
    """The emotion mix per time bucket as stacked bars (hidden buckets stay empty)."""
    return {
        "kind": "stacked-bar",
        "title": title,
        "horizontal": False,
        "unit": "%",
        "labels": [group.label for group in groups],
        "series": _mix_series(groups),
    }


def mix_comparison(first: GroupReport, second: GroupReport, *, title: str) -> Chart:
    """Two groups' mixes side by side, one pair of bars per emotion."""
    groups = [group for group in (first, second) if group.figures is not None]
    return {
        "kind": "grouped-bar",
        "title": title,
        "horizontal": False,
        "unit": "%",
        "labels": [name.capitalize() for name in EMOTIONS],
        "series": [
            {
                "key": f"group{i}",
                "label": group.label,
                "values": [_percent(group.figures.mix[name]) for name in EMOTIONS],
            }
            for i, group in enumerate(groups)
        ],
    }
