"""Building roster files for the tests: rows with the exchange format's Chinese headers."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from conftest import make_id
from jiceng.roster.importer import ImportResult, InputFile, run_import

ORG_HEADERS = [
    "组织编码",
    "组织名称",
    "上级组织编码",
    "组织类别",
    "单位类别",
    "成立日期",
    "本届委员会选举日期",
]
MEMBER_HEADERS = [
    "姓名",
    "性别",
    "民族",
    "公民身份号码",
    "出生日期",
    "学历",
    "人员类别",
    "党员状态",
    "入党日期",
    "转正日期",
    "所在党组织编码",
    "党内职务",
    "工作单位及职务",
    "联系电话",
]


def org(
    code: str,
    name: str,
    parent: str,
    kind: str = "党支部",
    unit: str = "社区",
    founded: str = "",
    elected: str = "",
) -> dict[str, str]:
    return dict(zip(ORG_HEADERS, [code, name, parent, kind, unit, founded, elected], strict=True))


def member(
    name: str,
    seq: int,
    org_code: str,
    *,
    birth: dt.date = dt.date(1985, 3, 9),
    region: str = "320106",
    **overrides: str,
) -> dict[str, str]:
    number = make_id(birth, seq, region=region)
    row = {
        "姓名": name,
        "性别": "男" if seq % 2 else "女",
        "民族": "汉族",
        "公民身份号码": number,
        "出生日期": birth.isoformat(),
        "学历": "大学本科",
        "人员类别": "在岗职工",
        "党员状态": "正式党员",
        "入党日期": "2010-07-01",
        "转正日期": "2011-07-01",
        "所在党组织编码": org_code,
        "党内职务": "",
        "工作单位及职务": "某单位职员",
        "联系电话": "13800000000",
    }
    row.update(overrides)
    return row


def write_csv(
    path: Path, rows: list[dict[str, Any]], headers: list[str] | None = None, encoding: str = "utf-8-sig"
) -> Path:
    headers = headers or list(rows[0])
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(h, "") for h in headers])
    return path


def write_xlsx(path: Path, sheets: list[tuple[str, list[dict[str, Any]], list[str]]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, rows, headers in sheets:
        ws = wb.create_sheet(title)
        ws.append(headers)
        for r in rows:
            ws.append([r.get(h, "") for h in headers])
    wb.save(path)
    return path


def run(*paths: Path, actor: Any = None, check: bool = False) -> ImportResult:
    return run_import(actor=actor, files=[InputFile(p, p.name) for p in paths], check_only=check)


def codes(result: ImportResult) -> list[str]:
    return [p.code for p in result.all_problems()]


@pytest.fixture(params=["one process", "reading process"])
def reading(request, monkeypatch):
    """Run the test both ways: members read in the importing process, and in a child (``parallel``)."""
    from jiceng.roster import parallel

    if request.param == "reading process":
        if not parallel.available_here():
            pytest.skip("no fork or a single core: the importer reads in its own process")
        monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    return request.param
