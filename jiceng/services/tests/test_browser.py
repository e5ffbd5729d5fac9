"""In Chromium: a resident submits on a 390 px phone without an account, the community's secretary
accepts and answers, the resident disputes, the secretary answers again, the resident confirms."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jiceng.services.models import ServiceRequest
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_resident_and_handler_on_phones(page_factory, login, world) -> None:  # noqa: ANN001
    resident = page_factory(phone=True)
    resident.goto(f"/requests/new/{world.branch_a.code}/")
    expect(resident.get_by_role("heading", level=1)).to_have_text("反映诉求")
    # Fits the phone: nothing wider than the screen.
    assert resident.evaluate("document.documentElement.scrollWidth") <= 390
    check_page(resident)
    resident.get_by_label("类别").select_option(label="环境卫生 · 垃圾清运")
    resident.get_by_label("您反映的问题").fill("3号楼门口的垃圾两天没人清运")
    resident.get_by_label("地点").fill("3号楼2单元门口")
    resident.get_by_label("联系电话（可不填）").fill("13912345678")
    resident.get_by_role("button", name="提交").click()
    expect(resident.get_by_text("已收到您的诉求")).to_be_visible()
    expect(resident.locator("[data-state]")).to_have_attribute("data-state", "received")
    check_page(resident)
    link = resident.url
    req = ServiceRequest.objects.get()
    assert req.code in resident.content()

    handler = login(page_factory(phone=True), "alice")
    handler.goto("/services/")
    row = handler.locator(f'tr[data-code="{req.code}"]')
    expect(row).to_contain_text("已接收")
    check_page(handler)
    row.get_by_role("link", name=req.code).click()
    expect(handler.get_by_text("139****5678").first).to_be_visible()
    handler.get_by_role("button", name="响应", exact=True).click()
    expect(handler.locator("[data-state]")).to_have_attribute("data-state", "accepted")
    answer = handler.locator("section", has=handler.get_by_role("heading", name="办结答复"))
    answer.get_by_label("对居民的说明").fill("已安排环卫车清运")
    answer.get_by_role("button", name="办结答复").click()
    expect(handler.locator("[data-state]")).to_have_attribute("data-state", "answered")
    check_page(handler)

    resident.goto(link)
    expect(resident.get_by_text("已安排环卫车清运")).to_be_visible()
    resident.get_by_label("未解决").check()
    resident.get_by_label("您的意见").fill("还剩一袋没有拉走")
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.locator("[data-state]")).to_have_attribute("data-state", "reopened")
    check_page(resident)

    handler.reload()
    expect(handler.locator(".jc-pre", has_text="还剩一袋没有拉走")).to_be_visible()
    answer = handler.locator("section", has=handler.get_by_role("heading", name="办结答复"))
    answer.get_by_label("对居民的说明").fill("已全部清运完毕")
    answer.get_by_role("button", name="办结答复").click()
    expect(handler.locator("[data-state]")).to_have_attribute("data-state", "answered")

    resident.reload()
    resident.get_by_label("已解决", exact=True).check()
    resident.get_by_label("非常满意").check()
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.locator("[data-state]")).to_have_attribute("data-state", "resolved")
    expect(resident.get_by_text("感谢您的评价")).to_be_visible()
    check_page(resident)
    req.refresh_from_db()
    assert (req.resolution, req.satisfaction) == ("solved", 5)


def test_the_figures_chart_draws_and_a_secretary_registers_a_partner_on_a_phone(
    page_factory, login, world
) -> None:  # noqa: ANN001
    from jiceng.services import services
    from jiceng.services.models import Category

    req, _token = services.submit_request(
        org=world.branch_a, category=Category.objects.get(name="其他"), text="路灯", address="南门"
    )
    services.move(actor=world.alice, request=req, to_type="accepted")
    page = login(page_factory(phone=True), "alice")
    page.goto("/services/figures/")
    expect(page.locator(".jc-chart canvas, .jc-chart svg").first).to_be_attached()  # drew, CSP-clean
    check_page(page)
    page.goto("/partners/new/")
    page.get_by_label("登记的党组织").select_option(label="和平社区党支部")
    page.get_by_label("单位名称").fill("和平物业")
    page.get_by_label("单位类型").select_option(label="物业公司")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("和平物业")
    check_page(page)
