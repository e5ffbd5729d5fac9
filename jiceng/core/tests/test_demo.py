"""``jiceng demo`` (what `make run` loads): the town, the accounts, and a development pipeline."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jiceng.core import periods
from jiceng.core.compliance import evaluate
from jiceng.core.models import User
from jiceng.development.models import Development, Stage
from jiceng.life.models import Attendance, Meeting
from jiceng.members.demo import records_start
from jiceng.members.models import Member
from jiceng.orgs.models import Organization


@pytest.mark.django_db
def test_demo_loads_once_and_prints_the_logins() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    for username in ("admin", "jiedao", "chakan", "shuji1", "shuji2", "dangyuan", "yubei", "jiji"):
        assert username in text
        assert User.objects.filter(username=username).exists()
    assert "jiceng-demo-2026" in text
    assert Organization.objects.count() > 20 and Member.objects.count() > 500
    # the count printed is the count the pages show (the development files add members after the town)
    members = Member.objects.filter(closed_on__isnull=True).count()
    assert f"{Organization.objects.count()}个党组织，{members}名党员" in text
    # a development file at every stage of the path, in the first secretary's branch
    secretary_branch = User.objects.get(username="shuji1").role_assignments.get().org
    stages = set(Development.objects.filter(org=secretary_branch).values_list("stage", flat=True))
    assert {Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY, Stage.FULL} <= stages
    root = Organization.objects.get(depth=1)
    from django.utils import timezone

    today = timezone.localdate()
    rules = {f.rule for f in evaluate(root, today.isoformat())}
    assert {"dev.talk_within_month", "dev.review_half_yearly"} <= rules
    # a year of history: records kept since a year ago, meetings in each of the twelve months before this
    since = set(Organization.objects.values_list("records_since", flat=True))
    assert since == {records_start(today)} and (today - records_start(today)).days >= 365
    months = {(d.year, d.month) for d in Meeting.objects.values_list("held_on", flat=True)}
    assert len(months) >= 12
    assert Attendance.objects.filter(presence="present").count() > 10 * Meeting.objects.count()
    assert Attendance.objects.exclude(presence="present").exists()
    # the health check of the previous quarter: nobody falsely without organizational life, few findings
    previous = periods.containing(
        "quarter", periods.containing("quarter", today).start - dt.timedelta(days=1)
    )
    findings = evaluate(root, previous.label)
    assert not [f for f in findings if f.rule == "member.no_life_6_months"]
    # a handful of meetings skipped across the town (seeded), not a branch in two
    assert 0 < len([f for f in findings if f.rule.startswith("life.")]) <= Organization.objects.count() // 2
    branch_findings = evaluate(secretary_branch, previous.label)
    assert not [f for f in branch_findings if f.rule.startswith(("life.", "member.no_life"))]
    # every member present at some meeting in the six months before the quarter's end
    six = periods.Period(previous.end - dt.timedelta(days=182), previous.end, "window")
    absent_all = Member.objects.filter(closed_on__isnull=True, joined_on__lt=six.start).exclude(
        attendance__presence="present", attendance__meeting__held_on__range=(six.start, six.end)
    )
    assert not absent_all.exists()
    # The demo's member and its probationary member each land on their own home; the latter's shows the
    # development timeline (issue 12, item 8).
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="dangyuan"))
    assert "我的党员信息" in client.get("/").content.decode()
    client.force_login(User.objects.get(username="yubei"))
    home = client.get("/").content.decode()
    assert "我的入党进程" in home and 'data-own="timeline"' in home and "预备党员" in home
    # The demo's activist has no member record: their account is linked to their development file, they
    # hold no role, and their home is their own timeline with the next step.
    jiji = User.objects.get(username="jiji")
    assert not jiji.role_assignments.exists() and jiji.check_password("jiceng-demo-2026")
    assert Development.objects.get(user=jiji).stage == Stage.ACTIVIST
    client.force_login(jiji)
    home = client.get("/").content.decode()
    assert "当前阶段：入党积极分子" in home and 'data-next="candidate"' in home
    assert "我的党员信息" not in home
    assert client.get(f"/development/{Development.objects.get(user=jiji).pk}/").status_code == 404
    # a second run refuses, --if-empty skips
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO())
    call_command("demo", "--if-empty", stdout=StringIO())
    assert Development.objects.count() == 7
