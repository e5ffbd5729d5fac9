"""``jiceng demo`` (what `make run` loads): the town, the accounts, and a development pipeline."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jiceng.core.compliance import evaluate
from jiceng.core.models import User
from jiceng.development.models import Development, Stage
from jiceng.members.models import Member
from jiceng.orgs.models import Organization


@pytest.mark.django_db
def test_demo_loads_once_and_prints_the_logins() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    for username in ("admin", "jiedao", "chakan", "shuji1", "shuji2", "dangyuan", "yubei"):
        assert username in text
        assert User.objects.filter(username=username).exists()
    assert "jiceng-demo-2026" in text
    assert Organization.objects.count() > 20 and Member.objects.count() > 500
    # a development file at every stage of the path, in the first secretary's branch
    secretary_branch = User.objects.get(username="shuji1").role_assignments.get().org
    stages = set(Development.objects.filter(org=secretary_branch).values_list("stage", flat=True))
    assert {Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY, Stage.FULL} <= stages
    root = Organization.objects.get(depth=1)
    from django.utils import timezone

    rules = {f.rule for f in evaluate(root, timezone.localdate().isoformat())}
    assert {"dev.talk_within_month", "dev.review_half_yearly"} <= rules
    # The demo's member and its probationary member each land on their own home; the latter's shows the
    # development timeline (issue 12, item 8).
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="dangyuan"))
    assert "我的党员信息" in client.get("/").content.decode()
    client.force_login(User.objects.get(username="yubei"))
    home = client.get("/").content.decode()
    assert "我的入党进程" in home and 'data-own="timeline"' in home and "预备党员" in home
    # a second run refuses, --if-empty skips
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO())
    call_command("demo", "--if-empty", stdout=StringIO())
    assert Development.objects.count() == 7
