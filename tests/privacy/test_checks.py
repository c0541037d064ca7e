from museum_site.privacy.checks import check_current_notice_exists, check_retention


def test_it_accepts_the_default_settings():
    assert check_retention(None) == []
    assert check_current_notice_exists(None) == []


def test_it_flags_a_bad_retention_period(settings):
    for bad in (0, -1, "30", True, None):
        settings.CLIPS_RETENTION_DAYS = bad
        assert [error.id for error in check_retention(None)] == ["privacy.E001"]


def test_it_flags_a_consent_version_without_its_notice_text(settings):
    settings.CURRENT_CONSENT_VERSION = 999
    [error] = check_current_notice_exists(None)
    assert error.id == "privacy.E002"
    assert "privacy/notices/v999.html" in error.hint
