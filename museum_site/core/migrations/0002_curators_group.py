"""Create the "Curators" group: read-only access to the collection and visits, plus reports.

Curators may sign in to the admin (their accounts are staff) and view every core model,
but hold no permission on users or groups and cannot change anything.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATORS = "Curators"
CORE_MODELS = ["hall", "tag", "exhibit", "visitorprofile", "visit", "visitexhibit"]
CODENAMES = [f"view_{model}" for model in CORE_MODELS] + ["view_reports"]


def create_curators(apps, schema_editor):
    # Permissions are normally created after the last migration (post_migrate); make sure
    # they exist now so that the group can be given them in a fresh database.
    app_config = apps.get_app_config("core")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CURATORS)
    permissions = Permission.objects.filter(content_type__app_label="core", codename__in=CODENAMES)
    missing = set(CODENAMES) - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Permissions missing for the Curators group: {sorted(missing)}")
    group.permissions.add(*permissions)


def remove_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=CURATORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curators, remove_curators)]
