"""The report and the month sheet as xlsx (the page's download and ``jiceng dues --format xlsx``)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

FIGURE_HEADERS = (
    "应交（元）",
    "实交（元）",
    "收缴率（%）",
    "欠缴（元）",
    "欠缴人数",
    "自愿多交（元）",
    "上缴中央（元）",
    "上缴上级（元）",
)


def _figures(f: Any) -> list[Any]:
    return [
        float(f.due),
        float(f.collected),
        None if f.rate is None else float(f.rate),
        float(f.arrears),
        f.arrears_members,
        float(f.extra),
        float(f.remitted),
        float(f.remitted_up),
    ]


def report_xlsx(report: Any) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    headers = [_(h) for h in FIGURE_HEADERS]
    ws = wb.create_sheet(_("按组织"))
    ws.append([_("组织编码"), _("组织名称"), *headers])
    ws.append([report.org.code, report.org.name, *_figures(report.total)])
    for org, f in report.by_child:
        ws.append([org.code, org.name, *_figures(f)])
    ws = wb.create_sheet(_("按月"))
    ws.append([_("月份"), *headers])
    for month, f in report.by_month:
        ws.append([month.strftime("%Y-%m"), *_figures(f)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rows_xlsx(headers: list[str], rows: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(headers)
    for row in rows:
        # A text cell starting with =, +, - or @ would be read as a formula: neutralize it.
        ws.append(["'" + c if isinstance(c, str) and c[:1] in "=+-@" else c for c in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A text cell starting with =, +, - or @ would be read as a formula: neutralize it."""
    return "'" + value if isinstance(value, str) and value[:1] in "=+-@" else value


def publication_xlsx(pub: Any) -> bytes:
    """党费收缴使用情况年度公示: the figures, then the uses (no person's name anywhere)."""
    from openpyxl import Workbook

    f = pub.figures
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("收缴情况"))
    ws.append([_("%(org)s%(year)s年党费收缴使用情况公示") % {"org": pub.org.name, "year": pub.year}])
    ws.append([_("项目"), _("数值")])
    for label, value in (
        (_("应交党费（元）"), float(f.due)),
        (_("实交党费（元）"), float(f.collected)),
        (_("收缴率（%）"), None if f.rate is None else float(f.rate)),
        (_("上缴上级党组织（元）"), float(pub.remitted_up)),
        (_("自愿多交党费（笔）"), pub.extra_count),
        (_("自愿多交党费（元）"), float(f.extra)),
        (_("其中一次1000元以上全部上缴中央（笔）"), pub.remitted_count),
        (_("其中一次1000元以上全部上缴中央（元）"), float(f.remitted)),
        (_("经批准减交党费（人）"), pub.reductions),
        (_("经批准免交党费（人）"), pub.exemptions),
        (_("党费使用合计（元）"), float(pub.used_total)),
    ):
        ws.append([label, value])
    ws = wb.create_sheet(_("党费使用"))
    ws.append([_("日期"), _("党组织"), _("用途"), _("金额（元）"), _("批准决定")])
    for u in pub.uses:
        ws.append(
            [u.used_on.isoformat(), _cell(u.org.name), _cell(u.purpose), float(u.amount), _cell(u.decision)]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
