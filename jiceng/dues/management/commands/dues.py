"""``jiceng dues --org CODE --report YYYY|YYYY-Qn|YYYY-MM``: the subtree's report (as the page and the
API give it, from the maintained figures) as JSON.

``jiceng dues --rebuild-figures [--org CODE] [--year YYYY ...] [--stale-only] [--background]``: recompute
the maintained figures (``figures.rebuild``) with progress, or queue it as a background task.

``jiceng dues --org CODE --month YYYY-MM [--format json|table|xlsx] [--output FILE]``: every member of
a subtree with their amount for the month, how it was computed (bracket), whether it is paid, and their
arrears (unpaid months of the last 12, from their branch's 党费记录起始月份 on).

JSON (the default) is an array of objects with the keys ``org_code``, ``member``, ``name``, ``month``,
``category``, ``base``, ``due``, ``way``, ``bracket``, ``fixed``, ``explanation``, ``paid``,
``paid_amount``, ``exempt`` and ``arrears_months``. The output holds income bases (personal data): it is
recorded as an export in the change record. Reads only otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from jiceng.core import audit
from jiceng.core.context import action_context
from jiceng.core.rulebook import find_org
from jiceng.members.models import Member

from ... import exports, ledger, rules
from ...models import BranchDuesSetting

HEADERS = (
    "组织编码",
    "党员",
    "姓名",
    "月份",
    "人员类别",
    "月收入基数",
    "应交",
    "计算方式",
    "档次",
    "已核定",
    "计算说明",
    "已交",
    "实交",
    "免交",
    "欠缴月份",
)


def rows_for(org: Any, month: dt.date) -> list[dict[str, Any]]:
    members = list(
        Member.objects.filter(org_path__prefix=org.path, joined_on__lt=rules.add_months(month, 1))
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=month))
        .select_related("org")
        .order_by("org_path", "name_pinyin", "id")
    )
    since = dict(
        BranchDuesSetting.objects.filter(org__path__startswith=org.path).values_list(
            "org_id", "records_since"
        )
    )
    book = ledger.load(members, rules.add_months(month, -11), month)
    out = []
    for m in members:
        lines = book.of(m.pk)
        line = lines[-1]
        start = since.get(m.org_id)
        arrears = [
            x.month.strftime("%Y-%m")
            for x in lines
            if start is not None and x.month >= start and x.owes and not x.settled
        ]
        out.append(
            {
                "org_code": m.org.code,
                "member": m.pk,
                "name": m.name,
                "month": month.strftime("%Y-%m"),
                "category": m.category,
                "base": None if line.base is None else str(line.base.amount),
                "due": str(line.due),
                "way": line.way,
                "bracket": line.bracket,
                "fixed": line.fixed is not None,
                "explanation": line.explanation,
                "paid": line.paid,
                "paid_amount": None if line.payment is None else str(line.payment.amount),
                "exempt": line.exempt,
                "arrears_months": arrears,
            }
        )
    return out


class Command(BaseCommand):
    help = "某党组织及其下级每名党员某月应交党费（档次、计算说明）、交纳情况和欠缴月份"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="组织编码")
        parser.add_argument("--month", help="月份 YYYY-MM")
        parser.add_argument(
            "--report",
            metavar="PERIOD",
            help="某党组织（--org）的党费报表 YYYY|YYYY-Qn|YYYY-MM（读党费月度统计），JSON 输出",
        )
        parser.add_argument(
            "--rebuild-figures",
            action="store_true",
            help="重新计算党费月度统计（默认全部党组织、今年和去年；可用 --org、--year 限定）",
        )
        parser.add_argument(
            "--year", type=int, action="append", help="与 --rebuild-figures 同用：年度，可重复"
        )
        parser.add_argument(
            "--stale-only", action="store_true", help="与 --rebuild-figures 同用：只算过期或缺少的"
        )
        parser.add_argument(
            "--background", action="store_true", help="与 --rebuild-figures 同用：交后台任务执行"
        )
        parser.add_argument("--format", choices=["json", "table", "xlsx"], default="json", help="输出格式")
        parser.add_argument("--output", help="xlsx 文件路径（默认 dues-组织编码-月份.xlsx）")

    def rebuild(self, options: dict[str, Any]) -> None:
        from django.utils import timezone

        from ... import figures

        path = ""
        if options.get("org"):
            org = find_org(options["org"])
            if org is None:
                raise CommandError(_("找不到组织编码为 %(code)s 的党组织") % {"code": options["org"]})
            path = org.path
        this_year = timezone.localdate().year
        years = sorted(set(options.get("year") or [this_year - 1, this_year]))
        if any(not 1921 <= y <= 2999 for y in years):
            raise CommandError(_("年度超出范围"))
        if options.get("background"):
            from ...tasks import rebuild_figures

            rebuild_figures.enqueue(path, years, bool(options.get("stale_only")))
            self.stdout.write(
                _("已交后台任务重新计算党费月度统计（%(years)s）") % {"years": "、".join(map(str, years))}
            )
            return
        started = time.perf_counter()

        def progress(year: int, done: int, total: int) -> None:
            self.stdout.write(
                _("%(year)d年：%(done)d/%(total)d个党支部，%(s).1f秒")
                % {"year": year, "done": done, "total": total, "s": time.perf_counter() - started}
            )

        rows = figures.rebuild(
            years=years, path=path, progress=progress, only_stale=bool(options.get("stale_only"))
        )
        self.stdout.write(
            _("党费月度统计已重新计算：%(rows)d行，%(s).1f秒")
            % {"rows": rows, "s": time.perf_counter() - started}
        )

    def report(self, options: dict[str, Any]) -> None:
        from django.utils import timezone

        from jiceng.core.periods import PeriodError, parse

        from ... import selectors

        org = find_org(options.get("org") or "")
        if org is None:
            raise CommandError(_("找不到组织编码为 %(code)s 的党组织") % {"code": options.get("org") or ""})
        try:
            period = parse(options["report"])
        except PeriodError:
            raise CommandError(_("期间格式应为YYYY、YYYY-Qn或YYYY-MM")) from None
        if period.kind == "day" or not 1921 <= period.start.year <= 2999:
            raise CommandError(_("期间格式应为YYYY、YYYY-Qn或YYYY-MM"))
        r = selectors.report(org, period, today=timezone.localdate())
        self.stdout.write(json.dumps(r.as_json(), ensure_ascii=False, indent=2))

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("rebuild_figures"):
            self.rebuild(options)
            return
        if options.get("report"):
            self.report(options)
            return
        if not options.get("org") or not options.get("month"):
            raise CommandError(_("需要 --org 和 --month（或 --rebuild-figures）"))
        try:
            month = dt.datetime.strptime(options["month"], "%Y-%m").date()
        except ValueError:
            raise CommandError(_("月份格式应为YYYY-MM：%(text)s") % {"text": options["month"]}) from None
        if not 1921 <= month.year <= 2999:
            raise CommandError(_("月份超出范围"))
        org = find_org(options["org"])
        if org is None:
            raise CommandError(_("找不到组织编码为 %(code)s 的党组织") % {"code": options["org"]})
        rows = rows_for(org, month)
        fmt = options["format"]
        with action_context(source="cli"):
            audit.record(
                actor=None,
                action=audit.Action.EXPORT,
                obj=org,
                message=_("导出党费明细（%(month)s，%(n)d人）") % {"month": options["month"], "n": len(rows)},
            )
        if fmt == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = [
            [
                r["org_code"],
                r["member"],
                r["name"],
                r["month"],
                r["category"],
                r["base"] or "",
                r["due"],
                r["way"],
                r["bracket"] or "",
                _("是") if r["fixed"] else _("否"),
                r["explanation"],
                _("是") if r["paid"] else _("否"),
                r["paid_amount"] or "",
                _("是") if r["exempt"] else _("否"),
                "、".join(r["arrears_months"]),
            ]
            for r in rows
        ]
        headers = [_(h) for h in HEADERS]
        if fmt == "xlsx":
            path = Path(options.get("output") or f"dues-{org.code}-{options['month']}.xlsx")
            path.write_bytes(exports.rows_xlsx(headers, table, _("党费明细")))
            self.stdout.write(_("已写入%(path)s（%(n)d人）") % {"path": path, "n": len(rows)})
            return
        shown = [0, 2, 6, 8, 11, 14]
        for row in [headers, *table]:
            self.stdout.write("\t".join(str(row[i]) for i in shown))
