"""The pages, as the street's admin and a branch secretary use them."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from jiceng.assessment import services
from jiceng.assessment.models import OrgResult, PanelScore, Scheme
from jiceng.core.models import ObjectChange
from jiceng.core.testing import page

from .helpers import TREE, scheme
from .year import generate

FORM = {
    "owner": "01",
    "name": "党支部星级评定",
    "year": "2025",
    "org_kind": "branch",
    "tree": TREE,
    "total": "100",
    "method": "quota",
    "grades": "五星 | 10\n四星 | 40%\n三星 | 30",
    "rank_siblings": "on",
    "no_data": "rescale",
}


def test_the_admin_defines_a_scheme_runs_it_and_reads_a_score_down_to_its_records(world, client_for):
    generate(world)
    c = client_for(world.county_admin)
    page(c.get(reverse("assessment:index")), one_h1=True, unique_ids=True)
    page(c.get(reverse("assessment:scheme_create")), one_h1=True, unique_ids=True)
    response = c.post(reverse("assessment:scheme_create"), FORM)
    s = Scheme.objects.get()
    assert response.status_code == 302 and response["Location"] == s.get_absolute_url()
    assert s.grading["grades"][1] == {"label": "四星", "quota": 40}
    assert ObjectChange.objects.filter(object_repr=str(s), action="create").exists()
    html = page(c.get(s.get_absolute_url()), one_h1=True, unique_ids=True)
    assert "三会一课按月落实率" in html and "life.months_complete" in html
    page(c.get(reverse("assessment:panel", kwargs={"pk": s.pk})), one_h1=True, unique_ids=True)
    response = c.post(
        reverse("assessment:panel", kwargs={"pk": s.pk}),
        {"org": "0101", "node_key": "1.2", "points": "8", "justification": "记录完整"},
    )
    assert response.status_code == 302 and PanelScore.objects.get().points == 8
    response = c.post(reverse("assessment:run_create", kwargs={"pk": s.pk}), {"as_of": "2025-12-31"})
    run = s.runs.get()
    assert response["Location"] == run.get_absolute_url()
    html = page(c.get(run.get_absolute_url()), one_h1=True, unique_ids=True)
    assert "90.00" in html and "四星" in html
    result = OrgResult.objects.get(run=run, org=world.branch_a)
    html = page(c.get(result.get_absolute_url()), one_h1=True, unique_ids=True)
    assert "90.00" in html and "暂无数据" in html and "记录完整" in html
    assert "/life/" in html and "/tasks/assignments/" in html  # links to the records
    assert "2025-01-01 — 2025-12-31" in html  # the parameters


def test_a_scheme_whose_weights_do_not_add_up_is_refused_on_the_form(world, client_for):
    c = client_for(world.county_admin)
    data = {**FORM, "tree": TREE.replace("组织生活 | 40", "组织生活 | 45")}
    html = page(c.post(reverse("assessment:scheme_create"), data))
    assert "指标1（组织生活）：下级指标权重之和为40，应等于本项权重45" in html
    assert not Scheme.objects.exists()
    data = {**FORM, "grades": "五星 | 60\n四星 | 50"}
    html = page(c.post(reverse("assessment:scheme_create"), data))
    assert "各等次比例之和为110%，不能超过100%" in html


def test_an_edit_keeps_the_earlier_run_on_its_version(world, client_for):
    s = scheme(world)
    run = services.start_run(actor=world.county_admin, scheme=s, as_of=dt.date(2025, 12, 31))
    c = client_for(world.county_admin)
    html = page(c.get(reverse("assessment:scheme_edit", kwargs={"pk": s.pk})), one_h1=True)
    assert "三会一课按月落实 | 30 | life.months_complete" in html
    data = {**FORM, "name": "第二版"}
    response = c.post(reverse("assessment:scheme_edit", kwargs={"pk": s.pk}), data)
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.version, s.name, run.version.number) == (2, "第二版", 1)


def test_a_queued_run_shows_its_progress_and_polls(
    world, client_for, settings, django_capture_on_commit_callbacks
):
    settings.ASSESSMENT_INLINE_LIMIT = 0
    s = scheme(world)
    with django_capture_on_commit_callbacks(execute=False):
        run = services.start_run(actor=world.county_admin, scheme=s, as_of=dt.date(2025, 12, 31))
    c = client_for(world.county_admin)
    html = page(c.get(run.get_absolute_url()), one_h1=True)
    assert 'hx-trigger="every 2s"' in html and "已完成0/6步" in html
    services.compute(run)
    response = c.get(run.get_absolute_url(), headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"


def test_a_secretary_sees_no_button_to_define_or_run(world, client_for):
    s = scheme(world)
    c = client_for(world.alice)
    html = page(c.get(reverse("assessment:index")))
    assert "新建考核方案" not in html and s.name in html
    html = page(c.get(s.get_absolute_url()))
    assert "运行考核" not in html and "修改方案" not in html
