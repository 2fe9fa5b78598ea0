from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_forecasts")]

    operations = []
