"""The pages a person clicks through: report, accept, publish, sign up, record attendance, the own home
and the certificate; every page passes the CSP and label checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.core.testing import page
from jiceng.participation import services
from jiceng.participation.models import Activity, MemberRegistration, ServiceTask, Volunteer

from .conftest import later

pytestmark = pytest.mark.django_db


def test_a_member_reports_from_the_page_and_the_community_accepts(world, zheng, client_for):
    c = client_for(zheng)
    html = page(c.get(reverse("participation:registration_new")), one_h1=True)
    assert (
        "和平社区党支部" in html
        and "新华村党支部" in html
        and "财政所党支部" not in html.split("community")[-1]
    )
    r = c.post(
        reverse("participation:registration_new"),
        {"member": world.member_c.pk, "community": world.branch_a.pk, "residence": "幸福里3号楼"},
    )
    reg = MemberRegistration.objects.get()
    assert r.status_code == 302 and reg.status == "pending"
    c = client_for(world.alice)
    html = page(c.get(reverse("participation:registration", args=[reg.pk])), one_h1=True)
    assert "社区确认" in html
    html = page(c.get(reverse("participation:index")), one_h1=True)
    assert "郑明" in html
    c.post(reverse("participation:registration_decide", args=[reg.pk]), {"accept": "1"})
    reg.refresh_from_db()
    assert reg.status == "accepted"
    # The home side: the street sees where the members of 机关第一党总支 serve.
    c = client_for(world.county_admin)
    html = page(c.get(reverse("participation:index") + "?org=0103&side=home"))
    assert "郑明" in html and "和平社区党支部" in html


def test_unit_registration_page(world, client_for):
    c = client_for(world.bob)
    page(c.get(reverse("participation:unit_new")), one_h1=True)
    r = c.post(
        reverse("participation:unit_new"), {"community": world.branch_a.pk, "unit_org": world.branch_b.pk}
    )
    assert r.status_code == 302
    c = client_for(world.alice)
    html = page(c.get(reverse("participation:index")))
    assert "新华村党支部" in html and "不予接收" in html
    r = c.post(reverse("participation:index"))  # GET only
    assert r.status_code == 405


def test_task_pages(world, zheng, client_for):
    c = client_for(world.alice)
    page(c.get(reverse("participation:task_new")), one_h1=True)
    c.post(
        reverse("participation:task_new"),
        {"community": world.branch_a.pk, "kind": "small_wish", "title": "修收音机", "places": 2},
    )
    task = ServiceTask.objects.get()
    reg = services.register_member(actor=zheng, member=world.member_c, community=world.branch_a)
    services.decide_member_registration(actor=world.alice, registration=reg, accept=True)
    c = client_for(zheng)
    html = page(c.get(reverse("participation:tasks")), one_h1=True)
    assert "修收音机" in html
    page(c.get(reverse("participation:task", args=[task.pk])), one_h1=True)
    c.post(reverse("participation:task_claim", args=[task.pk]))
    claim = task.claims.get()
    html = page(c.get(reverse("participation:task", args=[task.pk])))
    assert "填写完成情况" in html
    c.post(reverse("participation:claim_report", args=[claim.pk]), {"report": "修好了"})
    claim.refresh_from_db()
    assert claim.report == "修好了"


def test_activity_pages_and_attendance(world, client_for):
    c = client_for(world.alice)
    page(c.get(reverse("participation:activity_new")), one_h1=True)
    start = later(days=2).replace(second=0, microsecond=0)
    r = c.post(
        reverse("participation:activity_new"),
        {
            "org": world.branch_a.pk,
            "title": "清洁家园",
            "place": "中心广场",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "needed": 5,
        },
    )
    a = Activity.objects.get()
    assert r.status_code == 302
    c.post(
        reverse("participation:activity_resident", args=[a.pk]), {"name": "王秀英", "phone": "13900001111"}
    )
    d = client_for(world.dora)
    html = page(d.get(reverse("participation:activities")), one_h1=True)
    assert "清洁家园" in html
    html = page(d.get(reverse("participation:activity", args=[a.pk])), one_h1=True)
    assert "我要报名" in html and "王**" not in html  # others never see who signed up
    d.post(reverse("participation:activity_sign_up", args=[a.pk]))
    c = client_for(world.alice)
    html = page(c.get(reverse("participation:activity", args=[a.pk])), one_h1=True, unique_ids=True)
    assert "王**" in html and "139****1111" in html and "13900001111" not in html
    resident = Volunteer.objects.get(member__isnull=True)
    r = c.post(reverse("participation:volunteer_reveal", args=[resident.pk]), HTTP_HX_REQUEST="true")
    assert "13900001111" in r.content.decode()
    Activity.objects.filter(pk=a.pk).update(
        starts_at=later(hours=-3), ends_at=later(hours=-1)
    )  # the activity took place
    html = page(c.get(reverse("participation:activity", args=[a.pk])))
    assert "记录考勤" in html
    dora_v = Volunteer.objects.get(member__isnull=False)
    c.post(reverse("participation:activity_attendance", args=[a.pk]), {"present": [str(dora_v.pk)]})
    dora_v.refresh_from_db()
    assert dora_v.attended is True and dora_v.hours == a.hours
    html = page(client_for(world.dora).get(reverse("participation:me")), one_h1=True)
    assert "志愿服务证明" in html
    year = dt.date.today().year
    html = page(
        client_for(world.dora).get(reverse("participation:certificate") + f"?year={year}"), one_h1=True
    )
    assert "赵敏" in html and "清洁家园" in html and str(a.hours) in html
    html = page(
        client_for(world.county_admin).get(reverse("participation:figures") + f"?year={year}"), one_h1=True
    )
    assert "和平社区党支部" in html


def test_the_own_section_on_the_home_page(world, client_for):
    html = page(client_for(world.dora).get(reverse("members:me")))
    assert "我的双报到与志愿服务" in html and "尚未向居住地社区报到" in html
    r = client_for(world.dora).get("/api/v1/me/sections/participation.own/")
    assert r.status_code == 200
    data = r.json()["data"]
    assert (data["registration"], data["hours_total"]) == (None, "0")
