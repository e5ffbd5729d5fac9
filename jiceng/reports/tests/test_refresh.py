"""No request waits for a recomputation: stale results are shown with their time while a background task
refreshes them; refreshes are coalesced, locked, and say nothing about writes outside the user's scope.

The fixture tree is tiny, so ``JICENG_COMPLIANCE_INLINE_MAX_MEMBERS = 0`` makes every subtree "large"
(evaluated in the background) unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.core import audit, compliance, periods
from jiceng.life.models import Meeting
from jiceng.reports import selectors, store
from jiceng.reports.models import ComplianceRefresh, ComplianceRun

Q1 = periods.parse("2026-Q1")


@pytest.fixture(autouse=True)
def _large(settings: Any) -> Any:
    settings.JICENG_COMPLIANCE_INLINE_MAX_MEMBERS = 0
    with translation.override("zh-hans"):
        yield


def record_meeting(world: Any, org: Any, day: dt.date) -> Meeting:
    from jiceng.life import services as life

    return life.record_meeting(actor=world.county_admin, org=org, kind="theme_day", held_on=day, topic="学习")


def committed() -> list[Any]:
    """What happens when the writes so far commit (a test's transaction never does): the paths they
    touched are collected once per transaction and the refreshes asked for. Returns the tasks queued,
    not run."""
    state = getattr(connection, "_jiceng_stale_paths", None)
    with TestCase.captureOnCommitCallbacks(execute=False) as tasks:
        if state is not None:
            state[0]()
    return tasks


def health_url(org: Any, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"period": Q1.label, **extra}.items())
    return reverse("reports:health", args=[org.code]) + "?" + query


def total(html: str) -> int:
    """The count in the 问题总数 card."""
    found = re.search(r'id="hc-total">[^<]*</h2>\s*<p[^>]*><a[^>]*>([\d,]+)</a>', html)
    assert found, "no total on the page"
    return int(found.group(1).replace(",", ""))


def test_nothing_stored_answers_at_once_and_the_task_stores_the_results(
    world: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world.county_admin)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        html = client.get(health_url(world.root)).content.decode()
    assert "正在计算体检结果" in html and 'hx-trigger="every 2s"' in html
    assert not ComplianceRun.objects.exists()  # the request evaluated nothing
    assert ComplianceRefresh.objects.filter(org=world.root, period=Q1.label).count() == 1
    assert len(queued) == 1
    queued[0]()  # the queued task, run by the (immediate) task backend
    run = ComplianceRun.objects.get(org=world.root, period=Q1.label)
    assert {f.as_finding().key for f in run.findings.all()} == {
        f.key for f in compliance.evaluate(world.root, Q1)
    }
    assert not ComplianceRefresh.objects.exists()
    html = client.get(health_url(world.root)).content.decode()
    assert 'data-freshness="fresh"' in html and "hx-trigger" not in html
    assert total(html) == run.finding_count > 0


def test_a_write_shows_the_last_results_refreshing_and_the_poll_swaps_in_the_new_ones(
    world: Any, client_for: Any
) -> None:
    client = client_for(world.county_admin)
    run = store.evaluate_and_store(world.root, Q1)
    before = total(client.get(health_url(world.root)).content.decode())  # viewed: watched from now on
    record_meeting(world, world.branch_a, dt.date(2026, 2, 10))
    queued = committed()
    assert ComplianceRefresh.objects.filter(org=world.root).count() == 1  # queued by the write itself
    html = client.get(health_url(world.root)).content.decode()
    assert 'data-freshness="stale"' in html and "正在更新" in html
    assert total(html) == before  # the last results, at once
    poll = health_url(world.root, poll=str(run.pk))
    assert (
        client.get(poll, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="jc-results").status_code == 204
    )  # still refreshing
    for callback in queued:
        callback()
    fragment = client.get(poll, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="jc-results")
    text = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in text and 'id="jc-results"' in text
    assert total(text) == before - 1  # February's theme day is no longer missing
    assert "hx-trigger" not in text and "poll=" not in text  # polling stops; links carry no poll


def test_a_burst_of_writes_queues_one_refresh_per_run(world: Any) -> None:
    committed()  # the fixture's writes
    for org in (world.root, world.branch_a, world.branch_b):
        run = store.evaluate_and_store(org, Q1)
        ComplianceRun.objects.filter(pk=run.pk).update(viewed_at=timezone.now())
    store.evaluate_and_store(world.general, Q1)  # never viewed: left to its next view
    for day in (5, 6, 7):
        record_meeting(world, world.branch_a, dt.date(2026, 1, day))
    queued = committed()
    asked = set(ComplianceRefresh.objects.values_list("org__code", "generation"))
    assert {code for code, _g in asked} == {"01", "0101"}  # not the sibling, not the unviewed run
    assert len(queued) == 2  # one task per run, not one per write
    record_meeting(world, world.branch_a, dt.date(2026, 1, 8))  # another transaction, while queued
    assert committed() == []
    assert ComplianceRefresh.objects.get(org=world.root).generation == 2


def test_an_import_asks_for_every_run_viewed_lately(world: Any) -> None:
    from jiceng.core.models import ObjectChange

    committed()
    for org in (world.branch_b, world.branch_c):
        run = store.evaluate_and_store(org, Q1)
        ComplianceRun.objects.filter(pk=run.pk).update(viewed_at=timezone.now())
    audit.record(
        actor=world.county_admin, action=ObjectChange.Action.IMPORT, obj=world.branch_a, message="导入"
    )
    queued = committed()
    assert len(queued) == 2
    for task in queued:
        task()  # the immediate task backend runs the refresh
    assert not ComplianceRefresh.objects.exists()
    for org in (world.branch_b, world.branch_c):
        run = ComplianceRun.objects.get(org=org, period=Q1.label)
        assert store.is_fresh(run, org)


def test_small_subtrees_are_evaluated_on_the_request(world: Any, client_for: Any, settings: Any) -> None:
    settings.JICENG_COMPLIANCE_INLINE_MAX_MEMBERS = 3000
    client = client_for(world.alice)
    store.evaluate_and_store(world.branch_a, Q1)
    record_meeting(world, world.branch_a, dt.date(2026, 2, 10))
    html = client.get(health_url(world.branch_a)).content.decode()
    assert 'data-freshness="fresh"' in html and "2026年2月未开展主题党日" not in html
    assert not ComplianceRefresh.objects.exists()


def test_two_refreshes_never_both_write(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    store.request_refresh(world.root, Q1)
    row = ComplianceRefresh.objects.get()
    ComplianceRefresh.objects.filter(pk=row.pk).update(claimed_by="other", claimed_at=timezone.now())
    assert store.refresh(org_id=world.root.pk, period_label=Q1.label) == "busy"
    assert not ComplianceRun.objects.exists()

    # A worker whose claim is taken over while it evaluates writes nothing.
    ComplianceRefresh.objects.filter(pk=row.pk).update(claimed_by="", claimed_at=None)
    real = compliance.evaluate

    def taken_over(org: Any, period: Any, **kw: Any) -> list[compliance.Finding]:
        ComplianceRefresh.objects.filter(pk=row.pk).update(claimed_by="thief", claimed_at=timezone.now())
        return real(org, period, **kw)

    compliance.evaluate = taken_over
    try:
        assert store.refresh(org_id=world.root.pk, period_label=Q1.label) == "busy"
    finally:
        compliance.evaluate = real
    assert not ComplianceRun.objects.exists()
    # A claim older than the lease belongs to a worker that died: it is taken over.
    ComplianceRefresh.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - store.LEASE * 2)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        store.request_refresh(world.root, Q1)
    assert len(queued) == 1
    assert store.refresh(org_id=world.root.pk, period_label=Q1.label) == "done"
    assert ComplianceRun.objects.filter(org=world.root).count() == 1


def test_asked_again_while_refreshing_runs_again(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    store.request_refresh(world.root, Q1)
    real = compliance.evaluate

    def written_meanwhile(org: Any, period: Any, **kw: Any) -> list[compliance.Finding]:
        store.request_refresh(world.root, Q1)  # a write committed during the evaluation asks again
        return real(org, period, **kw)

    compliance.evaluate = written_meanwhile
    try:
        with django_capture_on_commit_callbacks(execute=False) as queued:
            assert store.refresh(org_id=world.root.pk, period_label=Q1.label) == "again"
    finally:
        compliance.evaluate = real
    assert len(queued) == 1  # queued anew, behind the other tasks
    row = ComplianceRefresh.objects.get()
    assert row.claimed_by == "" and row.generation == 2
    assert store.refresh(org_id=world.root.pk, period_label=Q1.label) == "done"
    assert not ComplianceRefresh.objects.exists()


def test_without_a_worker_the_page_still_answers_and_says_so(world: Any, client_for: Any) -> None:
    store.evaluate_and_store(world.root, Q1)
    record_meeting(world, world.branch_a, dt.date(2026, 2, 10))
    client = client_for(world.county_admin)
    client.get(health_url(world.root))
    ComplianceRefresh.objects.update(requested_at=timezone.now() - store.NO_WORKER_AFTER * 2)
    html = client.get(health_url(world.root)).content.decode()
    assert 'data-freshness="stale"' in html and "后台任务" in html and total(html) > 0
    assert ComplianceRefresh.objects.count() == 1  # asking again queued nothing more


def test_a_branch_served_from_a_fresh_ancestor_gets_its_own_run(world: Any) -> None:
    store.evaluate_and_store(world.root, Q1)
    served = store.serve(world.branch_a, Q1)
    assert served.fresh and served.run.org_id == world.branch_a.pk
    assert {f.as_finding().key for f in served.run.findings.all()} == {
        f.key for f in compliance.evaluate(world.branch_a, Q1)
    }
    assert served.run.finding_count == served.run.findings.count() > 0


def test_the_status_says_nothing_of_writes_outside_the_users_scope(world: Any, client_for: Any) -> None:
    """Alice (branch 0101) sees her branch's results as of the same time, fresh, whatever is written in
    the sibling branch or recomputed for the street above her."""
    store.evaluate_and_store(world.root, Q1)
    client = client_for(world.alice)
    first = client.get(health_url(world.branch_a)).content.decode()
    assert 'data-freshness="fresh"' in first
    record_meeting(world, world.branch_b, dt.date(2026, 2, 11))  # outside alice's scope
    for task in committed():
        task()
    store.evaluate_and_store(world.root, Q1)
    again = client.get(health_url(world.branch_a)).content.decode()
    stamp = re.compile(r'data-freshness="\w+">\s*[^<]*')
    assert stamp.search(again).group(0) == stamp.search(first).group(0)
    assert client.get(health_url(world.branch_b, poll="0")).status_code == 404  # polling is scoped too
    assert client.get(reverse("reports:ranking", args=["01"]) + "?poll=0").status_code == 404


def test_the_api_says_how_current_the_findings_are(world: Any, client_for: Any) -> None:
    client = client_for(world.county_admin)
    url = f"/api/v1/findings/?org=01&period={Q1.label}"
    body = client.get(url).json()
    assert body["state"] == "computing" and body["as_of"] is None and body["refreshing"] is True
    assert body["results"] == []
    store.refresh(org_id=world.root.pk, period_label=Q1.label)
    body = client.get(url).json()
    assert body["state"] == "fresh" and body["as_of"] and body["refreshing"] is False
    assert body["count"] == ComplianceRun.objects.get(org=world.root).finding_count
    record_meeting(world, world.branch_a, dt.date(2026, 2, 10))
    body = client.get(url).json()
    assert body["state"] == "stale" and body["refreshing"] is True and body["count"] > 0


def test_ranking_and_export_while_computing(world: Any, client_for: Any) -> None:
    client = client_for(world.county_admin)
    ranking = client.get(reverse("reports:ranking", args=["01"]) + f"?period={Q1.label}")
    assert ranking.status_code == 200 and "正在计算体检结果" in ranking.content.decode()
    export = client.get(reverse("reports:export", args=["01"]) + f"?period={Q1.label}")
    assert export.status_code == 302 and export["Location"].startswith("/reports/01/")
    store.refresh(org_id=world.root.pk, period_label=Q1.label)
    assert client.get(reverse("reports:export", args=["01"]) + f"?period={Q1.label}").status_code == 200


def test_unchanged_is_scoped(world: Any) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.unchanged(world.alice, code="0102", period=Q1, shown=0)


def test_a_large_subtree_is_never_evaluated_on_the_request(
    world: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stale, or nothing stored: the pages, the ranking and the API answer from what is stored."""
    store.evaluate_and_store(world.root, Q1)
    record_meeting(world, world.branch_a, dt.date(2026, 2, 10))

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("evaluated on the request")

    monkeypatch.setattr(compliance, "evaluate", refuse)
    monkeypatch.setattr(compliance, "evaluate_plan", refuse)
    client = client_for(world.county_admin)
    for url in (
        health_url(world.root),
        health_url(world.general),  # nothing stored for it, and its ancestor's run is stale
        reverse("reports:ranking", args=["01"]) + f"?period={Q1.label}",
        f"/api/v1/findings/?org=01&period={Q1.label}",
        health_url(world.root, period="2026-Q2"),
    ):
        assert client.get(url).status_code == 200, url
    assert set(ComplianceRefresh.objects.values_list("org__code", "period")) == {
        ("01", "2026-Q1"),
        ("0103", "2026-Q1"),
        ("01", "2026-Q2"),
    }


def test_writes_leave_small_subtrees_to_their_next_view(world: Any, settings: Any) -> None:
    committed()
    for org in (world.root, world.branch_a):
        run = store.evaluate_and_store(org, Q1)
        ComplianceRun.objects.filter(pk=run.pk).update(viewed_at=timezone.now())
    settings.JICENG_COMPLIANCE_INLINE_MAX_MEMBERS = 6  # the branch's 6 members: evaluated on its view
    record_meeting(world, world.branch_a, dt.date(2026, 1, 5))
    assert len(committed()) == 1
    assert set(ComplianceRefresh.objects.values_list("org__code", flat=True)) == {"01"}


def test_a_failed_refresh_is_asked_again_after_the_lease_not_at_every_poll(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.request_refresh(world.root, Q1)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(compliance, "evaluate", broken)
    with pytest.raises(RuntimeError):
        store.refresh(org_id=world.root.pk, period_label=Q1.label)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        store.request_refresh(world.root, Q1)
    assert queued == []
    ComplianceRefresh.objects.update(claimed_at=timezone.now() - store.LEASE * 2)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        store.request_refresh(world.root, Q1)
    assert len(queued) == 1


def test_a_write_asks_the_runs_above_at_and_below_its_path_viewed_lately_and_large(
    world: Any, settings: Any
) -> None:
    """``schedule_refreshes`` (written-out SQL): the runs of the path, its ancestors and its subtree,
    viewed within ``WATCH``, of organizations above ``inline_max_members``, in the order of their paths;
    not a sibling, nor a run viewed long ago, nor a small subtree."""
    from jiceng.orgs.models import OrgTally

    committed()
    now = timezone.now()
    for org in (world.root, world.general, world.branch_c, world.branch_b, world.branch_a):
        run = store.evaluate_and_store(org, Q1)
        seen = now - store.WATCH - dt.timedelta(hours=1) if org == world.branch_a else now
        ComplianceRun.objects.filter(pk=run.pk).update(viewed_at=seen)

    def asked(paths: set[str]) -> list[str]:
        ComplianceRefresh.objects.all().delete()
        with TestCase.captureOnCommitCallbacks(execute=False):
            count = store.schedule_refreshes(paths)
        codes = list(ComplianceRefresh.objects.order_by("org__path").values_list("org__code", flat=True))
        assert count == len(codes)
        return codes

    assert asked({world.general.path}) == ["01", "0103", "010301"]
    assert asked({world.branch_c.path}) == ["01", "0103", "010301"]
    assert asked({world.branch_a.path}) == ["01"]  # its own run was viewed too long ago
    assert asked({store.GLOBAL}) == ["01", "0102", "0103", "010301"]
    assert asked(set()) == []
    members = {t.org.code: t.counts.get("members", 0) for t in OrgTally.objects.select_related("org")}
    settings.JICENG_COMPLIANCE_INLINE_MAX_MEMBERS = members["010301"]  # not above: left to its view
    assert members["01"] > members["010301"] and members["0103"] == members["010301"]
    assert asked({world.branch_c.path}) == ["01"]
