"""Traces kept as keys and listed on demand: a run stores per value the count of its records and the sum
of their ids; a score's page lists the records again, exactly those counted, and says so when the
records changed after the run. The set-based computation of a run equals the traced one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.assessment import indicators, selectors, services
from jiceng.assessment.indicators import Context, Target
from jiceng.assessment.models import OrgResult
from jiceng.core.models import RuleVersion
from jiceng.life import services as life
from jiceng.orgs import services as orgs
from jiceng.orgs.models import Organization

from .helpers import scheme
from .year import YEAR, generate

END = dt.date(YEAR, 12, 31)
TRACED = (
    "life.months_complete",
    "tasks.on_time",
    "services.response_rate",
    "services.resolution_rate",
    "services.satisfaction_rate",
    "development.findings_resolved",
    "orgs.committee_in_term",
)


@pytest.fixture
def year(world):
    generate(world)
    return scheme(world, year=YEAR)


def _results(run):
    return {
        r.org.code: r
        for r in OrgResult.objects.filter(run=run).select_related("org", "run__version", "run__scheme")
    }


def test_the_page_lists_exactly_the_records_counted(world, year, client_for):
    run = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    for code, r in _results(run).items():
        for key, entry in selectors.trace(r).items():
            assert entry["same"], (code, key)
            assert entry["listed"] == entry["count"] == r.trace[key]["count"]
    a = _results(run)["0101"]
    life_trace = selectors.trace(a)["1.1"]
    kinds = [rec["kind"] for rec in life_trace["records"]]
    # 16 meetings held (10 theme days, 3 × 2 quarterly), and one line for each month missed (Nov., Dec.)
    values = a.values["1.1"]
    assert kinds.count("meeting") == 16
    assert kinds.count("finding") == values["denominator"] - values["numerator"] == 2
    assert a.trace["1.1"]["id_sum"] == sum(rec["id"] for rec in life_trace["records"] if rec["id"])
    page = client_for(world.county_admin).get(f"/assessment/results/{a.pk}/").content.decode()
    meeting = next(rec for rec in life_trace["records"] if rec["kind"] == "meeting")
    assert f'href="{meeting["url"]}"' in page and "data-trace-changed" not in page


def test_records_changed_after_the_run_are_flagged_and_the_value_kept(world, year, client_for):
    run = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    a = _results(run)["0101"]
    life.record_meeting(
        actor=world.county_admin,
        org=world.branch_a,
        kind="theme_day",
        held_on=dt.date(YEAR, 11, 10),
        topic="补开主题党日",
        expected=5,
        present=5,
    )
    a.refresh_from_db()
    entry = selectors.trace(a)["1.1"]
    assert not entry["same"] and entry["count"] == a.trace["1.1"]["count"]
    assert a.values["1.1"]["numerator"] == 10  # the run's value, not recomputed
    page = client_for(world.county_admin).get(f"/assessment/results/{a.pk}/").content.decode()
    assert "data-trace-changed" in page


def _compare(world, targets):
    ctx_args = {"year": YEAR, "start": dt.date(YEAR, 1, 1), "end": END, "owner_path": world.root.path}
    for key in TRACED:
        spec = indicators.get(key)
        params = spec.resolved_params({})
        fast = spec.compute(Context(targets=targets, **ctx_args), params)
        slow = spec.trace(Context(targets=targets, **ctx_args), params)
        for t in targets:
            a, b = fast[t.id], slow[t.id]
            assert (a.share, a.numerator, a.denominator) == (b.share, b.numerator, b.denominator), (
                key,
                t.code,
            )
            assert a.key.count == len(b.records), (key, t.code)
            if a.key.id_sum is not None:
                assert a.key.id_sum == sum(r.id for r in b.records if r.id is not None), (key, t.code)


def _targets(*kinds: str) -> list[Target]:
    return [
        Target(*row)
        for row in Organization.objects.filter(kind__in=kinds, depth__gt=1)
        .order_by("path")
        .values_list("id", "code", "name", "path", "kind")
    ]


def test_the_set_based_run_equals_the_traced_indicators(world):
    generate(world)
    # A committee in force from March (支委会 monthly from April on), a party group with its meetings in
    # some months only, a branch founded in the year, and the Party lecture switched off from July.
    orgs.record_election(actor=world.county_admin, org=world.branch_b, elected_on=dt.date(YEAR, 3, 15))
    group = orgs.create_group(actor=world.county_admin, org=world.branch_b, name="第一党小组")
    for month in (4, 5, 9):
        life.record_meeting(
            actor=world.county_admin,
            org=world.branch_b,
            kind="committee_meeting",
            held_on=dt.date(YEAR, month, 3),
            topic="支委会",
            expected=3,
            present=3,
        )
        life.record_meeting(
            actor=world.county_admin,
            org=world.branch_b,
            kind="group_meeting",
            group=group,
            held_on=dt.date(YEAR, month, 4),
            topic="党小组会",
            expected=3,
            present=3,
        )
    Organization.objects.filter(pk=world.branch_a.pk).update(founded_on=dt.date(YEAR, 2, 14))
    RuleVersion.objects.create(
        code="life.party_lecture_quarterly",
        effective_from=dt.date(YEAR, 7, 1),
        enabled=False,
        citation="测试",
    )
    _compare(world, _targets("branch"))
    _compare(world, _targets("branch", "general_branch"))  # pooled over a subtree


def test_a_runs_queries_do_not_grow_with_the_records(world, year):
    def queries() -> int:
        run = services.start_run(actor=world.county_admin, scheme=year, as_of=END, mode="caller")
        with CaptureQueriesContext(connection) as captured:
            services.compute(run)
        return len(captured.captured_queries)

    before = queries()
    for month in range(1, 13):
        life.record_meeting(
            actor=world.county_admin,
            org=world.branch_c,
            kind="theme_day",
            held_on=dt.date(YEAR, month, 20),
            topic="主题党日",
            expected=4,
            present=4,
        )
    orgs.create_org(
        actor=world.county_admin,
        parent=world.root,
        code="0104",
        name="新建党支部",
        kind="branch",
        unit_kind="community",
    )
    assert queries() == before


def test_a_score_pages_queries_do_not_grow_with_the_records(world, year, client_for):
    client = client_for(world.county_admin)
    # The general branch 0103: its trace pools the records of its branch 010301.
    pooled = scheme(world, year=YEAR, org_kind="general_branch")

    def queries() -> int:
        run = services.start_run(actor=world.county_admin, scheme=pooled, as_of=END)
        r = OrgResult.objects.get(run=run, org=world.general)
        assert all(e["same"] for e in selectors.trace(r).values())
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/assessment/results/{r.pk}/").status_code == 200
        return len(captured.captured_queries)

    before = queries()
    for month in range(1, 13):
        life.record_meeting(
            actor=world.county_admin,
            org=world.branch_c,
            kind="theme_day",
            held_on=dt.date(YEAR, month, 20),
            topic="主题党日",
            expected=4,
            present=4,
        )
    assert queries() == before
