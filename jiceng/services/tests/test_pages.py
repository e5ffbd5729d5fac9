"""The handler's pages: clean HTML (CSP, labels), the queue by time left, steps and refusals on the
page, the routing page of an organization administrator."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.core.models import ObjectChange
from jiceng.core.testing import page
from jiceng.services import services
from jiceng.services.models import Category, Route, ServiceRequest

pytestmark = pytest.mark.django_db


def test_queue_sorted_by_time_left_with_lateness(world, submit, client_for):
    late, _ = submit(text="早就该响应了")
    fresh, _ = submit(text="刚刚提交")
    answered, _ = submit(text="已经办结")
    ServiceRequest.objects.filter(pk=late.pk).update(received_at=late.received_at - dt.timedelta(days=3))
    services.move(actor=world.alice, request=answered, to_type="accepted")
    services.move(actor=world.alice, request=answered, to_type="answered", public_text="好了")
    text = page(client_for(world.alice).get(reverse("services:list")), one_h1=True)
    assert text.index(late.code) < text.index(fresh.code) < text.index(answered.code)
    assert "已超时" in text
    late_only = page(client_for(world.alice).get(reverse("services:list"), {"late": "true"}))
    assert late.code in late_only and fresh.code not in late_only


def test_detail_page_steps_and_refusals(world, submit, client_for):
    req, _ = submit()
    client = client_for(world.alice)
    url = reverse("services:detail", kwargs={"code": req.code})
    text = page(client.get(url), one_h1=True)
    assert "139****5678" in text and "13912345678" not in text
    assert "响应" in text and "办结答复" not in text  # only the steps the state allows
    step = reverse("services:step", kwargs={"code": req.code})
    # Answering before accepting: not offered, and refused when posted anyway.
    response = client.post(step, {"step": "answered", "answered-public_text": "x"})
    assert response.status_code == 400 and "不能执行此操作" in response.content.decode()
    assert client.post(step, {"step": "accepted", "accepted-public_text": "收到"}).status_code == 302
    # Answering needs words for the resident.
    response = client.post(step, {"step": "answered", "answered-public_text": ""})
    assert response.status_code == 400 and "请填写对居民的说明" in response.content.decode()
    # A stale version is refused with who changed what.
    response = client.post(step, {"step": "answered", "answered-public_text": "好了", "version": "1"})
    assert response.status_code == 400 and "已被他人修改" in response.content.decode()
    # The contact revealed on the page, audited.
    revealed = page(client.post(reverse("services:reveal", kwargs={"code": req.code})))
    assert "13912345678" in revealed
    assert ObjectChange.objects.filter(action="reveal", user=world.alice).count() == 1


def test_viewer_sees_but_has_no_steps(world, submit, client_for):
    req, _ = submit()
    text = page(client_for(world.viewer).get(reverse("services:detail", kwargs={"code": req.code})))
    assert "您可以查看此诉求，但不是它的承办单位" in text and "查看完整联系方式" not in text


def test_hand_over_on_the_page(world, submit, client_for, partner):
    req, _ = submit()
    client = client_for(world.alice)
    url = reverse("services:hand_over", kwargs={"code": req.code})
    assert client.post(url, {"ho-handler": f"partner:{partner.pk}", "ho-reason": ""}).status_code == 400
    assert client.post(url, {"ho-handler": "org:999999", "ho-reason": "x"}).status_code == 400
    response = client.post(url, {"ho-handler": f"partner:{partner.pk}", "ho-reason": "物业负责维修"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.handler_partner == partner


def test_routes_page_routes_the_next_request(world, client_for, partner, submit):
    client = client_for(world.county_admin)
    url = reverse("services:routes", kwargs={"code": world.branch_a.code})
    text = page(client.get(url), one_h1=True, unique_ids=True)
    assert "安居物业公司" in text
    cat = Category.objects.get(name="环境卫生", parent=None)
    data = {f"cat-{cat.pk}": f"partner:{partner.pk}", "open": "on"}
    assert client.post(url, data).status_code == 302
    assert Route.objects.get(org=world.branch_a, category=cat).handler_partner == partner
    req, _ = submit(category=Category.objects.get(name="垃圾清运"))
    assert req.handler_partner == partner
    # A choice from outside what is offered is refused; closing the desk closes the public page.
    assert client.post(url, {f"cat-{cat.pk}": "partner:999999"}).status_code == 400
    assert client.post(url, {}).status_code == 302
    assert not Route.objects.exists()
    public = reverse("requests:intake", kwargs={"code": world.branch_a.code})
    assert client.get(public).status_code == 404


def test_figures_and_desks_pages(world, client_for, submit):
    submit()
    page(client_for(world.alice).get(reverse("services:figures")), one_h1=True)
    text = page(client_for(world.county_admin).get(reverse("services:desks")), one_h1=True)
    assert (
        "和平社区党支部" in text
        and "新华村党支部" in text
        and "财政所党支部" not in text.split("开通其他组织")[0]
    )


def test_handler_enters_a_phoned_request_and_gets_the_link_once(world, client_for):
    client = client_for(world.alice)
    url = reverse("services:create")
    text = page(client.get(url), one_h1=True)
    assert "和平社区党支部" in text and "新华村党支部" not in text  # only where she may change records
    cat = Category.objects.get(name="路灯不亮")
    data = {
        "org": world.branch_a.pk,
        "channel": "phone",
        "category": cat.pk,
        "text": "路灯坏了",
        "address": "南门",
    }
    response = client.post(url, data, follow=True)
    req = ServiceRequest.objects.get()
    assert req.channel == "phone" and ObjectChange.objects.filter(object_id=req.pk, user=world.alice).exists()
    assert "/requests/t/" in response.content.decode()
    # Bob cannot enter one for branch A, even by posting its id.
    response = client_for(world.bob).post(url, {**data, "org": world.branch_a.pk})
    assert response.status_code == 200 and ServiceRequest.objects.count() == 1


def test_urgency_at_triage_sets_the_time_limits(world, submit, client_for):
    req, _ = submit()
    assert req.urgency == "ordinary"
    client = client_for(world.alice)
    step = reverse("services:step", kwargs={"code": req.code})
    assert client.post(step, {"step": "accepted", "accepted-urgency": "urgent"}).status_code == 302
    req.refresh_from_db()
    assert req.urgency == "urgent"
    detail = client.get(reverse("api-service-request-detail", kwargs={"code": req.code})).json()
    from django.utils.dateparse import parse_datetime

    due = parse_datetime(detail["completion_due"]) - parse_datetime(detail["received_at"])
    assert due == dt.timedelta(hours=24)


def test_the_queue_reads_a_fixed_number_of_queries(world, submit, client_for, django_assert_max_num_queries):
    client = client_for(world.county_admin)
    client.get(reverse("services:list"))  # warm the session and the user's scope
    for i in range(3):
        submit(text=f"诉求{i}")
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("services:list"))
    for i in range(12):
        submit(text=f"更多{i}")
    # Rows of sub-categories show "环境卫生 / 垃圾清运": the parent comes with the row, not per row.
    for sub in Category.objects.filter(parent__isnull=False)[:5]:
        submit(text=f"子类{sub.pk}", category=sub)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("services:list"))
    assert " / " in response.content.decode()
