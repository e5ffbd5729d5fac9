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
    # a second run refuses, --if-empty skips
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO())
    call_command("demo", "--if-empty", stdout=StringIO())
    assert Development.objects.count() == 7
