"""In Chromium: a secretary takes a person from the application to full membership through the pages,
meets a refusal on the way (too early to become a candidate), and prints the file."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from jiceng.development.models import Development, Stage, StepKind
from jiceng.development.tests.helpers import START, person, plan
from jiceng.members.models import Member
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# The names of the evidence inputs of each field the plan fills, by the form's field name.
TEXT_FIELDS = ("person_name", "days", "hours", "voting_members", "voters_present", "votes_yes", "note")


def fill_step(page: Page, on: dt.date, evidence: dict, names: dict[int, str]) -> None:
    form = page.locator("#step-form")
    form.locator('[name="on"]').fill(on.isoformat())
    for key, value in evidence.items():
        if key == "people":
            for pk in value:
                form.get_by_label(names[pk], exact=True).check()
        elif key == "recommendation":
            form.locator('[name="recommendation"]').select_option(value)
        elif isinstance(value, dt.date):
            form.locator(f'[name="{key}"]').fill(value.isoformat())
        else:
            assert key in TEXT_FIELDS, key
            form.locator(f'[name="{key}"]').fill(str(value))


def open_step(page: Page, kind: str) -> None:
    """Follow the file's "record" link for ``kind`` among its next steps."""
    page.locator(f'#next [data-next="{kind}"]').get_by_role("link").click()
    expect(page.locator("#step-form")).to_be_visible()


def test_secretary_takes_a_person_from_application_to_full_member(page_factory, login, world) -> None:  # noqa: ANN001
    names = {m.pk: m.name for m in world.members_a}
    applicant = person(1, name="李明")
    page = login(page_factory(), "alice")

    page.get_by_role("link", name="发展党员", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("和平社区党支部")
    check_page(page)
    page.get_by_role("link", name="录入入党申请").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("录入入党申请")
    page.get_by_label("姓名").fill(applicant["name"])
    page.get_by_label("公民身份号码").fill(applicant["id_number"])
    page.get_by_label("性别").select_option("male")
    page.get_by_label("学历").select_option("bachelor")
    page.get_by_label("人员类别").select_option("employed")
    page.get_by_label("申请入党日期").fill(START.isoformat())
    check_page(page)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("李明")
    expect(page.locator("#stage")).to_have_text("入党申请人")
    check_page(page)

    refused = False
    for kind, on, evidence in plan(world):
        if kind == StepKind.NOTICE and not refused:
            # Half a year after becoming an activist: too early to be a candidate, and no notice yet.
            activist_on = Development.objects.get().stage_since
            open_step(page, StepKind.CANDIDATE)
            page.locator('#step-form [name="on"]').fill((activist_on + dt.timedelta(days=200)).isoformat())
            page.get_by_role("button", name="保存").click()
            refusal = page.locator('#refusals [data-rule="dev.activist_min_period"]')
            # The rule by its title (the code stays in data-rule, off the reader's text).
            expect(refusal).to_contain_text("经过一年以上培养教育和考察方可列为发展对象")
            earliest = activist_on.replace(year=activist_on.year + 1).isoformat()
            expect(refusal.locator("[data-earliest]")).to_have_text(earliest)
            expect(page.locator('#refusals [data-rule="dev.public_notice"]')).to_contain_text(
                "确定发展对象前须公示不少于5个工作日"
            )
            check_page(page)
            page.get_by_role("link", name="取消").click()
            expect(page.locator("#stage")).to_have_text("入党积极分子")
            refused = True
        open_step(page, kind)
        fill_step(page, on, evidence, names)
        check_page(page)
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".alert-success")).to_contain_text("已记录")
        expect(page.locator(f'#steps [data-kind="{kind}"]').last).to_contain_text(on.isoformat())
    assert refused

    expect(page.locator("#stage")).to_have_text("正式党员")
    check_page(page)
    development = Development.objects.get()
    assert development.stage == Stage.FULL and development.steps.count() == len(plan(world)) + 1
    member = Member.objects.get(pk=development.member_id)
    admission_on = [on for k, on, _e in plan(world) if k == StepKind.ADMISSION][0]
    assert (member.name, member.status, member.joined_on) == ("李明", "full", admission_on)
    assert member.full_member_on == admission_on.replace(year=admission_on.year + 1)

    page.get_by_role("link", name="打印").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("发展党员档案")
    sponsors = page.locator(".jc-print-sheet tr", has_text="入党介绍人").first
    expect(sponsors).to_contain_text("王芳")
    expect(sponsors).to_contain_text("李娜")
    check_page(page)
    page.emulate_media(media="print")
    expect(page.locator(".jc-navbar")).to_be_hidden()
    expect(page.locator(".jc-no-print")).to_be_hidden()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name="党员档案").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("李明")
    expect(page.get_by_role("heading", level=1)).to_contain_text("正式党员")
    check_page(page)


def test_sponsor_from_another_branch_found_by_pinyin_and_number_revealed(page_factory, login, world) -> None:  # noqa: ANN001
    from jiceng.development.tests.helpers import walk

    development = walk(world, until=StepKind.CANDIDATE)
    on = [on for k, on, _e in plan(world) if k == StepKind.SPONSORS][0]
    page = login(page_factory(phone=True), "county")
    page.goto(f"/development/{development.pk}/")
    open_step(page, StepKind.SPONSORS)
    page.locator('#step-form [name="on"]').fill(on.isoformat())
    search = page.get_by_label("查找其他正式党员（姓名或拼音）")
    search.fill("sq")
    found = page.locator("#people-found")
    expect(found).to_contain_text("孙强")
    found.get_by_label("孙强").check()
    # A new search keeps the ticked member; Enter searches and does not save the form.
    search.fill("zm")
    expect(found).to_contain_text("郑明")
    search.press("Enter")
    expect(found.get_by_label("孙强")).to_be_checked()
    assert not development.steps.filter(kind=StepKind.SPONSORS).exists()
    page.locator("#people-branch").get_by_label("王芳", exact=True).check()
    check_page(page)
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("确定入党介绍人")
    sponsors = development.steps.get(kind=StepKind.SPONSORS).people.all()
    assert {m.name for m in sponsors} == {"孙强", "王芳"}

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="显示完整号码").click()
    expect(page.locator("#id-number")).to_contain_text(person(1)["id_number"])
    check_page(page)
