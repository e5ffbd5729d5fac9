"""In Chromium: a secretary sees the unread badge, opens the inbox, marks one read, then all."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jiceng.core import events
from jiceng.notifications import services
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_secretary_reads_her_notifications(page_factory, login, world) -> None:  # noqa: ANN001
    services.deliver(
        [
            events.Event(
                key="development.step_due",
                org_path=world.branch_a.path,
                context={"rule": "dev.talk_within_month", "file": 1, "name": name, "due_on": "2026-06-10"},
                dedupe_key=name,
            )
            for name in ("申请人甲", "申请人乙")
        ]
    )
    page = login(page_factory(), "alice")
    badge = page.locator("#jc-unread")
    expect(badge).to_have_text("2")
    check_page(page)

    page.locator("#jc-inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的消息")
    items = page.locator("#notifications > li")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("应于")
    check_page(page)

    items.first.get_by_role("button", name="标为已读").click()  # htmx: the item and the badge swap
    expect(items.first).to_have_attribute("data-unread", "0")
    expect(badge).to_have_text("1")

    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".alert-success")).to_contain_text("已将1条消息标为已读")
    expect(badge).to_be_hidden()
    expect(page.locator("#notifications")).to_contain_text("没有未读消息")
    page.get_by_role("link", name="全部").click()
    expect(items).to_have_count(2)
    assert services.unread_count(world.alice) == 0
