"""The "Curators" group created by migration core.0002."""

from django.contrib.auth.models import Group


def test_it_grants_curators_view_and_report_permissions_only(db):
    group = Group.objects.get(name="Curators")
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert codenames == {
        ("core", "view_hall"),
        ("core", "view_tag"),
        ("core", "view_exhibit"),
        ("core", "view_visitorprofile"),
        ("core", "view_visit"),
        ("core", "view_visitexhibit"),
        ("core", "view_reports"),
    }


def test_it_separates_curators_from_visitors(curator, visitor):
    assert curator.has_perm("core.view_reports")
    assert not visitor.has_perm("core.view_reports")
    for permission in [
        "auth.view_user",
        "auth.change_user",
        "auth.add_user",
        "core.change_exhibit",
    ]:
        assert not curator.has_perm(permission), permission
