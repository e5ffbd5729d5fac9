"""``jiceng hotline_export --output PATH [--period P] [--actor USERNAME] [--encoding utf-8|gb18030]``:
the 12345 work orders with their results, in the import's shape, for the hotline's system. ``.xlsx``
by the file's suffix, else CSV (UTF-8 with a BOM, or GB18030). Audited."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.core import audit, periods
from jiceng.core.context import action_context
from jiceng.core.models import User
from jiceng.services import hotline


class Command(BaseCommand):
    help = "Export 12345 hotline work orders with their results (the import's columns, then the results)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", required=True, help="a .csv or .xlsx file")
        parser.add_argument("--period", default="", help="received in: YYYY, YYYY-Qn or YYYY-MM")
        parser.add_argument("--actor", help="export as this user, within their scope")
        parser.add_argument("--encoding", choices=["utf-8", "gb18030"], default="utf-8")

    def handle(
        self, *args: Any, output: str, period: str, actor: str | None, encoding: str, **options: Any
    ) -> None:
        user = None
        if actor:
            user = User.objects.filter(username=actor, is_active=True).first()
            if user is None:
                raise CommandError(_("用户%(name)s不存在或已停用") % {"name": actor})
        qs = hotline.hotline_requests(user)
        if period:
            try:
                p = periods.parse(period)
            except periods.PeriodError as e:
                raise CommandError(str(e)) from e
            qs = qs.filter(received_at__date__gte=p.start, received_at__date__lte=p.end)
        target = Path(output)
        with action_context(source="cli"):
            n = qs.count()
            if target.suffix.lower() == ".xlsx":
                from openpyxl import Workbook

                book = Workbook(write_only=True)
                sheet = book.create_sheet(_("12345工单"))
                for row in hotline.export_rows(qs.iterator(chunk_size=500)):
                    sheet.append(row)
                book.save(target)
            else:
                with target.open(
                    "w", encoding="utf-8-sig" if encoding == "utf-8" else "gb18030", newline=""
                ) as f:
                    writer = csv.writer(f)
                    for row in hotline.export_rows(qs.iterator(chunk_size=500)):
                        writer.writerow(row)
            audit.record(
                actor=user,
                action=audit.Action.EXPORT,
                message=_("导出%(what)s，共%(n)d条") % {"what": _("12345工单办理结果"), "n": n},
            )
        self.stdout.write(_("已导出%(n)d条12345工单到%(path)s") % {"n": n, "path": target})
