"""CSV exports of the reports, streamed row by row.

Every export has the same columns, so exports of different reports can be concatenated.
Each row repeats the filters it was computed under. Hidden groups (fewer than k visitors)
keep their name and ``hidden=yes`` but no figures at all.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from ml import EMOTIONS
from museum_site.reports.selectors import GroupReport, ReportFilters

COLUMNS = [
    "level",
    "period_start",
    "hall",
    "exhibit",
    "date_from",
    "date_to",
    "source",
    "visitors",
    "readings",
    "faces",
    *EMOTIONS,
    "valence",
    "non_neutral_share",
    "mean_dwell_seconds",
    "stops",
    "hidden",
    "dwell_hidden",
]

# Spreadsheets run cells starting with these as formulas ("CSV injection"): exhibit titles
# come from staff input, so such cells get a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _number(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}"


def csv_row(group: GroupReport, *, level: str, filters: ReportFilters) -> list[str]:
    figures, dwell = group.figures, group.dwell
    row = [
        level,
        group.period_start.isoformat() if group.period_start else "",
        _text(group.hall.name) if group.hall else "",
        _text(group.exhibit.title) if group.exhibit else "",
        filters.date_from.isoformat(),
        filters.date_to.isoformat(),
        filters.source or "all",
    ]
    if figures is None:
        row += [""] * (3 + len(EMOTIONS) + 2)
    else:
        row += [str(figures.visitors), str(figures.readings), str(figures.faces)]
        row += [_number(figures.mix[name]) for name in EMOTIONS]
        row += [_number(figures.valence), _number(figures.non_neutral_share)]
    if dwell is None:
        row += ["", ""]
    else:
        row += [_number(dwell.mean_seconds, 1), str(dwell.stops)]
    row += ["yes" if figures is None else "no", "yes" if group.dwell_hidden else "no"]
    return row


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming with csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow(row)


def csv_response(rows: Iterable[list[str]], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
