"""Identity numbers normalized (NFKC, ASCII digits): rewrite the stored ones of development files
typed with other digits, and report open files that share a number with another open file or with a
current member (a log warning and an ``id_duplicate`` change record). Nothing is deleted."""

from django.db import migrations

OPEN_STAGES = ("applicant", "activist", "candidate", "probationary")


def forwards(apps, schema_editor):
    from jiceng.core.duplicates import renormalize

    Development = apps.get_model("development", "Development")
    Member = apps.get_model("members", "Member")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="development", model="development")
    members = {
        digest: f"党员{pk}"
        for pk, digest in Member.objects.filter(closed_on__isnull=True).values_list("pk", "id_number_digest")
    }
    object_change = apps.get_model("core", "ObjectChange")
    # Closed files may repeat a number (a person withdraws and applies again): normalized, not reported.
    renormalize(
        Development,
        object_change=object_change,
        content_type=content_type,
        rows=Development.objects.filter(stage__in=OPEN_STAGES),
        held_elsewhere=members,
        unique=False,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("development", "0001_initial"),
        ("members", "0005_report_duplicate_id_numbers"),
        ("core", "0005_objectchange_id_actions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
