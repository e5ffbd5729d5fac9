"""``jiceng tallies --check|--rebuild``: compare or recompute the maintained subtree counts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.orgs import tallies
from jiceng.orgs.models import Organization


class Command(BaseCommand):
    help = "Check the organization tallies against a fresh count, or rebuild them from the records."

    def add_arguments(self, parser: Any) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true", help="report organizations whose tally differs")
        group.add_argument("--rebuild", action="store_true", help="recompute every tally")

    def handle(self, *args: Any, check: bool, rebuild: bool, **options: Any) -> None:
        if rebuild:
            n = tallies.rebuild()
            self.stdout.write(_("已重新计算%(n)d个党组织的统计汇总。") % {"n": n})
            return
        wrong = [
            org.code for org in Organization.objects.all() if tallies.read(org) != tallies.count_fresh(org)
        ]
        if wrong:
            raise CommandError(_("统计汇总与实际记录不符：%(codes)s") % {"codes": ", ".join(wrong[:50])})
        self.stdout.write(_("统计汇总与实际记录一致。"))
