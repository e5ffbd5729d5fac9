"""Lateness on the community's due list: a late request is an overdue item of the handling branch, worded
by the rule's message, leading to the finding (rule code, citation: local practice) and, while it is not
done, to the request's page where the handler clears it ("去办理")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.reports import selectors as report_selectors
from jiceng.services import services
from jiceng.services.compliance import CITATION
from jiceng.services.models import Category, ServiceRequest


@pytest.fixture
def late(world):  # noqa: ANN001, ANN201
    cat = Category.objects.get(name="环境卫生", parent=None)
    req, _ = services.submit_request(org=world.branch_a, category=cat, text="路灯坏了", address="3号楼")
    received = timezone.now() - dt.timedelta(hours=30)  # ordinary: 24 h to respond
    ServiceRequest.objects.filter(pk=req.pk).update(received_at=received)
    req.refresh_from_db()
    return req


def _items(user, rule):  # noqa: ANN001, ANN202
    [block] = report_selectors.due_list(user)
    return [i for i in block.overdue_items if i.finding.rule == rule], block


@pytest.mark.django_db
def test_a_late_request_is_overdue_on_the_branchs_due_list_with_its_fix(world, late):
    items, block = _items(world.alice, "service.response_late")
    [item] = [i for i in items if i.finding.subject == f"request:{late.pk}"]
    assert f"群众诉求{late.code}已超过响应时限" in item.text and "尚未响应" in item.text
    assert item.fix_url.startswith(reverse("services:detail", kwargs={"code": late.code}))
    assert not [i for i in block.due_items if i.finding.rule.startswith("service.")]  # never "still ahead"


@pytest.mark.django_db
def test_the_home_page_shows_it_and_the_finding_page_names_rule_and_citation(world, late, client_for):
    client = client_for(world.alice)
    home = client.get(reverse("home")).content.decode()
    assert f"群众诉求{late.code}已超过响应时限" in home
    assert reverse("services:detail", kwargs={"code": late.code}) in home
    [item], _ = _items(world.alice, "service.response_late")
    f = item.finding
    page = client.get(
        reverse("reports:finding", kwargs={"code": f.org_code}),
        {"period": f.period, "rule": f.rule, "about": f.period, "subject": f.subject},
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "service.response_late" in text
    assert CITATION in text and "地方做法" in CITATION


@pytest.mark.django_db
def test_once_responded_late_it_stays_a_finding_without_a_fix_link(world, late):
    services.move(actor=world.alice, request=late, to_type="accepted")
    items, _ = _items(world.alice, "service.response_late")
    [item] = [i for i in items if i.finding.subject == f"request:{late.pk}"]
    assert "才响应" in item.text and item.fix_url is None
    # the answer is still due (7 days): no completion finding yet
    completion, _ = _items(world.alice, "service.completion_late")
    assert not [i for i in completion if i.finding.subject == f"request:{late.pk}"]


@pytest.mark.django_db
def test_another_branchs_due_list_does_not_show_it(world, late):
    [block] = report_selectors.due_list(world.bob)
    assert not [i for i in block.overdue_items + block.due_items if i.finding.rule.startswith("service.")]
