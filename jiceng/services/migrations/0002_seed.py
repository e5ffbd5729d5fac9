"""The shipped states (one per type) and the first categories. Names are stored in Chinese: they are
data an administrator edits, not interface text."""

from django.db import migrations

from jiceng.services.seed import CATEGORIES, STATES


def seed(apps, schema_editor):
    State = apps.get_model("services", "State")
    Category = apps.get_model("services", "Category")
    for code, name, public, type_, order in STATES:
        State.objects.get_or_create(
            code=code, defaults={"name": name, "public_name": public, "type": type_, "order": order, "shipped": True}
        )
    for i, (name, urgency, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(parent=None, name=name, defaults={"urgency": urgency, "order": 10 * (i + 1)})
        for j, child in enumerate(children):
            Category.objects.get_or_create(parent=parent, name=child, defaults={"urgency": urgency, "order": j + 1})


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
