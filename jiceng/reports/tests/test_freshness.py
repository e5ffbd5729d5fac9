"""Stored evaluations are served only while fresh: every audited change under (or above) the organization,
every rule-version change and every engine change makes them stale; nothing else does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone, translation

from jiceng.core import audit, compliance, periods, rulesets
from jiceng.core.models import RuleVersion
from jiceng.life.models import Attendance, Meeting
from jiceng.members import services as members
from jiceng.orgs import services as orgs
from jiceng.reports import store
from jiceng.reports.models import ComplianceRun, StoredFinding


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


Q1 = periods.parse("2026-Q1")


@transaction.atomic
def record_meeting(actor: Any, org: Any, kind: str, day: dt.date, **extra: Any) -> Meeting:
    """What the meetings service does: the meeting and its change record in one transaction."""
    m = Meeting.objects.create(org=org, org_path=org.path, kind=kind, held_on=day, topic="测试", **extra)
    audit.created(actor=actor, obj=m)
    return m


def fresh(org: Any, period: periods.Period = Q1) -> bool:
    run = ComplianceRun.objects.filter(org=org, period=period.label).first()
    return run is not None and store.is_fresh(run, org)


def stored_keys(run: ComplianceRun) -> set[tuple[Any, ...]]:
    return {f.as_finding().key for f in run.findings.all()}


def test_a_stored_run_equals_the_evaluation_and_is_reused_while_fresh(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    run = store.run_for(world.root, Q1)
    assert stored_keys(run) == {f.key for f in compliance.evaluate(world.root, Q1)}
    assert run.finding_count == StoredFinding.objects.filter(run=run).count() > 0
    with django_assert_max_num_queries(4):
        again = store.run_for(world.root, Q1)
    assert again.pk == run.pk


def test_an_ancestors_fresh_run_serves_its_descendants(world: Any) -> None:
    run = store.run_for(world.root, Q1)
    assert store.run_for(world.branch_a, Q1).pk == run.pk
    codes = set(store.findings_of(run, world.branch_a).values_list("org_code", flat=True))
    assert codes == {"0101"}
    assert not ComplianceRun.objects.filter(org=world.branch_a).exists()


def test_a_recorded_meeting_makes_the_branch_and_its_ancestors_stale_not_its_siblings(world: Any) -> None:
    for org in (world.root, world.branch_a, world.branch_b):
        store.evaluate_and_store(org, Q1)
    assert fresh(world.root) and fresh(world.branch_a) and fresh(world.branch_b)
    record_meeting(world.alice, world.branch_a, "theme_day", dt.date(2026, 2, 10))
    assert not fresh(world.root) and not fresh(world.branch_a)
    assert fresh(world.branch_b)
    run = store.run_for(world.root, Q1)
    periods_left = {f.period for f in run.findings.filter(org_code="0101", rule="life.theme_day_monthly")}
    assert periods_left == {"2026-01", "2026-03"}


def test_a_member_change_makes_stale(world: Any) -> None:
    store.evaluate_and_store(world.branch_c, Q1)
    members.update_member(actor=world.county_admin, member=world.member_c, phone="13800000000")
    assert not fresh(world.branch_c)


def test_a_transfer_makes_the_branch_left_behind_stale(world: Any) -> None:
    """The change record of a transfer sits under the new branch; the old one loses a member too, from
    the transfer's day on (a past quarter keeps the member in the branch of its days)."""
    today = periods.parse(timezone.localdate().isoformat())
    for period in (Q1, today):
        store.evaluate_and_store(world.branch_b, period)
        store.evaluate_and_store(world.branch_c, period)
    members.transfer_member(actor=world.county_admin, member=world.members_b[0], to_org=world.branch_c)
    for period in (Q1, today):
        assert not fresh(world.branch_b, period)
        assert not fresh(world.branch_c, period)
    assert {f.rule for f in store.run_for(world.branch_b, today).findings.all()} >= {"org.branch_too_small"}
    assert "org.branch_too_small" not in {f.rule for f in store.run_for(world.branch_b, Q1).findings.all()}


def test_a_moved_subtree_makes_its_old_and_new_parents_stale(world: Any) -> None:
    store.evaluate_and_store(world.general, Q1)
    store.evaluate_and_store(world.branch_c, Q1)
    new_parent = orgs.create_org(
        actor=world.county_admin,
        parent=world.root,
        code="0104",
        name="第二党总支",
        kind="general_branch",
        unit_kind="government",
    )
    store.evaluate_and_store(new_parent, Q1)
    orgs.move_org(actor=world.county_admin, org=world.branch_c, new_parent=new_parent)
    world.branch_c.refresh_from_db()
    new_parent.refresh_from_db()
    assert not fresh(world.general)
    assert not fresh(new_parent)
    assert not fresh(world.branch_c)  # its path changed


def test_a_change_recorded_above_makes_the_runs_below_stale(world: Any) -> None:
    """An import or a change recorded at an ancestor may touch anything below it."""
    store.evaluate_and_store(world.branch_a, Q1)
    orgs.update_org(actor=world.county_admin, org=world.root, name="东城街道党工委（新）")
    assert not fresh(world.branch_a)


def test_rule_versions_make_stale_with_or_without_a_change_record(world: Any) -> None:
    store.evaluate_and_store(world.root, Q1)
    rulesets.add_rule_version(
        actor=world.sysadmin,
        code="org.branch_too_small",
        effective_from=dt.date(2026, 1, 1),
        citation="新",
        params={"min_full_members": 4},
    )
    assert not fresh(world.root)
    run = store.run_for(world.root, Q1)
    assert set(run.findings.filter(rule="org.branch_too_small").values_list("org_code", flat=True)) == {
        "0102",
        "010301",
    }
    RuleVersion.objects.create(
        code="life.theme_day_monthly", effective_from=dt.date(2025, 1, 1), enabled=False, citation="x"
    )
    assert not fresh(world.root)  # no change record, but the rule versions differ


def test_attendance_of_a_member_now_elsewhere_makes_the_new_branch_stale(world: Any) -> None:
    wang = world.members_a[1]
    meeting = Meeting.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        kind="theme_day",
        held_on=dt.date(2026, 1, 5),
        topic="t",
    )
    Attendance.objects.create(meeting=meeting, member=wang, presence="absent")
    members.transfer_member(actor=world.county_admin, member=wang, to_org=world.branch_c)
    store.evaluate_and_store(world.branch_c, Q1)
    with transaction.atomic():
        before = audit.snapshot(meeting)
        meeting.topic = "改"
        meeting.save()
        audit.updated(actor=world.alice, obj=meeting, before=before)
    assert not fresh(world.branch_c)


def test_logins_exports_and_reveals_do_not_make_stale(world: Any, client_for: Any) -> None:
    store.evaluate_and_store(world.branch_a, Q1)
    audit.record(actor=world.alice, action=audit.Action.EXPORT, obj=world.branch_a, message="导出")
    audit.record(actor=world.alice, action=audit.Action.LOGIN, object_repr="alice")
    members.reveal_id_number(actor=world.alice, member=world.members_a[0])
    assert fresh(world.branch_a)


def test_a_new_engine_version_makes_stale(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store.evaluate_and_store(world.branch_a, Q1)
    monkeypatch.setattr(compliance, "ENGINE_VERSION", "test-next")
    assert not fresh(world.branch_a)


def test_a_change_in_flight_while_evaluating_is_caught(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stamps are read before the data: a change committed during the evaluation is in the data
    and makes the stored run stale (the next read evaluates again): never stale data shown as fresh."""
    real = compliance.evaluate

    def evaluate_while_someone_writes(org: Any, period: Any, **kw: Any) -> list[compliance.Finding]:
        record_meeting(world.alice, world.branch_a, "theme_day", dt.date(2026, 1, 10))
        return real(org, period, **kw)

    monkeypatch.setattr(compliance, "evaluate", evaluate_while_someone_writes)
    store.evaluate_and_store(world.branch_a, Q1)
    assert not fresh(world.branch_a)


def test_an_import_written_in_bulk_makes_every_run_stale(world: Any) -> None:
    """Importers write their change records in bulk (no post_save), with one ``import`` record."""
    from jiceng.core.models import ObjectChange

    store.evaluate_and_store(world.branch_a, Q1)
    ObjectChange.objects.bulk_create(
        [ObjectChange(action="import", org_path=world.branch_b.path, object_repr="导入")]
    )
    assert not fresh(world.branch_a)


def test_the_meetings_signal_raises_the_stamps_too(world: Any) -> None:
    from jiceng.life.services import meetings_changed

    store.evaluate_and_store(world.branch_a, Q1)
    store.evaluate_and_store(world.branch_b, Q1)
    meetings_changed.send(
        sender=Meeting, org_paths=frozenset({world.branch_a.path}), first_day=None, last_day=None
    )
    assert not fresh(world.branch_a)
    assert fresh(world.branch_b)


def test_the_meetings_service_makes_stale(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    from jiceng.life import services as life

    store.evaluate_and_store(world.branch_a, Q1)
    with django_capture_on_commit_callbacks(execute=False):
        life.record_meeting(
            actor=world.alice, org=world.branch_a, kind="theme_day", held_on=dt.date(2026, 3, 3), topic="三月"
        )
    assert not fresh(world.branch_a)  # inside the transaction already, before any on_commit hook
    assert "2026-03" not in {
        f.period for f in store.run_for(world.branch_a, Q1).findings.filter(rule="life.theme_day_monthly")
    }
