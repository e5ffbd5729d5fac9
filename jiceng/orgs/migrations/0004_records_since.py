# The day from which an organization's records are kept in jiceng (记录起始日期). Existing
# organizations get the day they were created in jiceng (in the installation's time zone).

import django.utils.timezone
from django.db import migrations, models


def from_creation(apps, schema_editor):
    Organization = apps.get_model("orgs", "Organization")
    batch = []
    for pk, created in Organization.objects.values_list("pk", "created_at").iterator(chunk_size=5000):
        batch.append(Organization(pk=pk, records_since=django.utils.timezone.localdate(created)))
        if len(batch) == 5000:
            Organization.objects.bulk_update(batch, ["records_since"])
            batch = []
    if batch:
        Organization.objects.bulk_update(batch, ["records_since"])


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0003_branch_secretary"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="records_since",
            field=models.DateField(default=django.utils.timezone.localdate, verbose_name="记录起始日期"),
        ),
        migrations.RunPython(from_creation, migrations.RunPython.noop),
    ]
