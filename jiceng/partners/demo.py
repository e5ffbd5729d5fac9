"""The demo town's 共建协议 (called by the participation demo, which owns the partner unit's part of
``jiceng demo``): this year's agreement of the first community with the property company, its three
lists, a project done on time, one under way and one not started, with dated milestones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext

from jiceng.core.registry import DemoTown
from jiceng.orgs.models import Organization

from . import services
from .models import Agreement, PartnerUnit


def load_agreement(town: DemoTown, community: Organization, unit: PartnerUnit) -> Agreement | None:
    if not services.unit_may_sign(unit, community):
        return None
    actor, today = town.actor, town.today
    ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731
    agreement = services.create_agreement(
        actor=actor,
        unit=unit,
        org=community,
        year=today.year,
        signed_on=ago(60),
        notes=gettext("双方每季度召开一次联席会议，共同商定和推进共建项目。"),
    )
    for kind, text, qty, measure in [
        ("room", gettext("物业服务中心二楼活动室"), "1", gettext("间")),
        ("service", gettext("小区公共设施免费维修"), "12", gettext("次")),
        ("hours", gettext("员工参加社区志愿服务"), "40", gettext("小时")),
        ("funds", gettext("共建活动经费"), "5000", gettext("元")),
    ]:
        services.add_resource(
            actor=actor,
            agreement=agreement,
            kind=kind,
            description=text,
            quantity=Decimal(qty),
            measure=measure,
        )
    from jiceng.services.models import ServiceRequest

    # A need taken from a resident request made in the community, where there is one.
    request = (
        ServiceRequest.objects.filter(org_path__startswith=community.path)
        .order_by("-handler_partner", "received_at", "id")
        .first()
    )
    lights = services.add_need(
        actor=actor, agreement=agreement, description=gettext("老旧楼道照明不足，夜间出行不便")
    )
    if request is not None:
        services.add_need(actor=actor, agreement=agreement, request=request)
    meals = services.add_need(actor=actor, agreement=agreement, description=gettext("独居老人午餐不便"))
    done = services.add_project(
        actor=actor,
        agreement=agreement,
        title=gettext("楼道照明改造"),
        description=gettext("为3栋老旧楼的楼道更换声控灯。"),
        deadline=ago(10),
        need=lights,
    )
    for title, due, finished in [
        (gettext("现场勘查"), ago(40), ago(41)),
        (gettext("更换灯具"), ago(12), ago(15)),
    ]:
        m = services.add_milestone(actor=actor, project=done, title=title, due_on=due)
        services.record_milestone(actor=actor, milestone=m, done_on=finished, today=today)
    services.set_project_status(actor=actor, project=done, status="done", done_on=ago(15), today=today)
    going = services.add_project(
        actor=actor,
        agreement=agreement,
        title=gettext("垃圾分类宣传周"),
        deadline=today + dt.timedelta(days=30),
        owner_org=community,
    )
    m = services.add_milestone(actor=actor, project=going, title=gettext("制作宣传材料"), due_on=ago(5))
    services.record_milestone(
        actor=actor, milestone=m, done_on=ago(6), note=gettext("宣传册已印制"), today=today
    )
    services.add_milestone(
        actor=actor, project=going, title=gettext("入户宣传"), due_on=today + dt.timedelta(days=20)
    )
    later = services.add_project(
        actor=actor,
        agreement=agreement,
        title=gettext("老年人助餐点"),
        deadline=today + dt.timedelta(days=90),
        need=meals,
    )
    services.add_milestone(
        actor=actor, project=later, title=gettext("选定场地"), due_on=today + dt.timedelta(days=30)
    )
    town.summary.append(
        gettext(
            "共建协议：%(unit)s与%(org)s的%(year)d年共建协议（资源4项、需求、项目3个，其中1个按期完成）。"
        )
        % {"unit": unit.name, "org": community.name, "year": today.year}
    )
    return agreement
