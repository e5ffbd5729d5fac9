"""``jiceng demo``: load the demo town and one account per role, and print the logins.

What the town holds comes from the apps (``jiceng.core.registry.demo_loaders``, filled in their
``AppConfig.ready()``), loaded in their declared order in one transaction; core makes only the system
administrator who enters it all.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.models import User
from jiceng.core.registry import DemoTown, demo_loaders

DEMO_PASSWORD = "jiceng-demo-2026"  # noqa: S105  (demo only; printed on purpose)
ADMIN = "admin"


class Command(BaseCommand):
    help = "Load the demo town (about 800 made-up members) with one account per role."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when organizations exist")

    def handle(self, *args: Any, seed: int, if_empty: bool, **options: Any) -> None:
        if any(loader.present() for loader in demo_loaders):
            if if_empty:
                self.stdout.write(_("已有数据，未加载演示数据。"))
                self.print_logins()
                return
            raise CommandError(_("数据库中已有党组织；演示数据只加载到空数据库（可用 --if-empty 跳过）"))
        with transaction.atomic():
            self.load(seed)
        self.print_logins()

    def load(self, seed: int) -> None:
        admin = User.objects.create_superuser(ADMIN, password=DEMO_PASSWORD, full_name="系统管理员")
        town = DemoTown(seed=seed, today=timezone.localdate(), actor=admin, password=DEMO_PASSWORD)
        for loader in demo_loaders:
            loader.load(town)
        for line in town.summary:
            self.stdout.write(line)

    def print_logins(self) -> None:
        self.stdout.write(_("演示账号（密码均为 %(pw)s）：") % {"pw": DEMO_PASSWORD})
        usernames = [ADMIN, *(name for loader in demo_loaders for name in loader.accounts)]
        for user in User.objects.filter(username__in=usernames).order_by("id"):
            grants = ", ".join(f"{r.get_role_display()} @ {r.org.name}" for r in user.role_assignments.all())
            label = _("系统管理员") + "; " if user.is_superuser else ""
            if not grants and not user.is_superuser:  # e.g. an applicant: their own file on 我的
                grants = _("无角色，只看本人的记录")
            self.stdout.write(f"  {user.username:<10} {user.full_name:<14} {label}{grants}")
