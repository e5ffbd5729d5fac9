"""The home page's due list: one item per finding, no "as of" day ahead among the overdue, pending items
worded as a duty with its due date, the past tense only for what is late."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.urls import reverse
from django.utils import timezone

from jiceng.core.testing import page
from jiceng.reports import selectors


def test_each_finding_is_listed_once(world: Any) -> None:
    today = dt.date(2026, 5, 12)
    [block] = selectors.due_list(world.alice, today=today)
    missing = [f for f in block.overdue + block.due if f.rule == "org.secretary_missing"]
    assert [f.period for f in missing] == ["2026-05-12"]
    keys = [(f.rule, f.member, f.subject, f.period) for f in block.overdue + block.due]
    assert len(keys) == len(set(keys))
    states = [(f.rule, f.member, f.subject) for f in block.overdue + block.due if len(f.period) == 10]
    assert len(states) == len(set(states))


def test_no_future_as_of_day_among_the_overdue(world: Any) -> None:
    for today in (dt.date(2026, 5, 12), dt.date(2027, 3, 19), dt.date(2026, 12, 5)):
        [block] = selectors.due_list(world.alice, today=today)
        for f in block.overdue:
            if len(f.period) == 10:
                assert dt.date.fromisoformat(f.period) <= today, f


def test_pending_items_name_the_duty_and_its_due_date(world: Any) -> None:
    [block] = selectors.due_list(world.alice, today=dt.date(2026, 5, 12))
    texts = {item.finding.rule: item.text for item in block.due_items}
    assert texts["life.theme_day_monthly"] == "5月31日前开展主题党日"
    assert texts["life.general_meeting_quarterly"] == "6月30日前召开支部党员大会"
    assert texts["life.organizational_life_annual"] == "12月31日前召开组织生活会"
    assert all("未" not in text and "截至" not in text for text in texts.values())


def test_a_probation_ending_this_month_is_pending_with_its_day(world: Any) -> None:
    from jiceng.members.models import Member

    Member.objects.filter(name="赵敏").update(joined_on=dt.date(2026, 3, 20))
    [block] = selectors.due_list(world.alice, today=dt.date(2027, 3, 19))
    [text] = [i.text for i in block.due_items if i.finding.rule == "member.probation_overdue"]
    assert text.startswith("赵敏：3月") and "前讨论转正" in text


def test_the_home_page_lists_each_item_once_in_the_right_tense(world: Any, client_for: Any) -> None:
    today = timezone.localdate()
    text = page(client_for(world.alice).get(reverse("home")))
    overdue = re.search(r'data-due="overdue">(.*?)</ul>', text, re.S)
    due = re.search(r'data-due="due">(.*?)</ul>', text, re.S)
    assert overdue and due
    items = re.findall(r'data-rule="([^"]+)" data-period="([^"]+)"', text)
    once = [(rule, "" if len(period) == 10 else period) for rule, period in items]
    assert len(once) == len(set(once))
    for y, m, d in re.findall(r"截至(\d+)年(\d+)月(\d+)日", overdue[1]):
        assert dt.date(int(y), int(m), int(d)) <= today
    pending = [re.sub(r"\s+", "", li) for li in re.findall(r"<li[^>]*>(.*?)</li>", due[1], re.S)]
    assert pending and all("前" in li and "截至" not in li for li in pending)
