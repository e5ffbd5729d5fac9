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
)


def _figures(f: Any) -> list[Any]:
    return [
        float(f.due),
        float(f.collected),
        None if f.rate is None else float(f.rate),
        float(f.arrears),
        len(f.arrears_members),
        float(f.extra),
        float(f.remitted),
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
