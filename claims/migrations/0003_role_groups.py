"""Groups `reviewers`, `editors` and `clients` with the permissions of claims/roles.py."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from claims.reference import ensure_groups

    ensure_groups(apps)


def remove_groups(apps, schema_editor):
    from claims.roles import GROUP_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUP_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_default_rating_scale"),
        ("api", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
