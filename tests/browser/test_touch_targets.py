"""On a 390 px phone every control a secretary taps is at least 44 × 44 CSS pixels: the roll call's
出席/请假/缺席, 记录 and 录入, the 有表决事项 checkbox (with its label, which toggles it), breadcrumb
links, and the buttons and links of tables and forms (issue 12, item 10). Measured in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MIN = 44

# The visible elements a selector matches, with their box and a name to report.
MEASURE = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
                   && getComputedStyle(e).visibility !== "hidden"; })
  .map((e) => { const r = e.getBoundingClientRect();
                return {name: (e.innerText || e.getAttribute("aria-label") || e.outerHTML.slice(0, 60)).trim(),
                        w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10}; })"""


def measured(page, selector: str, *, at_least: int = 1) -> list[dict]:  # noqa: ANN001
    boxes = page.evaluate(MEASURE, selector)
    assert len(boxes) >= at_least, f"{page.url}: expected {at_least}+ of {selector!r}, found {len(boxes)}"
    small = [b for b in boxes if b["w"] < MIN or b["h"] < MIN]
    assert not small, f"{page.url}: under {MIN}×{MIN} px: {small}"
    return boxes


def test_touch_targets_on_a_phone(page_factory, login, world) -> None:  # noqa: ANN001
    from jiceng.development.models import StepKind
    from jiceng.development.tests.helpers import walk

    development = walk(world, until=StepKind.TALK)
    page = login(page_factory(phone=True), "alice")
    assert page.viewport_size["width"] == 390

    # The meeting form: the roll call's buttons, the vote checkbox, breadcrumbs, the form's buttons.
    page.goto("/life/new/?org=0101&kind=general_meeting")
    expect(page.locator("[data-life-member]").first).to_be_visible()
    roll_call = measured(page, "[data-life-member] label.btn", at_least=3 * 6)
    assert {b["name"] for b in roll_call} >= {"出席", "请假", "缺席"}
    measured(page, 'label[for="id_voted"]')
    measured(page, ".jc-breadcrumbs .breadcrumb-item > a", at_least=1)
    measured(page, "main .btn")
    # The label is the checkbox's target: tapping it ticks the box.
    page.locator('label[for="id_voted"]').tap()
    expect(page.locator("#id_voted")).to_be_checked()

    # A development file: the 记录 button of each next step.
    page.goto(f"/development/{development.pk}/")
    records = measured(page, "main a.btn", at_least=1)
    assert any(b["name"].startswith("记录") for b in records)
    measured(page, ".jc-breadcrumbs .breadcrumb-item > a", at_least=2)

    # The calendar: 录入 for what is due this month, and the month buttons.
    page.goto("/life/calendar/?org=0101")
    measured(page, "main .btn", at_least=2)

    # A table: the roster's links and its pager.
    page.goto("/members/?org=0101")
    measured(page, "#member-results table a", at_least=6)

    # The member form: its checkboxes' labels, the 处分 section's summary, its buttons.
    page.goto("/members/new/?org=0101")
    measured(page, "#discipline > summary")
    measured(page, "main form .btn", at_least=2)
    page.console_errors.assert_none()


def test_long_rule_labels_do_not_squeeze_the_chart() -> None:
    """The health check's chart by rule cuts its labels to one line; the bars keep most of the width."""
    from jiceng.reports.views import _chart

    option = _chart("按规则统计", [("党支部每半年未对入党积极分子进行一次考察" * 2, 3), ("短", 1)])
    label = option["yAxis"]["axisLabel"]
    assert label["overflow"] == "truncate" and label["width"] <= 140
    assert option["tooltip"]["trigger"] == "axis"  # the hovered or tapped bar names the rule in full
