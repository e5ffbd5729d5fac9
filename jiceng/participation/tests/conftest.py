from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def zheng(world):  # noqa: ANN001, ANN201
    """郑明 (member_c, 财政所党支部: an organ branch) with an account of his own."""
    from jiceng.core.models import RoleAssignment, User

    user = User.objects.create_user("zheng", password="correct-horse-battery", full_name="郑明")
    RoleAssignment.objects.create(user=user, org=world.branch_c, role="member")
    world.member_c.user = user
    world.member_c.save(update_fields=["user"])
    return user


def later(hours: int = 0, days: int = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours, days=days)
