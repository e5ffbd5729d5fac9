"""A past day is judged with the membership of that day: moves, merges and splits replayed.

A member who moved from branch A to B in August counts in A for July and in B for September, for the
branch counts, the probationary list and the attendance rule alike. The property test makes random
transfers, merges and splits through the real services, then checks the engine's counts on random past
days against a count made in Python from the membership records alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core import compliance
from jiceng.core.compliance import Evaluation, Plan
from jiceng.core.models import RuleVersion
from jiceng.core.rulebook import RuleBook
from jiceng.life.models import Attendance, Meeting
from jiceng.members import services
from jiceng.members.models import Member, Membership
from jiceng.orgs import services as orgs
from jiceng.orgs.models import Organization

HISTORY_STARTS = dt.date(2020, 1, 1)
MOVED_ON = dt.date(2026, 8, 15)
JULY, SEPTEMBER = dt.date(2026, 7, 31), dt.date(2026, 9, 30)


def _records_from(day: dt.date) -> None:
    """The test world's members were registered today; here jiceng has known them since ``day``."""
    Membership.objects.update(started_on=day)


def _fact(root: Organization, name: str, day: dt.date) -> Any:
    return Evaluation(root.path, Plan(state_days=(day,)), RuleBook()).fact(name, day)


@pytest.fixture
def moved(world: Any) -> Member:
    """张伟 moves from branch A (0101) to branch B (0102) on 15 August 2026."""
    _records_from(HISTORY_STARTS)
    zhang = Member.objects.get(name="张伟")
    services.transfer_member(actor=world.county_admin, member=zhang, to_org=world.branch_b, on=MOVED_ON)
    return zhang


def test_a_move_in_august_counts_in_a_for_july_and_in_b_for_september(world: Any, moved: Member) -> None:
    a, b = world.branch_a.pk, world.branch_b.pk
    # A: 5 full members and 赵敏 (probationary); B: 3 full members.
    assert _fact(world.root, "members.counts", JULY)[a] == (6, 5)
    assert _fact(world.root, "members.counts", JULY)[b] == (3, 3)
    assert _fact(world.root, "members.counts", SEPTEMBER)[a] == (5, 4)
    assert _fact(world.root, "members.counts", SEPTEMBER)[b] == (4, 4)
    # Today's counts and a day before jiceng knew anyone: the first record's branch.
    assert _fact(world.root, "members.counts", dt.date(2015, 1, 1))[a] == (5, 5)
    # A subtree sees those who were in it on the day, wherever they are now.
    assert _fact(world.branch_a, "members.counts", JULY) == {a: (6, 5)}

    RuleVersion.objects.create(
        code="org.branch_too_small", effective_from=dt.date(2026, 1, 1), params={"min_full_members": 5}
    )
    small = {
        day: {
            f.org_code
            for f in compliance.evaluate(world.root, day.isoformat())
            if f.rule == "org.branch_too_small"
        }
        for day in (JULY, SEPTEMBER)
    }
    assert small[JULY] == {"0102", "010301"}
    assert small[SEPTEMBER] == {"0101", "0102", "010301"}


def test_the_probationary_list_and_attendance_follow_the_branch_of_the_day(world: Any) -> None:
    _records_from(HISTORY_STARTS)
    dora = Member.objects.get(name="赵敏")
    Member.objects.filter(pk=dora.pk).update(joined_on=dt.date(2025, 3, 1))  # probation ended 2026-03-01
    zhang = Member.objects.get(name="张伟")
    meeting = Meeting.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        kind="theme_day",
        held_on=dt.date(2026, 6, 10),
        topic="t",
    )
    Attendance.objects.create(meeting=meeting, member=zhang, presence="absent")
    for m in (dora, zhang):
        services.transfer_member(actor=world.county_admin, member=m, to_org=world.branch_b, on=MOVED_ON)

    def where(day: dt.date, rule: str) -> set[tuple[str, int | None]]:
        return {
            (f.org_code, f.member) for f in compliance.evaluate(world.root, day.isoformat()) if f.rule == rule
        }

    assert where(JULY, "member.probation_overdue") == {("0101", dora.pk)}
    assert where(SEPTEMBER, "member.probation_overdue") == {("0102", dora.pk)}
    assert where(JULY, "member.no_life_6_months") == {("0101", zhang.pk)}
    assert where(SEPTEMBER, "member.no_life_6_months") == {("0102", zhang.pk)}
    # Branch A's own evaluation of July sees them; of September, no longer.
    assert {f.member for f in compliance.evaluate(world.branch_a, JULY.isoformat()) if f.member} == {
        dora.pk,
        zhang.pk,
    }
    assert not [f for f in compliance.evaluate(world.branch_a, SEPTEMBER.isoformat()) if f.member]


def test_members_without_any_record_count_in_their_current_branch(world: Any) -> None:
    Membership.objects.all().delete()  # as bench/load_province.py loads them
    counts = _fact(world.root, "members.counts", JULY)
    assert counts[world.branch_a.pk] == (6, 5) and counts[world.branch_b.pk] == (3, 3)


def test_a_merge_leaves_the_past_days_of_the_merged_branch_out_of_the_target(world: Any) -> None:
    _records_from(HISTORY_STARTS)
    orgs.merge_branches(actor=world.county_admin, source=world.branch_b, target=world.branch_a, on=MOVED_ON)
    assert _fact(world.root, "members.counts", JULY)[world.branch_a.pk] == (6, 5)
    assert _fact(world.root, "members.counts", SEPTEMBER)[world.branch_a.pk] == (9, 8)


# The property: random moves, then each past day's counts equal a count from the history alone ------------


def history_counts(prefix: str, day: dt.date) -> dict[int, tuple[int, int]]:
    """(members, full members) of each branch on ``day`` from the membership records alone: the record
    covering the day; before a member's first record, that record; no record at all, the current
    branch. Written from docs/compliance.md, without looking at the engine."""
    paths = dict(Organization.objects.values_list("id", "path"))
    records: dict[int, list[Membership]] = {}
    for r in Membership.objects.order_by("started_on", "id"):
        records.setdefault(r.member_id, []).append(r)
    out: dict[int, list[int]] = {}
    for m in Member.objects.all():
        if m.joined_on > day or (m.closed_on is not None and m.closed_on <= day):
            continue
        mine = records.get(m.pk, [])
        if not mine:
            branch = m.org_id
        else:
            covering = [r for r in mine if r.started_on <= day and (r.ended_on is None or r.ended_on > day)]
            assert len(covering) <= 1, "one membership at a time"
            if covering:
                branch = covering[0].org_id
            elif mine[0].started_on > day:
                branch = mine[0].org_id
            else:
                continue  # no branch that day
        if branch is None or not paths[branch].startswith(prefix):
            continue  # a merged branch is gone; or outside the subtree
        full = m.status == "full" and (m.full_member_on is None or m.full_member_on <= day)
        counts = out.setdefault(branch, [0, 0])
        counts[0] += 1
        counts[1] += int(full)
    return {k: (v[0], v[1]) for k, v in out.items()}


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["transfer", "transfer", "transfer", "merge", "split"]),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.integers(0, 2_000),  # days after the previous step
    ),
    max_size=8,
)
DAYS = st.lists(st.dates(dt.date(2019, 6, 1), dt.date(2026, 12, 31)), min_size=1, max_size=4)


def _apply(world: Any, steps: list[tuple[str, int, int, int]]) -> None:
    today = timezone.localdate()
    on = dt.date(2021, 1, 1)
    actor = world.county_admin
    for n, (action, x, y, gap) in enumerate(steps):
        on = min(on + dt.timedelta(days=gap % 400), today)
        branches = list(Organization.objects.filter(kind="branch").order_by("path"))
        source, target = branches[x % len(branches)], branches[y % len(branches)]
        people = list(Member.objects.filter(org=source, closed_on__isnull=True).order_by("id"))
        if action == "transfer" and people and source != target:
            member = people[y % len(people)]
            services.transfer_member(actor=actor, member=member, to_org=target, on=on)
        elif action == "merge" and source != target:
            orgs.merge_branches(actor=actor, source=source, target=target, on=on)
        elif action == "split" and people:
            chosen = people[: 1 + y % len(people)]
            orgs.split_branch(
                actor=actor,
                source=source,
                code=f"{source.code}9{n}",
                name=f"拆分支部{n}",
                members=chosen,
                on=on,
            )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, days=DAYS)
def test_past_days_count_the_membership_of_that_day(world: Any, steps: list, days: list[dt.date]) -> None:
    with transaction.atomic():
        _records_from(HISTORY_STARTS)
        # 赵敏 joined in 2019 here, so that any day of the steps may move her (still probationary).
        Member.objects.filter(name="赵敏").update(joined_on=dt.date(2019, 3, 1))
        _apply(world, steps)
        for root in Organization.objects.filter(code__in=["01", "0103"]):
            for day in days:
                engine = {k: v for k, v in _fact(root, "members.counts", day).items() if v != (0, 0)}
                assert engine == history_counts(root.path, day), (root.code, day)
        transaction.set_rollback(True)
