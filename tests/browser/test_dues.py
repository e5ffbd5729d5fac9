"""In Chromium, on a phone: a branch secretary opens the month's dues sheet, ticks every unpaid member
with one button (keyboard: Space and the arrows), leaves one out, and records the rest paid by transfer
in one action; the sheet updates in place (htmx) and the page breaks no CSP rule."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_secretary_marks_a_month_paid(page_factory, login, world) -> None:  # noqa: ANN001
    from jiceng.dues.models import Payment

    page = login(page_factory(phone=True), "alice")
    month = timezone.localdate().strftime("%Y-%m")
    page.goto(f"/dues/branches/{world.branch_a.code}/?month={month}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("党费")
    check_page(page)
    boxes = page.locator("[data-dues-member]")
    total = boxes.count()
    assert total == 6  # five full members and dora (probationary since March 2026)
    page.get_by_role("button", name="全选/取消全选未交").click()
    expect(page.locator("[data-dues-count]")).to_have_text(str(total))
    # Keyboard: focus the first box, move down with the arrow, untick the second with Space.
    boxes.first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator("[data-dues-count]")).to_have_text(str(total - 1))
    page.get_by_label("交纳方式").select_option("transfer")
    page.get_by_label("收据编号").fill("2026-001")
    page.get_by_role("button", name="登记已交", exact=True).click()
    expect(page.locator("tr[data-paid='1']")).to_have_count(total - 1)
    expect(page.locator("[data-dues-member]")).to_have_count(1)
    check_page(page)
    assert Payment.objects.filter(method="transfer", receipt_number="2026-001").count() == total - 1
    assert "/dues/branches/" in page.url  # updated in place, no full page load
