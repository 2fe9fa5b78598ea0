"""The warehouse manager role: approves cycle counts (permissions follow from
erp.core.roles after migrate)."""

from django.db import migrations


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).get_or_create(name="warehouse_manager")


def remove_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name="warehouse_manager").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_export_kind")]

    operations = [migrations.RunPython(create_group, remove_group)]
