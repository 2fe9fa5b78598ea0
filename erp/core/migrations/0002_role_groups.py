"""Create one group per staff role.

The groups' permissions are given by erp.core.roles.sync_role_permissions,
which runs after every migrate, so permissions of models added later reach
the roles too.
"""

from django.db import migrations

ROLES = [
    "admin",
    "order_clerk",
    "warehouse",
    "dispatcher",
    "aftersales_agent",
    "account_manager",
    "analyst",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
