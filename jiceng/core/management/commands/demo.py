"""``jiceng demo``: load the demo town and one account per role, and print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import demo
from jiceng.core.models import RoleAssignment, User
from jiceng.core.scope import Role

DEMO_PASSWORD = "jiceng-demo-2026"  # noqa: S105  (demo only; printed on purpose)

ACCOUNTS = [
    # username, full name, role, where ("root", or a branch index), superuser
    ("admin", "系统管理员", Role.ORG_ADMIN, "root", True),
    ("jiedao", "街道党工委组织委员", Role.ORG_ADMIN, "root", False),
    ("chakan", "街道党建指导员（只读）", Role.VIEWER, "root", False),
    ("shuji1", None, Role.SECRETARY, 0, False),
    ("shuji2", None, Role.SECRETARY, 1, False),
    ("dangyuan", None, Role.MEMBER, 0, False),
]


class Command(BaseCommand):
    help = "Load the demo town (about 800 made-up members) with one account per role."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when organizations exist")

    def handle(self, *args: Any, seed: int, if_empty: bool, **options: Any) -> None:
        from jiceng.orgs.models import Organization

        if Organization.objects.exists():
            if if_empty:
                self.stdout.write(_("已有数据，未加载演示数据。"))
                self.print_logins()
                return
            raise CommandError(_("数据库中已有党组织；演示数据只加载到空数据库（可用 --if-empty 跳过）"))
        with transaction.atomic():
            self.load(seed)
        self.print_logins()

    def load(self, seed: int) -> None:
        from jiceng.members import services as members
        from jiceng.orgs import services as orgs

        (root_code, root_name), branches = demo.generate(seed)
        admin = User.objects.create_superuser("admin", password=DEMO_PASSWORD, full_name="系统管理员")
        root = orgs.create_org(
            actor=admin,
            parent=None,
            code=root_code,
            name=root_name,
            kind="working_committee",
            unit_kind="government",
            founded_on=demo.dt.date(1950, 1, 1),
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
            made.append((org, people))
        # Accounts: the secretaries and the member are people of the first two branches with enough members.
        roomy = [(org, people) for org, people in made if len(people) >= 7 and any(p for _, p in people)]
        for username, full_name, role, where, _superuser in ACCOUNTS[1:]:
            if where == "root":
                user = User.objects.create_user(username, password=DEMO_PASSWORD, full_name=full_name)
                RoleAssignment.objects.create(user=user, org=root, role=role, granted_by=admin)
                continue
            org, people = roomy[where]
            if role == Role.SECRETARY:
                person = next(m for m, post in people if post == "secretary")
            else:
                person = next(m for m, post in people if not post)
            user = User.objects.create_user(username, password=DEMO_PASSWORD, full_name=person.name)
            RoleAssignment.objects.create(user=user, org=org, role=role, granted_by=admin)
            person.user = user
            person.save(update_fields=["user"])
        # Member development: the first secretary's branch has a file at every stage.
        from django.utils import timezone

        from jiceng.development import demo as development_demo

        org, people = roomy[0]
        development_demo.load(
            actor=admin, org=org, members=[m for m, _post in people], today=timezone.localdate()
        )
        self.stdout.write(
            _("已加载演示数据：%(orgs)d个党组织，%(members)d名党员。")
            % {"orgs": 1 + len(made), "members": sum(len(p) for _, p in made)}
        )

    def print_logins(self) -> None:
        self.stdout.write(_("演示账号（密码均为 %(pw)s）：") % {"pw": DEMO_PASSWORD})
        for user in User.objects.filter(username__in=[a[0] for a in ACCOUNTS]).order_by("id"):
            grants = ", ".join(f"{r.get_role_display()} @ {r.org.name}" for r in user.role_assignments.all())
            label = _("系统管理员") + "; " if user.is_superuser else ""
            self.stdout.write(f"  {user.username:<10} {user.full_name:<14} {label}{grants}")
