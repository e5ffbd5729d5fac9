"""An admin creates the accounts of a street's secretaries and hands out the sheet; a secretary signs in
for the first time with the one-time password and must choose their own before anything else."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook
from playwright.sync_api import expect

from jiceng.orgs import services as orgs

from .test_flows import check_page

NEW_PASSWORD = "Hongqi-Piaopiao-2026"


def test_admin_creates_the_streets_secretary_accounts_and_a_secretary_signs_in(page_factory, login, world):
    # The records: branch 0101 elected a committee with 王芳 as 书记; 0102 has no committee and 周杰
    # as its secretary; 010301 records none.
    orgs.record_election(
        actor=world.county_admin,
        org=world.branch_a,
        elected_on=dt.date(2024, 1, 10),
        posts=[(world.members_a[1], "secretary"), (world.members_a[2], "organization_member")],
    )
    orgs.set_secretary(
        actor=world.county_admin, org=world.branch_b, member=world.members_b[1], since=dt.date(2025, 1, 1)
    )

    page = login(page_factory(), "county")
    page.get_by_role("link", name="账号", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("账号管理")
    check_page(page)
    page.get_by_role("link", name="书记账号").click()
    expect(page.locator("#secretary-summary")).to_contain_text("尚无账号的书记 2 人")
    check_page(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="开通书记账号并下载一次性密码表").click()
    with open(download_info.value.path(), "rb") as downloaded:
        sheet = load_workbook(downloaded).active
    rows = {r[2]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r and r[3]}
    assert set(rows) == {"王芳", "周杰"}
    _code, _branch, _name, username, password = rows["王芳"]

    page.goto("/accounts/secretaries/")
    expect(page.locator("#secretary-summary")).to_contain_text("尚无账号的书记 0 人")
    expect(page.locator("#secretaries")).to_contain_text(username)

    secretary = page_factory(phone=True)
    secretary.goto("/login/")
    secretary.get_by_label("用户名").fill(username)
    secretary.get_by_label("密码").fill(password)
    secretary.get_by_role("button", name="登录").click()
    expect(secretary.get_by_role("heading", level=1)).to_have_text("修改密码")
    check_page(secretary)
    secretary.goto("/members/")  # nothing else until the password is changed
    expect(secretary.get_by_role("heading", level=1)).to_have_text("修改密码")
    secretary.get_by_label("当前密码").fill(password)
    secretary.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    secretary.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    secretary.get_by_role("button", name="保存新密码").click()
    secretary.goto("/members/")
    table = secretary.locator("#member-results")
    expect(table).to_contain_text("王芳")
    expect(table).not_to_contain_text("孙强")  # their own branch only
    check_page(secretary)
