"""Identity numbers normalized (NFKC, ASCII digits): rewrite the stored ones typed with other digits,
report members who now share a number (a log warning and an ``id_duplicate`` change record on each,
seen in the audit search of their organization admins). Nothing is deleted or merged."""

from django.db import migrations


def forwards(apps, schema_editor):
    from jiceng.core.duplicates import renormalize

    Member = apps.get_model("members", "Member")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="members", model="member")
    renormalize(Member, object_change=apps.get_model("core", "ObjectChange"), content_type=content_type)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_fewer_indexes"),
        ("core", "0005_objectchange_id_actions"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
