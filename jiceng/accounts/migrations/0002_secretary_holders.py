"""Start every existing branch's ``SecretaryHolder`` at its recorded secretary (or none), so that only
posts changed from now on move roles and leave notices (an installation's existing grants stay as
they are)."""

from django.db import migrations


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    Organization = apps.get_model("orgs", "Organization")
    Committee = apps.get_model("orgs", "Committee")
    CommitteePost = apps.get_model("orgs", "CommitteePost")
    Member = apps.get_model("members", "Member")
    SecretaryHolder = apps.get_model("accounts", "SecretaryHolder")

    with_committee = set(Committee.objects.filter(ended_on__isnull=True).values_list("org_id", flat=True))
    wanted = dict(
        CommitteePost.objects.filter(committee__ended_on__isnull=True, post="secretary").values_list(
            "committee__org_id", "member_id"
        )
    )
    for org_id, member_id in Organization.objects.filter(kind="branch", secretary__isnull=False).values_list(
        "pk", "secretary_id"
    ):
        if org_id not in with_committee:
            wanted[org_id] = member_id
    ids = sorted(set(wanted.values()))
    people = {}
    for i in range(0, len(ids), 5000):
        for pk, org_id, user_id in Member.objects.filter(
            pk__in=ids[i : i + 5000], closed_on__isnull=True
        ).values_list("pk", "org_id", "user_id"):
            people[pk] = (org_id, user_id)
    rows = []
    for org_id in Organization.objects.filter(kind="branch").values_list("pk", flat=True).iterator():
        member_id = wanted.get(org_id)
        person = people.get(member_id) if member_id else None
        if person is not None and person[0] == org_id:
            rows.append(SecretaryHolder(org_id=org_id, member_id=member_id, user_id=person[1]))
        else:  # no secretary (or one no longer in the branch): known, without one
            rows.append(SecretaryHolder(org_id=org_id))
    SecretaryHolder.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
