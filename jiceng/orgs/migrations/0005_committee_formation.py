# 党工委 are appointed, not elected: a committee gets its formation (elected / appointed), and an
# appointed one has no term. The committees of existing working committees (org kind
# ``working_committee``) become appointments: no term, no extension. The maintained tallies follow:
# a current one's ``term_end:<day>`` key becomes ``committee:appointed`` in its organization and
# every ancestor (what ``orgs.tallies.keys_of_committee`` now gives).

from collections import Counter, defaultdict

from django.db import migrations, models

from jiceng.orgs.rules import add_years

# Backwards, an appointment becomes an elected committee of the term 党工委 had before (5 years).
BACK_TERM_YEARS = 5


def _convert(apps, *, forwards: bool) -> None:
    Committee = apps.get_model("orgs", "Committee")
    OrgTally = apps.get_model("orgs", "OrgTally")
    Organization = apps.get_model("orgs", "Organization")
    working = Committee.objects.filter(org__kind="working_committee")
    if not forwards:
        working = working.filter(formation="appointed")
    deltas: dict[str, Counter] = defaultdict(Counter)
    step = 4  # treebeard's steplen for Organization
    sign = 1 if forwards else -1
    for path, elected_on, term_years, extended_to in working.filter(ended_on__isnull=True).values_list(
        "org__path", "elected_on", "term_years", "extended_to"
    ):
        ends = extended_to or add_years(elected_on, term_years if forwards else BACK_TERM_YEARS)
        for i in range(step, len(path) + 1, step):
            deltas[path[:i]][f"term_end:{ends.isoformat()}"] -= sign
            deltas[path[:i]]["committee:appointed"] += sign
    if forwards:
        working.update(formation="appointed", term_years=None, extended_to=None, extension_approval="")
    else:
        working.update(formation="elected", term_years=BACK_TERM_YEARS)
    if not deltas:
        return
    by_path = dict(Organization.objects.filter(path__in=list(deltas)).values_list("path", "pk"))
    tallies = {t.org_id: t for t in OrgTally.objects.filter(org_id__in=list(by_path.values()))}
    for path, delta in deltas.items():
        tally = tallies.get(by_path.get(path))
        if tally is None:
            continue
        counts = Counter(tally.counts)
        counts.update(delta)
        tally.counts = {k: v for k, v in counts.items() if v}
        tally.save(update_fields=["counts"])


def to_appointments(apps, schema_editor):
    _convert(apps, forwards=True)


def to_elections(apps, schema_editor):
    _convert(apps, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0004_records_since"),
    ]

    operations = [
        migrations.AddField(
            model_name="committee",
            name="formation",
            field=models.CharField(
                choices=[("elected", "选举产生"), ("appointed", "上级任命")],
                db_default="elected",
                default="elected",
                max_length=10,
                verbose_name="产生方式",
            ),
        ),
        migrations.AlterField(
            model_name="committee",
            name="elected_on",
            field=models.DateField(verbose_name="选举（任命）日期"),
        ),
        migrations.AlterField(
            model_name="committee",
            name="term_years",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="任期（年）"),
        ),
        migrations.RunPython(to_appointments, to_elections),
        migrations.AddConstraint(
            model_name="committee",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("formation", "elected"), ("term_years__isnull", False)),
                    models.Q(
                        ("extended_to__isnull", True),
                        ("formation", "appointed"),
                        ("term_years__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="committee_term_by_formation",
            ),
        ),
    ]
