"""Demo requests: the showcase branch's community takes requests in every state, some of them late; a
property company (共建单位) handles its category, with a contact account ``wuye``.

Every request goes through the services (intake, steps, the resident's word), then its times are moved
back so that the queue, the lateness and the three rates have something to show.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from jiceng.core.models import User
from jiceng.core.registry import DemoTown
from jiceng.partners.models import PartnerUnit

from . import figures, services
from .models import Category, Channel, Desk, Event, Route, ServiceRequest
from .seed import ensure_shipped

PARTNER_ACCOUNT = "wuye"

# (category, text, address, steps, age in hours, response delay in hours or None)
SCENARIOS: list[tuple[str, str, str, list[tuple[str, str]], int, int | None]] = [
    ("垃圾清运", "小区东门垃圾桶已经满了两天，没有人清运，气味很大。", "东门垃圾站", [], 3, None),
    ("路灯不亮", "5号楼前的路灯坏了一个星期，晚上老人出门不安全。", "5号楼前", [], 50, None),
    (
        "电梯故障",
        "8号楼电梯经常停在半层，已经困过人。",
        "8号楼1单元",
        [("accepted", "物业已派维修人员查看")],
        30,
        1,
    ),
    (
        "道路破损",
        "幼儿园门口人行道砖块松动，孩子容易绊倒。",
        "幼儿园门口",
        [("accepted", ""), ("in_progress", "已报市政养护单位，等待施工")],
        120,
        30,
    ),
    (
        "邻里纠纷",
        "楼上住户装修噪音每天晚上十点以后还在施工。",
        "12号楼",
        [("accepted", ""), ("answered", "已上门协调，双方约定晚八点后停止施工")],
        72,
        2,
    ),
    (
        "停车管理",
        "消防通道经常有车辆停放，堵住通道。",
        "3号楼消防通道",
        [("accepted", ""), ("answered", "已施划禁停标线并张贴告示"), ("solved", "5")],
        400,
        3,
    ),
    (
        "绿化养护",
        "小花园的树枝压到了电线上。",
        "中心花园",
        [("accepted", ""), ("answered", "已修剪树枝"), ("not_solved", "2:还有两棵没修剪")],
        200,
        5,
    ),
    (
        "养老服务",
        "独居老人希望有人定期上门看看。",
        "9号楼",
        [("accepted", ""), ("answered", "已纳入党员结对联系，每周上门一次"), ("solved", "5"), ("closed", "")],
        900,
        1,
    ),
    (
        "供水供暖",
        "暖气不热，室温只有十四度。",
        "6号楼",
        [
            ("accepted", ""),
            ("answered", "热力公司已排气调试"),
            ("partly", "3:有点热了但还不够"),
            ("closed", ""),
        ],
        700,
        20,
    ),
    (
        "其他",
        "希望社区开设老年人智能手机课程。",
        "社区活动室",
        [("referred", "已转交街道文化站统筹安排")],
        600,
        None,
    ),
    ("垃圾清运", "东门垃圾没人清运。", "东门", [("withdrawn", "")], 500, None),
]


def present() -> bool:
    return ServiceRequest.objects.exists()


def _shift(req: ServiceRequest, hours: int, response_delay: int | None) -> None:
    """Place the request ``hours`` in the past: received then, responded ``response_delay`` hours
    later, each later step a day after the one before."""
    received = timezone.now() - dt.timedelta(hours=hours)
    first_step = received + dt.timedelta(hours=response_delay or 1)
    times = {}
    for i, event in enumerate(Event.objects.filter(request=req).order_by("id")):
        at = received if i == 0 else first_step + dt.timedelta(days=i - 1)
        Event.objects.filter(pk=event.pk).update(at=at)
        times[event.kind] = at
    req.refresh_from_db()
    tracked = figures.Tracked(req)
    ServiceRequest.objects.filter(pk=req.pk).update(
        received_at=received,
        responded_at=first_step if req.responded_at else None,
        answered_at=times.get("answered") if req.answered_at else None,
        closed_at=max(times.values()) if req.closed_at else None,
    )
    tracked.done(req)


def _apply(actor: Any, req: ServiceRequest, step: str, text: str) -> ServiceRequest:
    if step in ("solved", "partly", "not_solved"):
        score, _sep, words = text.partition(":")
        return services.give_feedback(request=req, resolution=step, satisfaction=int(score), words=words)
    if step == "withdrawn":
        return services.withdraw(request=req, words=text)
    return services.move(actor=actor, request=req, to_type=step, public_text=text or "已收到，正在处理")


def load(*, actor: User, org: Any, root: Any, password: str, seed: int = 1) -> int:
    rng = random.Random(seed)
    ensure_shipped()
    if not services.desk_open(org):
        Desk.objects.create(org=org, open=True)
    partner = PartnerUnit.objects.create(
        name="安居物业服务有限公司", kind="property", org=root, phone="010-88886666"
    )
    contact = User.objects.create_user(PARTNER_ACCOUNT, password=password, full_name="物业客服")
    partner.contacts.add(contact)
    Route.objects.create(
        org=org, category=Category.objects.get(name="物业管理", parent=None), handler_partner=partner
    )
    made = []
    for category, text, address, steps, age, delay in SCENARIOS:
        req, _token = services.submit_request(
            org=org,
            category=Category.objects.get(name=category),
            text=text,
            address=address,
            name=rng.choice(["王阿姨", "李师傅", "张先生", ""]),
            phone=f"139{rng.randrange(10**8):08d}" if rng.random() < 0.7 else "",
        )
        for step, words in steps:
            handler = contact if req.handler_partner_id else actor
            req = _apply(handler, req, step, words)
        _shift(req, age, delay)
        made.append(req)
    # A duplicate of the first, merged at triage.
    first = made[0]
    dup, _ = services.submit_request(
        org=org, category=first.category, text="东门垃圾站满了。", address="东门", phone=""
    )
    services.move(actor=actor, request=dup, to_type="merged", duplicate_of=first)
    # A work order of the 12345 hotline (as `jiceng import` of its file would bring it in), and a
    # request whose public version the community edited (a neighbour's phone number taken out).
    now = timezone.now()
    services.submit_request(
        org=org,
        category=Category.objects.get(name="路灯不亮"),
        text="市民来电反映：小区北门两盏路灯不亮。",
        address="北门",
        phone=f"139{rng.randrange(10**8):08d}",
        channel=Channel.HOTLINE,
        hotline={"no": f"GD{now:%Y%m%d}0001", "deadline": now + dt.timedelta(days=3), "unit": "社区居委会"},
        received_at=now - dt.timedelta(hours=5),
    )
    noisy, _ = services.submit_request(
        org=org,
        category=Category.objects.get(name="邻里纠纷"),
        text="楼下赵某（电话13800000000）家的狗每天夜里叫。",
        address="7号楼102",
    )
    services.moderate(
        actor=actor,
        request=noisy,
        public_text="楼下住户家的狗每天夜里叫。",
        public_address="7号楼",
        reason="去掉他人姓名、电话和门牌号",
    )
    return len(made) + 3


def load_demo(town: DemoTown) -> None:
    org, _members = town.shared["showcase"]
    root = org.get_root()
    n = load(actor=town.actor, org=org, root=root, password=town.password, seed=town.seed)
    town.summary.append(
        gettext("群众诉求：%(org)s %(n)d件（各种状态），共建单位账号 %(account)s。")
        % {"org": org.name, "n": n, "account": PARTNER_ACCOUNT}
    )
