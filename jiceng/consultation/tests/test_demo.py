"""The demo town holds one consultation carried to results: noticed, met, decided, its tree done and a
resident's word on the public page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from jiceng.consultation import selectors
from jiceng.consultation.models import Comment, Topic


@pytest.mark.django_db
def test_demo_consultation() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    assert "议事协商" in out.getvalue()
    topic = Topic.objects.get()
    assert topic.status == "done" and topic.meeting.decision and topic.meeting.voted
    assert selectors.tree_of(topic).progress == 100
    assert topic.items.filter(parent__isnull=False).count() == 2
    assert Comment.objects.filter(verdict="carried").exists()
    assert selectors.public_topics(topic.org, topic.done_on.year)
