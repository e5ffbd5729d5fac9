"""共建协议 end to end: the three lists, progress by the committee and by the unit's liaison (and by
nobody else), unit figures against a hand count, the public community page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from jiceng.core.testing import page
from jiceng.partners import selectors, services
from jiceng.partners.models import Agreement, AgreementProject

pytestmark = pytest.mark.django_db


def test_a_secretary_signs_an_agreement_and_fills_the_three_lists_from_the_pages(world, client_for, units):  # noqa: ANN001
    client = client_for(world.alice)
    year = timezone.localdate().year
    url = reverse("partners:agreement_create", args=[world.unit_a.pk])
    page(client.get(url), one_h1=True, unique_ids=True)
    response = client.post(url, {"org": world.branch_a.pk, "year": year, "notes": "每季度碰头一次"})
    ag = Agreement.objects.get(unit=world.unit_a, year=year)
    assert response.status_code == 302 and response["Location"] == reverse("partners:agreement", args=[ag.pk])
    detail = reverse("partners:agreement", args=[ag.pk])
    client.post(
        reverse("partners:resource_add", args=[ag.pk]),
        {"res-kind": "hours", "res-description": "员工志愿服务", "res-quantity": "40", "res-measure": "小时"},
    )
    client.post(reverse("partners:need_add", args=[ag.pk]), {"need-description": "老旧小区加装扶手"})
    need = ag.needs.get()
    deadline = timezone.localdate() + dt.timedelta(days=10)
    client.post(
        reverse("partners:project_add", args=[ag.pk]),
        {"proj-title": "加装扶手", "proj-deadline": deadline.isoformat(), "proj-need": need.pk},
    )
    project = ag.projects.get()
    assert project.owner_org is None and project.need == need
    client.post(
        reverse("partners:milestone_add", args=[project.pk]),
        {"ms-title": "采购", "ms-due_on": deadline.isoformat()},
    )
    text = page(client.get(detail), one_h1=True, unique_ids=True)
    for words in ("员工志愿服务", "40.0小时", "老旧小区加装扶手", "加装扶手", "采购", "每季度碰头一次"):
        assert words in text
    # A refusal comes back as a message, nothing saved.
    response = client.post(reverse("partners:project_add", args=[ag.pk]), {"proj-title": ""}, follow=True)
    assert ag.projects.count() == 1 and "完成期限" in response.content.decode()
    # One agreement a year per unit and organization.
    response = client.post(url, {"org": world.branch_a.pk, "year": year})
    assert response.status_code == 200 and "该单位本年度已有与本组织的共建协议" in response.content.decode()


def test_the_liaison_records_progress_on_the_units_projects_only(world, client_for, agreement):  # noqa: ANN001
    from django.test import Client

    erin = Client()
    erin.force_login(world.erin)
    today = timezone.localdate()
    mine = page(erin.get(reverse("partners:mine")))
    assert reverse("partners:agreement", args=[agreement.pk]) in mine
    text = page(erin.get(reverse("partners:agreement", args=[agreement.pk])), unique_ids=True)
    assert "楼道灯改造" in text and "添加" not in text
    response = erin.post(
        reverse("partners:milestone_progress", args=[world.milestone.pk]),
        {"pg-done_on": today.isoformat(), "pg-note": "已勘查完毕"},
    )
    assert response.status_code == 302
    world.milestone.refresh_from_db()
    assert world.milestone.done_on == today and world.milestone.note == "已勘查完毕"
    world.project_unit.refresh_from_db()
    assert world.project_unit.status == "in_progress"
    assert erin.get(reverse("api-partner-agreement-list")).json()["count"] == 1
    erin.post(
        reverse("partners:project_status", args=[world.project_unit.pk]),
        {"st-status": "done", "st-done_on": today.isoformat()},
    )
    world.project_unit.refresh_from_db()
    assert world.project_unit.status == "done" and world.project_unit.done_on_time
    # Not the organization's own project, not the lists, not the tree.
    assert erin.post(reverse("partners:project_status", args=[world.project_org.pk]), {}).status_code == 403
    assert erin.post(reverse("partners:resource_add", args=[agreement.pk]), {}).status_code == 403
    assert erin.post(reverse("partners:milestone_add", args=[world.project_unit.pk]), {}).status_code == 403
    assert erin.get(reverse("orgs:detail", args=[world.branch_a.code])).status_code in (403, 404)
    with pytest.raises(PermissionDenied):
        services.set_project_status(actor=world.erin, project=world.project_org, status="in_progress")
    # Another unit's liaison sees none of it.
    frank = client_for(world.frank)
    assert frank.get(reverse("partners:agreement", args=[agreement.pk])).status_code == 404
    assert (
        frank.post(reverse("partners:milestone_progress", args=[world.milestone.pk]), {}).status_code == 404
    )
    assert frank.get(reverse("api-partner-agreement-detail", args=[agreement.pk])).status_code == 404
    assert frank.get(reverse("api-partner-agreement-list")).json()["count"] == 0


def test_the_api_round_trip(world, client_for, units):  # noqa: ANN001
    client = client_for(world.alice)
    year = timezone.localdate().year
    r = client.post(
        reverse("api-partner-agreement-list"),
        {"unit": world.unit_a.pk, "org": world.branch_a.code, "year": year},
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = client.post(
        reverse("api-partner-agreement-resources", args=[pk]),
        {"kind": "funds", "description": "共建经费", "quantity": "5000", "measure": "元"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["quantity"] == "5000.0"
    r = client.post(
        reverse("api-partner-agreement-projects", args=[pk]),
        {"title": "健身器材维修", "deadline": (timezone.localdate() + dt.timedelta(days=5)).isoformat()},
        format="json",
    )
    project = r.json()["id"]
    assert r.status_code == 201 and r.json()["owner_name"] == "和平物业"
    r = client.post(
        reverse("api-partner-project-milestones", args=[project]),
        {"title": "更换零件", "due_on": timezone.localdate().isoformat()},
        format="json",
    )
    milestone = r.json()["id"]
    from rest_framework.test import APIClient

    erin = APIClient()
    erin.force_login(world.erin)
    r = erin.post(
        reverse("api-partner-milestone-progress", args=[milestone]),
        {"done_on": timezone.localdate().isoformat(), "note": "完成"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["done"] is True
    r = client.post(reverse("api-partner-project-status", args=[project]), {"status": "done"}, format="json")
    assert r.status_code == 400 and "done_on" in r.content.decode()
    detail = client.get(reverse("api-partner-agreement-detail", args=[pk]))
    assert detail.json()["projects"][0]["milestones"][0]["note"] == "完成"
    r = client.patch(
        reverse("api-partner-agreement-detail", args=[pk]),
        {"notes": "新的要点"},
        content_type="application/json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert r.status_code == 200 and r.json()["notes"] == "新的要点"
    figures = client.get(reverse("api-partner-figures"), {"org": "0101", "year": year}).json()
    assert figures["units"][0]["unit_name"] == "和平物业" and figures["units"][0]["projects"] == 1


def test_a_unit_signs_only_near_where_it_is_registered(world, units):  # noqa: ANN001
    year = timezone.localdate().year
    with pytest.raises(ValidationError):
        services.create_agreement(actor=world.county_admin, unit=world.unit_b, org=world.branch_a, year=year)
    # The street above 和平社区 may sign with 和平物业; 和平社区's secretary cannot sign for 新华村.
    assert services.create_agreement(actor=world.county_admin, unit=world.unit_a, org=world.root, year=year)
    from django.http import Http404

    with pytest.raises(Http404):  # 新华村 lies outside alice's view
        services.create_agreement(actor=world.alice, unit=world.unit_b, org=world.branch_b, year=year)


def _request(world, unit, when, *, answered=False, solved=False, state="accepted"):  # noqa: ANN001, ANN202
    from jiceng.services import services as request_services
    from jiceng.services.models import Category, ServiceRequest

    req, _ = request_services.submit_request(
        org=world.branch_a, category=Category.objects.get(name="其他"), text="诉求", address="某处"
    )
    ServiceRequest.objects.filter(pk=req.pk).update(
        received_at=when,
        handler_partner=unit,
        answered_at=when + dt.timedelta(days=1) if answered else None,
        resolution="solved" if solved else "",
        state_type=state,
    )
    return req


def _activity(world, unit, when, hours, attended):  # noqa: ANN001, ANN202
    from jiceng.participation.models import Activity, Volunteer

    act = Activity.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        partner=unit,
        title="清扫",
        place="小区",
        starts_at=when,
        ends_at=when + dt.timedelta(hours=2),
        needed=5,
        hours=Decimal(hours),
    )
    for i, present in enumerate(attended):
        Volunteer.objects.create(
            activity=act,
            name_masked=f"王{i}*",
            signed_up_at=when - dt.timedelta(days=1),
            attended=present,
            hours=Decimal(hours) if present else Decimal("0"),
        )
    return act


def test_unit_figures_equal_a_hand_count(world, agreement):  # noqa: ANN001
    today = timezone.localdate()
    year = today.year
    tz = timezone.get_current_timezone()
    jan = dt.datetime(year, 1, 10, 9, tzinfo=tz)
    last_year = dt.datetime(year - 1, 12, 30, 9, tzinfo=tz)
    # Projects: 楼道灯改造 done on time, 垃圾分类宣传 done late, a third cancelled (not counted), one
    # in another year's agreement (not counted).
    AgreementProject.objects.filter(pk=world.project_unit.pk).update(
        status="done", done_on=today - dt.timedelta(days=1)
    )
    AgreementProject.objects.filter(pk=world.project_org.pk).update(
        status="done", done_on=world.project_org.deadline + dt.timedelta(days=1)
    )
    services.add_project(actor=world.alice, agreement=agreement, title="取消的", deadline=today)
    AgreementProject.objects.filter(title="取消的").update(status="cancelled")
    old = services.create_agreement(actor=world.alice, unit=world.unit_a, org=world.branch_a, year=year - 1)
    services.add_project(actor=world.alice, agreement=old, title="去年的", deadline=dt.date(year - 1, 6, 1))
    # Requests: three this year handled by the unit (two answered, one of them solved), one merged
    # (not counted), one last year (not counted), one of the other unit.
    _request(world, world.unit_a, jan, answered=True, solved=True, state="resolved")
    _request(world, world.unit_a, jan, answered=True, state="answered")
    _request(world, world.unit_a, jan)
    _request(world, world.unit_a, jan, state="merged")
    _request(world, world.unit_a, last_year, answered=True)
    _request(world, world.unit_b, jan, answered=True)
    # Hours: 2.5 h × 2 present (one absent), 1 h × 1 present; last year's not counted.
    _activity(world, world.unit_a, jan, "2.5", [True, True, False])
    _activity(world, world.unit_a, jan + dt.timedelta(days=3), "1", [True])
    _activity(world, world.unit_a, last_year, "3", [True])

    rows = {f.unit.name: f for f in selectors.unit_figures(world.branch_a, year)}
    a = rows["和平物业"]
    assert (a.projects, a.done, a.on_time) == (2, 2, 1)
    assert (a.requests, a.answered) == (3, 2)
    assert (a.hours, a.attendances) == (Decimal("6.0"), 3)
    b = rows["新华超市"]
    assert (b.projects, b.requests, b.answered, b.hours) == (0, 1, 1, Decimal("0"))
    # The street's figures hold the same unit sums; 新华村's subtree holds none of them.
    assert selectors.unit_figures(world.root, year)[0] == a
    assert selectors.unit_figures(world.branch_b, year) == []
    # The page shows the same numbers, never a person.
    text = page(client_for_alice(world).get(reverse("partners:figures"), {"org": "0101", "year": year}))
    assert 'data-figure="on_time">1<' in text, (
        text[text.find("unit-figures") : text.find("unit-figures") + 1500]
        and 'data-figure="hours">6.0<' in text
    )

    from jiceng.partners.public import year_figures

    f = year_figures(world.branch_a, year)
    assert f["requests_received"] == 4  # the other unit's request was made in 和平社区 too
    assert f["requests_solved"] == 1
    assert (f["projects"], f["projects_done"], f["projects_on_time"]) == (2, 2, 1)
    assert f["hours"] == Decimal("6.0")


def client_for_alice(world):  # noqa: ANN001, ANN201
    from django.test import Client

    c = Client()
    c.force_login(world.alice)
    return c


def test_the_public_page_shows_what_is_done_for_residents_and_nothing_personal(
    world, client, agreement, settings
):  # noqa: ANN001
    from jiceng.participation.models import Activity

    world.unit_a.phone = "010-88886666"
    world.unit_a.save()
    start = timezone.now() + dt.timedelta(days=3)
    Activity.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        title="义诊",
        place="社区服务站",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        needed=6,
        hours=Decimal("2"),
    )
    year = timezone.localdate().year
    _activity(world, world.unit_a, timezone.now() - dt.timedelta(days=1), "2", [True])
    url = reverse("community:page", args=[world.branch_a.code])
    text = page(client.get(url), one_h1=True, unique_ids=True)
    for words in (
        "和平社区",
        "义诊",
        "楼道灯改造",
        "勘查",
        "和平物业",
        reverse("requests:intake", args=["0101"]),
    ):
        assert words in text, words
    keys = [
        s
        for s in ("services.intake", "participation.activities", "partners.projects", "partners.figures")
        if f'data-public-section="{s}"' in text
    ]
    assert keys == ["services.intake", "participation.activities", "partners.projects", "partners.figures"]
    for private in ("erin", "物业联系人", "010-88886666", "王0", world.alice.full_name or "alice", "每季度"):
        assert private not in text, private
    assert "<script" not in text.split("</head>")[1] and "http://" not in text and "https://" not in text
    # A branch that is not a community or village has no public page; nor does an unknown code.
    assert client.get(reverse("community:page", args=[world.branch_c.code])).status_code == 404
    assert client.get(reverse("community:page", args=["nope"])).status_code == 404
    # The services' intake and tracking pages link to it.
    assert url in client.get(reverse("requests:intake", args=["0101"])).content.decode()
    from jiceng.services import services as request_services
    from jiceng.services.models import Category

    _req, token = request_services.submit_request(
        org=world.branch_a, category=Category.objects.get(name="其他"), text="路灯坏了", address="3号楼"
    )
    assert url in client.get(reverse("requests:track", args=[token])).content.decode()
    # Rate limited per address.
    settings.PUBLIC_PAGE_LIMIT = 3
    from django.core.cache import cache

    cache.clear()
    codes = [client.get(url, REMOTE_ADDR="198.51.100.7").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(url, REMOTE_ADDR="198.51.100.8").status_code == 200
    cache.clear()
    assert year


def test_a_section_registered_by_another_app_shows_in_its_order(world, client):  # noqa: ANN001
    from jiceng.core import registry

    registry.register_public_section(
        "test.consultation", 5, lambda org, year: ("orgs/public/_probe.html", {"n": year})
    )
    try:
        text = client.get(reverse("community:page", args=["0101"])).content.decode()
        assert text.index('data-public-section="test.consultation"') < text.index(
            'data-public-section="partners.figures"'
        )
        registry.register_public_section("test.consultation", 5, lambda org, year: None)
        text = client.get(reverse("community:page", args=["0101"])).content.decode()
        assert "test.consultation" not in text
    finally:
        registry.public_sections.unregister("test.consultation")


def test_the_demo_town_holds_an_agreement_with_a_project_done_on_time(client) -> None:  # noqa: ANN001
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("demo", stdout=out)
    assert "共建协议" in out.getvalue()
    ag = Agreement.objects.select_related("org", "unit").get()
    assert ag.resources.count() == 4 and ag.needs.count() >= 2
    assert [p.done_on_time for p in ag.projects.order_by("deadline")] == [True, False, False]
    assert ag.projects.filter(milestones__done_on__isnull=True).exists()
    figures = {f.unit.pk: f for f in selectors.unit_figures(ag.org, timezone.localdate().year)}
    assert figures[ag.unit.pk].on_time == 1 and figures[ag.unit.pk].hours > 0
    text = page(client.get(reverse("community:page", args=[ag.org.code])), one_h1=True, unique_ids=True)
    assert "楼道照明改造" in text and ag.unit.name in text
    from jiceng.participation.models import Volunteer

    for v in Volunteer.objects.filter(member__isnull=False).select_related("member"):
        assert v.member.name not in text


def test_the_public_page_reads_a_fixed_number_of_queries(world, client, agreement):  # noqa: ANN001
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("community:page", args=[world.branch_a.code])
    cache.clear()
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    today = timezone.localdate()
    for n in range(3):
        unit = world.unit_a.__class__.objects.create(name=f"单位{n}", kind="social", org=world.branch_a)
        ag = services.create_agreement(actor=world.alice, unit=unit, org=world.branch_a, year=today.year)
        for k in range(2):
            p = services.add_project(actor=world.alice, agreement=ag, title=f"项目{n}{k}", deadline=today)
            services.add_milestone(actor=world.alice, project=p, title="节点", due_on=today)
    with CaptureQueriesContext(connection) as after:
        text = client.get(url).content.decode()
    assert "项目21" in text
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]
