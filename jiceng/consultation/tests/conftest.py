from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from jiceng.consultation import services


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def liaison(world):  # noqa: ANN001, ANN201
    """A partner unit of 和平社区 (华联超市) with its contact 刘联, who holds no organization role."""
    from jiceng.core.models import User
    from jiceng.partners import services as partners

    user = User.objects.create_user("liulian", password="correct-horse-battery", full_name="刘联")
    unit = partners.register_unit(actor=world.alice, org=world.branch_a, name="华联超市", kind="enterprise")
    unit.contacts.add(user)
    world.liaison, world.partner = user, unit
    return user


def decided_topic(world: Any, *, partner: Any = None, days_ago: int = 30) -> Any:
    """和平社区's topic, noticed, met and decided ``days_ago`` days ago."""
    start = today() - dt.timedelta(days=days_ago + 10)
    topic = services.open_topic(
        actor=world.alice, org=world.branch_a, title="楼前停车整治", source="residents", opened_on=start
    )
    services.publish_notice(
        actor=world.alice,
        topic=topic,
        noticed_on=start,
        meeting_on=start + dt.timedelta(days=10),
        meeting_place="议事厅",
        groups=["representatives", "property"],
        partners=[partner] if partner else [],
    )
    services.record_meeting(
        actor=world.alice,
        topic=topic,
        held_on=start + dt.timedelta(days=10),
        place="议事厅",
        minutes="张三发言：同意划线。",
        options="划线\n不划线",
        decision="划定车位，物业夜间巡查",
        counts={"representatives": 5, "property_staff": 1},
        named="张三",
        members=[world.members_a[1]],
        votes={"votes_for": 5, "votes_against": 1, "votes_abstain": 0},
    )
    topic.refresh_from_db()
    return topic
