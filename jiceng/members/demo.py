"""A demo town: a street working committee with ~30 branches and ~800 members, all made up.

The same logic as ../shared/datasets/gen_roster.py at ``--scale town`` (built in, so ``jiceng demo``
works without the shared folder): deterministic by seed, syntactically valid identity numbers that
belong to no one, and the realistic irregularities a compliance check should find.

``load_town`` is this app's part of ``jiceng demo`` (registered in ``members/apps.py``): the
organizations, the members, the committees and one account per role. It leaves the branch of the first
secretary and its members in ``town.shared["showcase"]`` for the loaders that follow.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils.translation import gettext

from jiceng.core import idnumber
from jiceng.core.models import RoleAssignment, User
from jiceng.core.registry import DemoTown
from jiceng.core.scope import Role
from jiceng.orgs import services as orgs
from jiceng.orgs.models import Organization
from jiceng.orgs.rules import add_years

from . import services as members
from .models import Member

REFERENCE_DATE = dt.date(2026, 9, 30)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕玉兰红梅文博子涵浩然宇轩欣怡梓涵"
    "思远晨阳雨桐佳怡俊杰嘉怡鑫晓东春梅立新振华国庆卫东秋菊冬梅永红小龙德胜淑珍凤兰金凤玉珍"
)
PLACE = "东西南北中新安和平兴华宁泰康民丰盛长庆阳山河湖城桥川林泉石溪云龙凤松柏青梅兰竹"
ETHNIC = [
    ("汉族", 90),
    ("壮族", 2),
    ("回族", 2),
    ("满族", 2),
    ("苗族", 1),
    ("维吾尔族", 1),
    ("土家族", 1),
    ("蒙古族", 1),
]
EDUCATION = [
    ("postgraduate", 8),
    ("bachelor", 30),
    ("college", 20),
    ("secondary_vocational", 8),
    ("high_school", 14),
    ("junior_or_below", 20),
]
CATEGORY = [("employed", 45), ("retired", 30), ("farmer", 18), ("student", 3), ("other", 4)]
UNIT_KIND = [
    ("community", 25),
    ("village", 25),
    ("government", 15),
    ("institution", 15),
    ("state_enterprise", 8),
    ("private_enterprise", 8),
    ("social_organization", 4),
]
UNIT_SUFFIX = {
    "community": "社区",
    "village": "村",
    "government": "局机关",
    "institution": "中心",
    "state_enterprise": "公司",
    "private_enterprise": "科技有限公司",
    "social_organization": "协会",
}
REGIONS = ("110101", "120102", "310104", "320106", "330106", "370102", "410105", "420106", "440106", "510107")
POSTS = ("secretary", "deputy_secretary", "organization_member", "publicity_member", "discipline_member")
JOBS = {
    "employed": ("职员", "技术员", "教师", "医生", "科员", "工程师", "社区工作者"),
    "retired": ("退休",),
    "farmer": ("村民",),
    "student": ("学生",),
    "other": ("个体经营",),
}


@dataclass
class DemoPerson:
    name: str
    gender: str
    ethnicity: str
    id_number: str
    birth_date: dt.date
    education: str
    category: str
    status: str
    joined_on: dt.date
    full_member_on: dt.date | None
    work_unit: str
    phone: str
    post: str = ""


@dataclass
class DemoBranch:
    code: str
    name: str
    unit_kind: str
    founded_on: dt.date
    elected_on: dt.date | None
    people: list[DemoPerson] = field(default_factory=list)


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(0, max(1, (end - start).days)))


def generate(seed: int = 1) -> tuple[tuple[str, str], list[DemoBranch]]:
    """The root (code, name) and its branches with their people."""
    rng = random.Random(f"town:{seed}")
    used: set[str] = set()
    place = lambda k=2: "".join(rng.choice(PLACE) for _ in range(k))  # noqa: E731
    root = ("01", place() + "街道党工委")
    branches = []
    for i in range(1, rng.randint(25, 35) + 1):
        unit = _weighted(rng, UNIT_KIND)
        roll = rng.random()
        size = (
            rng.randint(1, 2) if roll < 0.01 else rng.randint(51, 80) if roll < 0.02 else rng.randint(8, 45)
        )
        has_committee = size >= 7 and rng.random() > 0.03
        branch = DemoBranch(
            code=f"01{i:02d}",
            name=place() + UNIT_SUFFIX[unit] + "党支部",
            unit_kind=unit,
            founded_on=_date(rng, dt.date(1980, 1, 1), dt.date(2022, 1, 1)),
            elected_on=_date(rng, dt.date(2020, 1, 1), REFERENCE_DATE) if has_committee else None,
        )
        for _ in range(size):
            branch.people.append(_person(rng, used))
        full = [p for p in branch.people if p.status == "full"]
        posts = POSTS[: 5 if size >= 15 else 3] if has_committee else ("secretary",)
        for post, person in zip(posts, full, strict=False):
            person.post = post
        branches.append(branch)
    return root, branches


def _person(rng: random.Random, used: set[str]) -> DemoPerson:
    female = rng.random() < 0.31
    category = _weighted(rng, CATEGORY)
    if category == "student":
        birth = _date(rng, dt.date(1998, 1, 1), dt.date(2007, 1, 1))
    elif category == "retired":
        birth = _date(rng, dt.date(1930, 1, 1), dt.date(1966, 1, 1))
    else:
        birth = _date(rng, dt.date(1961, 1, 1), dt.date(2004, 1, 1))
    while True:
        body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(0, 500) * 2 + (0 if female else 1):03d}"
        number = body + idnumber.check_char(body)
        if number not in used:
            used.add(number)
            break
    eighteen = add_years(birth, 18)
    if rng.random() < 0.035:
        joined = _date(rng, max(eighteen, dt.date(2025, 6, 1)), REFERENCE_DATE)
        status, full_on = "probationary", None
    else:
        joined = _date(rng, max(eighteen, dt.date(1950, 1, 1)), dt.date(2025, 6, 1))
        status, full_on = "full", add_years(joined, 1)
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return DemoPerson(
        name=rng.choice(SURNAMES) + given,
        gender="female" if female else "male",
        ethnicity=_weighted(rng, ETHNIC),
        id_number=number,
        birth_date=birth,
        education=_weighted(rng, EDUCATION),
        category=category,
        status=status,
        joined_on=joined,
        full_member_on=full_on,
        work_unit=rng.choice(JOBS[category]),
        phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
    )


GROUPS_FROM = 30  # members: a branch this large has party groups
GROUP_NAMES = ("第一党小组", "第二党小组", "第三党小组")

ACCOUNTS = [
    # username, full name, role, where ("root", or an index into the branches with a committee)
    ("jiedao", "街道党工委组织委员", Role.ORG_ADMIN, "root"),
    ("chakan", "街道党建指导员（只读）", Role.VIEWER, "root"),
    ("shuji1", None, Role.SECRETARY, 0),
    ("shuji2", None, Role.SECRETARY, 1),
    ("dangyuan", None, Role.MEMBER, 0),
]


def town_present() -> bool:
    return Organization.objects.exists()


def load_town(town: DemoTown) -> None:
    """The town's organizations, members and committees, entered by ``town.actor``; the accounts."""
    admin = town.actor
    (root_code, root_name), branches = generate(town.seed)
    root = orgs.create_org(
        actor=admin,
        parent=None,
        code=root_code,
        name=root_name,
        kind="working_committee",
        unit_kind="government",
        founded_on=dt.date(1950, 1, 1),
    )
    RoleAssignment.objects.create(user=admin, org=root, role=Role.ORG_ADMIN)
    made = []
    for b in branches:
        org = orgs.create_org(
            actor=admin,
            parent=root,
            code=b.code,
            name=b.name,
            kind="branch",
            unit_kind=b.unit_kind,
            founded_on=b.founded_on,
        )
        people = []
        for p in b.people:
            m = members.create_member(
                actor=admin,
                org=org,
                id_number=p.id_number,
                name=p.name,
                gender=p.gender,
                ethnicity=p.ethnicity,
                birth_date=p.birth_date,
                education=p.education,
                category=p.category,
                status=p.status,
                joined_on=p.joined_on,
                full_member_on=p.full_member_on,
                work_unit=p.work_unit,
                phone=p.phone,
            )
            people.append((m, p.post))
        if b.elected_on:
            orgs.record_election(
                actor=admin,
                org=org,
                elected_on=b.elected_on,
                posts=[(m, post) for m, post in people if post],
            )
        if len(people) >= GROUPS_FROM:
            # A large branch works in party groups: three, its members dealt round.
            for i, group_name in enumerate(GROUP_NAMES):
                group = orgs.create_group(actor=admin, org=org, name=group_name)
                ids = [m.pk for m, _post in people[i :: len(GROUP_NAMES)]]
                Member.objects.filter(pk__in=ids).update(group=group)
        made.append((org, people))
    # Accounts: the secretaries and the member are people of the first two branches with enough members.
    roomy = [(org, people) for org, people in made if len(people) >= 7 and any(p for _, p in people)]
    for username, full_name, role, where in ACCOUNTS:
        if where == "root":
            user = User.objects.create_user(username, password=town.password, full_name=full_name)
            RoleAssignment.objects.create(user=user, org=root, role=role, granted_by=admin)
            continue
        org, people = roomy[where]
        if role == Role.SECRETARY:
            person = next(m for m, post in people if post == "secretary")
        else:
            person = next(m for m, post in people if not post)
        user = User.objects.create_user(username, password=town.password, full_name=person.name)
        RoleAssignment.objects.create(user=user, org=org, role=role, granted_by=admin)
        person.user = user
        person.save(update_fields=["user"])
    org, people = roomy[0]
    town.shared["showcase"] = (org, [m for m, _post in people])
    # The town keeps its records from about a year ago, and the loaders that follow record that year.
    since = town.shared["records_since"] = records_start(town.today)
    Organization.objects.filter(path__prefix=root.path).update(records_since=since)


def summarize_town(town: DemoTown) -> None:
    """The last of the demo loaders: the town as its pages count it, once every loader has added its
    people (the development files add a probationary and a full member)."""
    town.summary.insert(
        0,
        gettext("已加载演示数据：%(orgs)d个党组织，%(members)d名党员。")
        % {
            "orgs": Organization.objects.count(),
            "members": Member.objects.filter(closed_on__isnull=True).count(),
        },
    )


def records_start(today: dt.date) -> dt.date:
    """The demo's 记录起始日期: the first day of the month twelve months before today's."""
    month = today.month - 12
    return dt.date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
