from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture(autouse=True)
def _shipped(request) -> None:  # noqa: ANN001
    """The requests' shipped states and categories (restored after a flushing browser test)."""
    if {"db", "transactional_db"} & set(request.fixturenames):
        from jiceng.services.seed import ensure_shipped

        request.getfixturevalue("db" if "db" in request.fixturenames else "transactional_db")
        ensure_shipped()


@pytest.fixture
def units(world):  # noqa: ANN001, ANN201
    """和平物业 (registered by 和平社区, branch A) with its liaison ``erin``, and 新华超市 (registered by
    新华村, branch B) with its liaison ``frank``; neither liaison holds a role in the tree."""
    from jiceng.core.models import User
    from jiceng.partners.models import PartnerUnit

    erin = User.objects.create_user("erin", password="correct-horse-battery", full_name="物业联系人")
    frank = User.objects.create_user("frank", password="correct-horse-battery", full_name="超市联系人")
    a = PartnerUnit.objects.create(name="和平物业", kind="property", org=world.branch_a)
    b = PartnerUnit.objects.create(name="新华超市", kind="enterprise", org=world.branch_b)
    a.contacts.add(erin)
    b.contacts.add(frank)
    world.erin, world.frank, world.unit_a, world.unit_b = erin, frank, a, b
    return a, b


@pytest.fixture
def agreement(world, units):  # noqa: ANN001, ANN201
    """和平社区's agreement of this year with 和平物业: a resource, a need, a project the unit owns
    (two milestones) and one 和平社区 owns."""
    from django.utils import timezone

    from jiceng.partners import services

    today = timezone.localdate()
    ag = services.create_agreement(actor=world.alice, unit=world.unit_a, org=world.branch_a, year=today.year)
    services.add_resource(
        actor=world.alice, agreement=ag, kind="room", description="物业活动室", quantity=1, measure="间"
    )
    need = services.add_need(actor=world.alice, agreement=ag, description="楼道照明")
    p = services.add_project(
        actor=world.alice,
        agreement=ag,
        title="楼道灯改造",
        deadline=today + dt.timedelta(days=30),
        need=need,
    )
    services.add_milestone(actor=world.alice, project=p, title="勘查", due_on=today)
    services.add_milestone(actor=world.alice, project=p, title="施工", due_on=today + dt.timedelta(days=20))
    q = services.add_project(
        actor=world.alice,
        agreement=ag,
        title="垃圾分类宣传",
        deadline=today + dt.timedelta(days=60),
        owner_org=world.branch_a,
    )
    world.agreement, world.project_unit, world.project_org = ag, p, q
    world.milestone = p.milestones.order_by("due_on").first()
    return ag
