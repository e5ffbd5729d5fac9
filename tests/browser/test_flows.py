"""What a person clicks through, in Chromium: log in, walk the tree, find, edit, read the history,
switch language; and what a secretary must never see."""

from __future__ import annotations

import re

from playwright.sync_api import expect

A11Y_CHECK = """() => {
  const problems = [];
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`expected one h1, found ${h1}`);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label')
      || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title;
    if (!labelled) problems.push(`unlabelled ${el.tagName.toLowerCase()} name=${el.name}`);
  }
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('img without alt');
  if (!document.documentElement.lang) problems.push('html without lang');
  return problems;
}"""


def check_page(page):
    assert page.evaluate(A11Y_CHECK) == []
    page.console_errors.assert_none()


def test_admin_walks_tree_finds_by_initials_edits_and_reads_history(page_factory, login, world):
    page = login(page_factory(), "county")
    check_page(page)

    page.get_by_role("link", name="组织", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page(page)
    # Open the street's node in the navigator: its branches load in place.
    page.locator("summary", has_text="东城街道党工委").first.click()
    page.get_by_role("link", name="和平社区党支部").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("和平社区党支部")
    check_page(page)

    page.get_by_role("link", name="党员", exact=True).first.click()
    search = page.get_by_label("姓名或拼音")
    search.fill("zw")
    row = page.locator("#member-results tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("张伟")
    assert "q=zw" in page.url  # the search updated the table in place and the address with it
    check_page(page)

    row.first.get_by_role("link", name="张伟").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("张伟")
    page.get_by_role("link", name="修改").click()
    page.get_by_label("工作单位及职务").fill("和平社区居委会主任")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("张伟")
    page.get_by_role("tab", name="历史").click()
    history = page.locator("#pane-history")
    expect(history).to_contain_text("和平社区居委会主任")
    check_page(page)


def test_language_switch_to_english_and_back(page_factory, login, world):
    page = login(page_factory(), "county")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.get_by_role("link", name="Members", exact=True).first).to_be_visible()
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    check_page(page)


def test_secretary_on_a_phone_sees_only_their_branch(page_factory, login, world):
    page = login(page_factory(phone=True), "alice")
    page.goto("/members/")
    table = page.locator("#member-results")
    expect(table).to_contain_text("王芳")
    expect(table).not_to_contain_text("孙强")
    page.get_by_label("姓名或拼音").fill("sq")  # 孙强 of branch 0102: never found
    expect(page.locator("#member-results tbody tr")).to_have_count(0)
    response = page.goto("/orgs/0102/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("新华村")
    response = page.goto(f"/members/{world.members_b[0].pk}/")
    assert response.status == 404
    page.console_errors.clear()  # the two 404s above were asked for
    page.goto("/members/")
    check_page(page)


def test_wrong_password_is_refused_in_chinese(page_factory, world):
    page = page_factory()
    page.goto("/login/")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("wrong-password-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("用户名|密码"))
    check_page(page)
