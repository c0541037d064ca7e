from datetime import timedelta

from museum_site.core.checks import check_consent_version, check_visit_reuse_window


def test_it_accepts_the_shipped_settings():
    assert check_consent_version(None) == []
    assert check_visit_reuse_window(None) == []


def test_it_flags_a_bad_consent_version(settings):
    for bad in [0, "1", True, None]:
        settings.CURRENT_CONSENT_VERSION = bad
        assert [error.id for error in check_consent_version(None)] == ["core.E001"]


def test_it_flags_a_bad_visit_reuse_window(settings):
    for bad in [timedelta(0), 4, None]:
        settings.VISIT_REUSE_WINDOW = bad
        assert [error.id for error in check_visit_reuse_window(None)] == ["core.E002"]
