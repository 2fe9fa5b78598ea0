from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_kpis")]

    operations = []
