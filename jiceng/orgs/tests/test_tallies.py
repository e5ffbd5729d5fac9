"""The maintained subtree counts equal a fresh count after any sequence of writes."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_id
from jiceng.core import idnumber
from jiceng.members import services as members
from jiceng.members.models import Member
from jiceng.orgs import selectors, services, tallies
from jiceng.orgs.models import Organization

OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "edit", "transfer", "move", "merge", "split", "elect", "unit"]),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
    ),
    min_size=1,
    max_size=12,
)


def assert_exact():
    for org in Organization.objects.all():
        assert tallies.read(org) == tallies.count_fresh(org), org.code


def run(op, a, b, actor, seq):
    orgs = list(Organization.objects.order_by("path"))
    branches = [o for o in orgs if o.kind == "branch"]
    committees = [o for o in orgs if o.kind != "branch"]
    people = list(Member.objects.order_by("pk"))
    if op == "add" and branches:
        org = branches[a % len(branches)]
        birth = dt.date(1950 + a % 40, 1 + b % 12, 1 + b % 28)  # 18 or older when joining in 2012
        members.create_member(
            actor=actor,
            org=org,
            id_number=make_id(birth, seq % 1000, region="3" + f"{seq:05d}"),
            name="测试",
            gender=idnumber.gender_of(make_id(birth, seq % 1000, region="3" + f"{seq:05d}")),
            birth_date=birth,
            education=("bachelor", "college")[a % 2],
            category=("employed", "retired")[b % 2],
            status="full",
            joined_on=dt.date(2012, 1, 1),
            full_member_on=dt.date(2013, 1, 1),
        )
    elif op == "edit" and people:
        m = people[a % len(people)]
        members.update_member(
            actor=actor,
            member=m,
            category=("farmer", "student", "other")[b % 3],
            birth_date=m.birth_date,
            education=("high_school", "postgraduate")[a % 2],
        )
    elif op == "transfer" and people and len(branches) > 1:
        m = people[a % len(people)]
        target = [x for x in branches if x.pk != m.org_id][b % (len(branches) - 1)]
        members.transfer_member(actor=actor, member=m, to_org=target)
    elif op == "move" and len(orgs) > 2:
        org = orgs[1 + a % (len(orgs) - 1)]
        targets = [
            c
            for c in committees
            if not c.path.startswith(org.path) and c.pk != Organization.objects.get_parent(org).pk
        ]
        if targets:
            services.move_org(actor=actor, org=org, new_parent=targets[b % len(targets)])
    elif op == "merge" and len(branches) > 2:
        source = branches[a % len(branches)]
        target = [x for x in branches if x.pk != source.pk][b % (len(branches) - 1)]
        services.merge_branches(actor=actor, source=source, target=target)
    elif op == "split" and branches:
        source = branches[a % len(branches)]
        chosen = list(Member.objects.filter(org=source))[: 1 + b % 2]
        if chosen:
            services.split_branch(actor=actor, source=source, code=f"S{seq}", name="拆分支部", members=chosen)
    elif op == "elect" and branches:
        org = branches[a % len(branches)]
        last = org.current_committee
        day = dt.date(2018, 1, 1) + dt.timedelta(days=b % 2000)
        if last is None or day > last.elected_on:
            services.record_election(actor=actor, org=org, elected_on=day)
    elif op == "unit" and branches:
        org = branches[a % len(branches)]
        services.update_org(actor=actor, org=org, unit_kind=("village", "community", "government")[b % 3])


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_tallies_stay_exact_under_random_writes(world, ops):
    from jiceng.core.models import RoleAssignment

    # Each example starts from the same tree: run it in a savepoint and roll it back afterwards.
    with transaction.atomic():
        RoleAssignment.objects.get_or_create(user=world.sysadmin, org=world.root, role="org_admin")
        world.sysadmin.__dict__.pop("_scope_cache", None)
        for seq, (op, a, b) in enumerate(ops):
            run(op, a, b, world.sysadmin, 500 + seq)
        assert_exact()
        transaction.set_rollback(True)


def test_summary_of_the_fixture_tree(world):
    summary = selectors.org_summary(world.root, today=dt.date(2026, 11, 29))
    assert summary["members"]["total"] == 10
    assert summary["members"]["status"] == {"full": 9, "probationary": 1}
    assert summary["branches"] == 3
    assert summary["branches_by_unit_kind"] == {"community": 1, "village": 1, "government": 1}
    # Born 1980 → 46 at the end of 2026; born 1999 → 27.
    assert summary["members"]["age_band"]["46_55"] == 9 and summary["members"]["age_band"]["le35"] == 1
    assert selectors.org_summary(world.branch_b)["members"]["total"] == 3


def test_committee_terms_due_and_expired(world):
    services.record_election(actor=world.county_admin, org=world.branch_b, elected_on=dt.date(2021, 6, 1))
    services.record_election(actor=world.county_admin, org=world.branch_c, elected_on=dt.date(2023, 12, 1))
    # 0102 is a village branch (5 years → 2026-06-01, expired); 010301 government (3 years → 2026-12-01, due).
    terms = selectors.org_summary(world.root, today=dt.date(2026, 11, 29))["committees"]
    assert terms == {"expired": 1, "due": 1, "appointed": 0}
    assert tallies.read(world.root) == tallies.count_fresh(world.root)


def test_rebuild_restores_drifted_counts(world):
    from jiceng.orgs.models import OrgTally

    OrgTally.objects.filter(org=world.root).update(counts={"members": 999})
    tallies.rebuild()
    assert_exact()
