"""This app's part of ``jiceng demo``: members of the town's organ and enterprise branches who live in
a community report there (most accepted, one waiting), the demo member account among them where
possible; a unit reports to the community; the community publishes a 微心愿 and a volunteer shift (one
taken and done); a volunteer activity last week with its attendance recorded (hours credited) and one
next week open for sign-up; and the partner unit's 共建协议 with the community (``partners.demo``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.core.models import RoleAssignment, User
from jiceng.core.registry import DemoTown
from jiceng.core.scope import Role
from jiceng.members.models import Member
from jiceng.orgs.models import Organization
from jiceng.partners.models import PartnerUnit

from . import services
from .models import Activity, MemberRegistration
from .services import COMMUNITY_KINDS

ACCOUNT = "baodao"


def present() -> bool:
    return MemberRegistration.objects.exists() or Activity.objects.exists()


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
    reported = today - dt.timedelta(days=40)
    # Members employed elsewhere (not of community or village branches), the member account first.
    candidates = list(
        Member.objects.filter(org_path__startswith=root.path, closed_on__isnull=True, category="employed")
        .exclude(org__unit_kind__in=COMMUNITY_KINDS)
        .order_by(F("user_id").desc(nulls_last=True), "org_path", "id")[:6]
    )
    if candidates and candidates[0].user_id is None:
        # The first reporting member gets a login of their own, to show the member's side.
        first = candidates[0]
        first.user = User.objects.create_user(ACCOUNT, password=town.password, full_name=first.name)
        first.save(update_fields=["user"])
        RoleAssignment.objects.create(user=first.user, org=first.org, role=Role.MEMBER, granted_by=actor)
    regs = []
    for i, m in enumerate(candidates):
        reg = services.register_member(
            actor=actor,
            member=m,
            community=community,
            reported_on=reported + dt.timedelta(days=i),
            residence=gettext("幸福里小区%(n)d号楼") % {"n": i + 3},
            skills=[gettext("法律咨询"), gettext("义诊"), gettext("辅导功课"), gettext("电器维修")][i % 4],
            today=today,
        )
        if i < len(candidates) - 1:
            reg = services.decide_member_registration(
                actor=actor,
                registration=reg,
                accept=True,
                on=reg.reported_on + dt.timedelta(days=3),
                today=today,
            )
        regs.append(reg)
    unit = PartnerUnit.objects.filter(org_path__startswith=root.path).first()
    organ = Organization.objects.filter(
        path__startswith=root.path, kind="branch", unit_kind="government"
    ).first()
    if unit is not None:
        ureg = services.register_unit(
            actor=actor,
            community=community,
            partner=unit,
            reported_on=reported,
            offer=gettext("小区公共设施维修"),
            today=today,
        )
        services.decide_unit_registration(
            actor=actor, registration=ureg, accept=True, on=reported, today=today
        )
    if organ is not None:
        services.register_unit(
            actor=actor,
            community=community,
            unit_org=organ,
            reported_on=today,
            offer=gettext("政策宣讲"),
            today=today,
        )
    wish = services.publish_task(
        actor=actor,
        community=community,
        kind="small_wish",
        title=gettext("为独居老人修理收音机"),
        description=gettext("幸福里小区5号楼的独居老人希望有人帮忙修好收音机。"),
        due_on=today + dt.timedelta(days=20),
        today=today,
    )
    services.publish_task(
        actor=actor,
        community=community,
        kind="shift",
        title=gettext("周末社区服务站值守"),
        due_on=today + dt.timedelta(days=30),
        places=4,
        today=today,
    )
    accepted = [r for r in regs if r.status == "accepted" and r.member.user_id]
    if accepted:
        claim = services.claim_task(
            actor=accepted[0].member.user, task=wish, today=today - dt.timedelta(days=5)
        )
        services.report_claim(
            actor=accepted[0].member.user,
            claim=claim,
            report=gettext("已上门修好收音机，并更换了电池。"),
            done_on=today - dt.timedelta(days=2),
            today=today,
        )
    # Last week's activity: sign-ups made before it, attendance recorded after it.
    now = timezone.now()
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=7), dt.time(9, 0)))
    past = services.publish_activity(
        actor=actor,
        org=community,
        partner=unit if unit is not None and community.path.startswith(unit.org_path) else None,
        title=gettext("清洁家园志愿服务"),
        place=gettext("幸福里小区中心广场"),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        needed=10,
        description=gettext("清理楼道杂物和绿地垃圾。"),
    )
    before = start - dt.timedelta(days=2)
    volunteers = []
    for reg in regs:
        if reg.status != "accepted":
            continue
        if reg.member.user_id:
            volunteers.append(services.sign_up_member(actor=reg.member.user, activity=past, now=before))
        else:
            # Members without an account: the organizer signs nobody up for them; they come as residents do.
            continue
    for name, phone in [("王秀英", "13900001111"), ("李建国", "13900002222")]:
        volunteers.append(
            services.sign_up_resident(actor=actor, activity=past, name=name, phone=phone, now=before)
        )
    services.record_attendance(
        actor=actor, activity=past, present=[v.pk for v in volunteers[: max(1, len(volunteers) - 1)]], now=now
    )
    nxt = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=7), dt.time(14, 0)))
    services.publish_activity(
        actor=actor,
        org=community,
        title=gettext("敬老院义诊和陪伴"),
        place=gettext("街道敬老院"),
        starts_at=nxt,
        ends_at=nxt + dt.timedelta(hours=2, minutes=30),
        needed=8,
        hours=Decimal("2.5"),
    )
    if unit is not None:
        from jiceng.partners.demo import load_agreement

        load_agreement(town, community, unit)
    town.summary.append(
        gettext("双报到与志愿服务：%(n)d名党员向%(org)s报到，志愿服务活动2场（1场已记录考勤）。")
        % {"n": len(regs), "org": community.name}
    )
