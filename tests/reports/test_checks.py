"""System checks of the report settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from museum_site.reports.checks import check_min_group_size

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", [0, -3, "5", True, None])
def test_it_rejects_an_unusable_threshold(settings, value):
    settings.REPORTS_MIN_GROUP_SIZE = value
    assert [error.id for error in check_min_group_size(None)] == ["reports.E001"]


def test_it_accepts_a_positive_threshold(settings):
    settings.REPORTS_MIN_GROUP_SIZE = 1
    assert check_min_group_size(None) == []


def _threshold_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "museum_site.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.REPORTS_MIN_GROUP_SIZE)"],
        cwd=REPO_ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_it_reads_the_threshold_from_the_environment_defaulting_to_five():
    assert _threshold_in_a_fresh_process().stdout.strip() == "5"
    assert _threshold_in_a_fresh_process(REPORTS_MIN_GROUP_SIZE="12").stdout.strip() == "12"
    refused = _threshold_in_a_fresh_process(REPORTS_MIN_GROUP_SIZE="0")
    assert refused.returncode != 0 and "REPORTS_MIN_GROUP_SIZE=0 must be at least 1" in (
        refused.stderr
    )
