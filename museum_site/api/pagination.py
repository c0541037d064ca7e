"""Pagination: page numbers for the collection and visits, a cursor for readings.

Readings grow by one row per second of camera use, so their list uses a cursor: no
``COUNT(*)`` per page and stable pages while new readings arrive.
"""

from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ReadingCursorPagination(pagination.CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-recorded_at", "-pk")
