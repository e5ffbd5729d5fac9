"""``jiceng requests_figures``: check the maintained monthly figures of residents' requests against a
recomputation from the requests (exit 1 when they differ), or ``--rebuild`` them (after a new version of
the response time limit, or a bulk load that bypassed the services). See docs/services.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.services import figures


class Command(BaseCommand):
    help = "Check the maintained monthly figures of residents' requests, or rebuild them (--rebuild)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rebuild", action="store_true", help="replace them by a recomputation")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            n = figures.rebuild()
            self.stdout.write(_("已重建诉求月度数字%(n)d行。") % {"n": n})
            return
        kept, fresh = figures.maintained(), figures.recompute()
        differ = sorted(k for k in set(kept) | set(fresh) if kept.get(k) != fresh.get(k))
        if differ:
            raise CommandError(
                _("诉求月度数字有%(n)d行与重新计算的不一致，请运行 jiceng requests_figures --rebuild")
                % {"n": len(differ)}
            )
        self.stdout.write(_("诉求月度数字与重新计算一致（%(n)d行）。") % {"n": len(fresh)})
