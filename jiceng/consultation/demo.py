"""This app's part of ``jiceng demo``: the first community of the town consults its residents on a
request (or on its own motion): the notice, the meeting with its decision and votes, an
accountability tree of three items (one split in two), dated updates carried to 100 %, and a
resident saying on the public page that the work was carried out."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext

from jiceng.core.registry import DemoTown
from jiceng.orgs.models import Organization
from jiceng.partners.models import PartnerUnit
from jiceng.services.models import ServiceRequest

from . import services
from .models import Topic


def present() -> bool:
    return Topic.objects.exists()


def load(town: DemoTown) -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        return
    community = (
        Organization.objects.filter(path__startswith=root.path, kind="branch", unit_kind="community")
        .order_by("path")
        .first()
    )
    if community is None:
        return
    actor, today = town.actor, town.today
    start = today - dt.timedelta(days=70)
    req = ServiceRequest.objects.filter(org_path__startswith=community.path).order_by("received_at").first()
    topic = services.open_topic(
        actor=actor,
        org=community,
        title=gettext("3号楼加装电梯和楼前停车整治"),
        description=gettext("居民反映老人上下楼难、楼前停车乱，提请议事会协商。"),
        source="request" if req else "residents",
        request=req,
        proposed_by=gettext("3号楼居民代表"),
        opened_on=start,
        today=today,
    )
    partner = PartnerUnit.objects.filter(org_path__startswith=root.path, active=True).order_by("id").first()
    services.publish_notice(
        actor=actor,
        topic=topic,
        noticed_on=start + dt.timedelta(days=2),
        meeting_on=start + dt.timedelta(days=10),
        meeting_place=gettext("社区党群服务中心二楼议事厅"),
        groups=["representatives", "residents", "liaisons", "property", "members"],
        partners=[partner] if partner else [],
        notice_text=gettext("请3号楼各户派代表参加，共商加装电梯分摊方案和楼前停车位划线。"),
        today=today,
    )
    services.record_meeting(
        actor=actor,
        topic=topic,
        held_on=start + dt.timedelta(days=10),
        place=gettext("社区党群服务中心二楼议事厅"),
        minutes=gettext("居民代表介绍诉求；物业说明场地；共建单位介绍可提供的支持；逐户发表意见。"),
        options=gettext("按楼层分摊加装电梯费用\n申请老旧小区改造补贴后再分摊\n楼前划定临时停车位，夜间限停"),
        decision=gettext("申请老旧小区改造补贴加装电梯；物业负责楼前停车位划线和夜间巡查。"),
        counts={
            "representatives": 6,
            "residents": 14,
            "liaisons": 1,
            "property_staff": 2,
            "members_count": 4,
        },
        votes={"votes_for": 22, "votes_against": 2, "votes_abstain": 3},
        today=today,
    )
    decided = start + dt.timedelta(days=10)
    lift = services.add_item(
        actor=actor,
        topic=topic,
        title=gettext("加装电梯"),
        owner_org=community,
        weight=3,
        due_on=decided + dt.timedelta(days=50),
    )
    apply = services.add_item(
        actor=actor,
        topic=topic,
        parent=lift,
        title=gettext("申请改造补贴"),
        owner_org=community,
        weight=1,
        due_on=decided + dt.timedelta(days=20),
        milestones=[(gettext("提交申请材料"), decided + dt.timedelta(days=7))],
    )
    build = services.add_item(
        actor=actor,
        topic=topic,
        parent=lift,
        title=gettext("施工安装"),
        owner_partner=partner,
        owner_org=None if partner else community,
        weight=2,
        due_on=decided + dt.timedelta(days=50),
    )
    parking = services.add_item(
        actor=actor,
        topic=topic,
        title=gettext("楼前停车位划线和夜间巡查"),
        owner_org=community,
        weight=1,
        due_on=decided + dt.timedelta(days=14),
    )
    services.update_item(
        actor=actor,
        item=parking,
        progress=100,
        text=gettext("已划线12个车位，物业每晚巡查。"),
        on=decided + dt.timedelta(days=12),
        today=today,
    )
    services.update_item(
        actor=actor,
        item=apply,
        progress=100,
        text=gettext("补贴申请已获批。"),
        on=decided + dt.timedelta(days=18),
        today=today,
    )
    services.update_item(
        actor=actor,
        item=build,
        progress=50,
        text=gettext("井道施工完成。"),
        on=decided + dt.timedelta(days=35),
        today=today,
    )
    last = services.update_item(
        actor=actor,
        item=build,
        progress=100,
        text=gettext("电梯安装完成并通过验收，已投入使用。"),
        on=decided + dt.timedelta(days=55),
        today=today,
    )
    services.comment(update=last, verdict="carried", text=gettext("电梯已经在用了，老人上下楼方便多了。"))
    town.summary.append(gettext("议事协商：1个议题从公告、协商到落实完成"))
