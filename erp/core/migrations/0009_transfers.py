from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_webhooks"),
    ]

    operations = []
