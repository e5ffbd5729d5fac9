"""Every finding leads to its fix: a rule declares the form that clears its finding (``RuleSpec.fix``),
the due list and the finding page offer it as "去办理" to whoever may change the records, the meeting
form takes the pre-set kind and day (bounded), and the due list words items with the rule's own
pending and late sentences."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse
from django.utils import timezone

from jiceng.core import compliance
from jiceng.core.rulebook import BY_CODE
from jiceng.core.testing import page
from jiceng.members.models import Member
from jiceng.reports import selectors


def _query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert parts.path == reverse("life:create")
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_a_missed_meeting_leads_to_the_meeting_form_of_its_branch_kind_and_month(world: Any) -> None:
    today = dt.date(2026, 5, 12)
    [block] = selectors.due_list(world.alice, today=today)
    overdue = {i.finding.rule: i for i in block.overdue_items if i.finding.period == "2026-04"}
    item = overdue.get("life.committee_meeting_monthly") or overdue["life.theme_day_monthly"]
    query = _query(item.fix_url)
    assert query["org"] == world.branch_a.code
    assert query["held_on"] == "2026-04-30"  # a day in the month missed
    assert query["kind"] in ("committee_meeting", "theme_day")
    # the running month's item: today, not the month's end (a meeting cannot be recorded ahead)
    pending = {i.finding.rule: i for i in block.due_items}
    assert _query(pending["life.theme_day_monthly"].fix_url) == {
        "org": world.branch_a.code,
        "kind": "theme_day",
        "held_on": "2026-05-12",
        "next": "/",  # back to the due list once saved
    }


def test_late_items_say_when_they_were_due(world: Any) -> None:
    [block] = selectors.due_list(world.alice, today=dt.date(2026, 5, 12))
    texts = {(i.finding.rule, i.finding.period): i.text for i in block.overdue_items}
    assert texts[("life.theme_day_monthly", "2026-04")] == "2026年4月未开展主题党日（应于4月30日前开展）"


def test_a_viewer_gets_no_fix_link(world: Any) -> None:
    # the viewer's scope root is the working committee: no branch block; a branch block without change
    # rights has no links
    block = selectors.due_for_branch(world.branch_a, today=dt.date(2026, 5, 12), can_fix=False)
    assert all(i.fix_url is None for i in block.due_items + block.overdue_items)


def test_the_meeting_form_takes_the_preset_kind_and_day(world: Any, client_for: Any) -> None:
    client = client_for(world.alice)
    day = timezone.localdate() - dt.timedelta(days=3)
    url = reverse("life:create") + f"?org={world.branch_a.code}&kind=theme_day&held_on={day.isoformat()}"
    text = page(client.get(url))
    assert re.search(rf'name="held_on"[^>]*value="{day.isoformat()}"', text)
    assert re.search(r'<option value="theme_day"[^>]*selected', text)


def test_the_meeting_form_ignores_a_day_it_could_not_take(world: Any, client_for: Any) -> None:
    client = client_for(world.alice)
    today = timezone.localdate().isoformat()
    for bad in ("2999-01-01", "1900-01-01", "1999-02-30", "x" * 500, "2026-1-5", "1999-01-01"):
        url = reverse("life:create") + f"?org={world.branch_a.code}&kind=nonsense&held_on={bad}&group=9" * 1
        text = page(client.get(url))
        # today stays the default: a day in the future, before the founding (2000), or not a date is ignored
        assert re.search(rf'name="held_on"[^>]*value="{today}"', text), bad
        assert not re.search(r"<option value=\"[a-z_]+\"[^>]*selected", text)


def test_the_finding_page_offers_the_fix_to_the_secretary_only(world: Any, client_for: Any) -> None:
    query = "?period=2026-04&rule=life.theme_day_monthly&about=2026-04"
    url = reverse("reports:finding", args=[world.branch_a.code]) + query
    text = page(client_for(world.alice).get(url))
    [link] = re.findall(r'<a class="btn btn-primary jc-fix" href="([^"]+)">去办理</a>', text)
    assert "kind=theme_day" in link and "held_on=2026-04-30" in link
    text = page(client_for(world.viewer).get(url))
    assert "去办理" not in text


def test_a_finding_without_a_fix_shows_nothing_extra(world: Any, client_for: Any) -> None:
    assert BY_CODE["org.branch_too_small"].fix is None
    today = timezone.localdate()
    findings = [
        f for f in compliance.evaluate(world.branch_a, today.isoformat()) if f.rule == "org.branch_too_small"
    ]
    for f in findings:
        assert compliance.fix_url(f, today) is None
    if findings:
        f = findings[0]
        url = (
            reverse("reports:finding", args=[f.org_code])
            + f"?period={f.period}&rule={f.rule}&about={f.period}"
        )
        assert "去办理" not in page(client_for(world.alice).get(url))


def test_organization_findings_lead_to_the_election_and_secretary_forms(world: Any) -> None:
    today = timezone.localdate()
    findings = {f.rule: f for f in compliance.evaluate(world.branch_a, today.isoformat())}
    assert "org.secretary_missing" in findings  # the fixture's branch has no committee nor secretary
    assert compliance.fix_url(findings["org.secretary_missing"], today) == reverse(
        "orgs:secretary", kwargs={"code": world.branch_a.code}
    )
    expired = compliance.Finding("0101", "org.committee_term_expired", today.isoformat(), None, {}, "")
    assert compliance.fix_url(expired, today) == reverse("orgs:election", kwargs={"code": "0101"})


def test_a_development_finding_leads_to_the_step_form_of_its_file(world: Any) -> None:
    today = timezone.localdate()
    talk = compliance.Finding(
        "0101", "dev.talk_within_month", today.isoformat(), None, {}, "", subject="development:7"
    )
    assert compliance.fix_url(talk, today) == reverse("development:step", kwargs={"pk": 7, "kind": "talk"})
    review = compliance.Finding(
        "0101", "dev.review_half_yearly", today.isoformat(), None, {}, "", subject="development:7"
    )
    assert compliance.fix_url(review, today) == reverse(
        "development:step", kwargs={"pk": 7, "kind": "review"}
    )


def test_the_home_page_shows_the_fix_buttons(world: Any, client_for: Any) -> None:
    text = page(client_for(world.alice).get(reverse("home")))
    links = re.findall(r'<a class="btn btn-sm btn-primary jc-fix" href="([^"]+)">去办理</a>', text)
    assert links and all(link.startswith("/") for link in links)
    assert any("kind=committee_meeting" in link or "kind=theme_day" in link for link in links)


def test_a_meeting_saved_from_a_fix_link_returns_to_the_home_page(world: Any, client_for: Any) -> None:
    client = client_for(world.alice)
    day = timezone.localdate().isoformat()
    data = {"kind": "theme_day", "held_on": day, "topic": "学习"}
    for m in Member.objects.filter(org=world.branch_a):
        data[f"presence_{m.pk}"] = "present"
    base = reverse("life:create") + f"?org={world.branch_a.code}&kind=theme_day&held_on={day}"
    response = client.post(base + "&next=/", data)
    assert response.status_code == 302 and response["Location"] == "/"
    # a next that leaves the site (or is not a path) is ignored: the meeting's own page follows
    for bad in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(base + "&next=" + bad, data)
        assert response.status_code == 302 and response["Location"].startswith("/life/"), bad
