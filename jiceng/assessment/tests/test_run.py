"""A run over a generated year equals the hand computation (tests/year.py), and is reproducible."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from jiceng.assessment import selectors, services
from jiceng.assessment.models import OrgResult

from .helpers import scheme
from .year import YEAR, generate

END = dt.date(YEAR, 12, 31)


@pytest.fixture
def year(world):
    generate(world)
    s = scheme(world, year=YEAR, rank_siblings=True)
    services.score_by_panel(
        actor=world.county_admin,
        scheme=s,
        node_key="1.2",
        org=world.branch_a,
        points="8",
        justification="记录完整",
    )
    services.score_by_panel(
        actor=world.county_admin,
        scheme=s,
        node_key="1.2",
        org=world.branch_b,
        points="5",
        justification="质量一般",
    )
    return s


def by_code(run):
    return {r.org.code: r for r in OrgResult.objects.filter(run=run).select_related("org")}


def test_scores_equal_the_hand_computation(world, year):
    run = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    r = by_code(run)
    a = r["0101"].values
    assert a["1.1"]["share"] == "0.8333" and (a["1.1"]["numerator"], a["1.1"]["denominator"]) == (10, 12)
    assert a["1.2"]["share"] == "0.8000"
    assert a["2"]["share"] == "1.0000"
    assert a["3"]["share"] is None and a["4"]["share"] is None  # no requests; no dues app: 暂无数据
    assert "暂无数据" in a["4"]["note"]
    # Rescaled: 服务群众 (20) and 党费 (10) have no data; 组织生活 (40) and 任务 (30) share the 100 points.
    # 100 × (30 × 0.8333 + 10 × 0.8 + 30 × 1) / 70 = 100 × 62.999 / 70 = 89.99857… → 90.00
    assert r["0101"].score == Decimal("90.00")
    assert a["1"]["effective"] == "57.14" and a["2"]["effective"] == "42.86"
    # 0102: 100 × (30 × 1 + 10 × 0.5 + 30 × 0) / 70 = 50.00
    assert r["0102"].score == Decimal("50.00")
    assert r["0102"].values["2"]["share"] == "0.0000"  # answered late
    # 010301: no meeting (0), no panel score (no data), the task open (0): 0.00
    assert r["010301"].score == Decimal("0.00")
    assert r["010301"].values["1.1"]["denominator"] == 12
    # Quotas 10/40/30 of 3: at most 0 five-star, 1 at four stars or better, 2 at three or better.
    assert (r["0101"].grade, r["0102"].grade, r["010301"].grade) == ("四星", "三星", "")
    # Ranks among siblings: 0101 and 0102 under the street, 010301 alone under its general branch.
    assert (r["0101"].rank, r["0101"].siblings) == (1, 2)
    assert (r["0102"].rank, r["010301"].rank, r["010301"].siblings) == (2, 1, 1)


def test_zero_policy_counts_no_data_as_nought(world, year):
    services.update_scheme(actor=world.county_admin, scheme=year, no_data="zero")
    run = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    # 30 × 0.8333 + 10 × 0.8 + 30 × 1 + 0 + 0 = 62.999 → 63.00
    assert by_code(run)["0101"].score == Decimal("63.00")


def test_every_point_is_traced_to_records_of_the_subtree(world, year):
    run = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    for result in OrgResult.objects.filter(run=run).select_related("org", "run__version"):
        for entry in selectors.trace(result).values():
            assert all(rec["org_path"].startswith(result.org_path) for rec in entry["records"])
            assert entry["same"]
    a = selectors.trace(by_code(run)["0101"])
    kinds = {rec["kind"] for rec in a["1.1"]["records"]}
    assert kinds == {"meeting", "finding"}  # the meetings held, and the months missed
    assert sum(1 for rec in a["1.1"]["records"] if rec["kind"] == "meeting") == 10 + 2 * 3
    assert [rec["status"] for rec in a["2"]["records"]] == ["按时完成"]
    assert a["2"]["records"][0]["url"].startswith("/tasks/assignments/")
    assert a["1.2"]["records"][0]["label"] == "记录完整"


def test_a_rerun_of_the_same_version_and_day_is_identical(world, year):
    first = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    second = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    one, two = by_code(first), by_code(second)
    for code in one:
        assert (one[code].score, one[code].grade, one[code].values, one[code].trace) == (
            two[code].score,
            two[code].grade,
            two[code].values,
            two[code].trace,
        )
    assert first.params == second.params and first.version_id == second.version_id


def test_an_edit_makes_a_new_version_and_old_results_keep_theirs(world, year):
    run = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    services.update_scheme(actor=world.county_admin, scheme=year, name="新名称")
    year.refresh_from_db()
    assert year.version == 2 and run.version.number == 1
    assert year.versions.count() == 2


def test_the_console_command(world, year, capsys):
    call_command("assess", "--scheme", str(year.pk), "--year", str(YEAR), "--as-of", END.isoformat())
    out = capsys.readouterr()
    assert "0101  和平社区党支部  90.00 #1/2  四星" in out.out
    assert "[6/6] 写入结果" in out.err  # five leaves, then the writing


def test_the_console_command_refuses_another_year(world, year):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2025年度"):
        call_command("assess", "--scheme", str(year.pk), "--year", "2024")


def test_a_large_run_goes_to_the_worker(world, year, settings, django_capture_on_commit_callbacks):
    settings.ASSESSMENT_INLINE_LIMIT = 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.start_run(actor=world.county_admin, scheme=year, as_of=END)
    assert run.status == "queued" and not run.results.exists() and len(callbacks) == 1
    callbacks[0]()  # the job, enqueued on commit (the tests' backend runs it at once)
    run.refresh_from_db()
    assert run.status == "done" and run.results.count() == 3 and run.progress == 100
