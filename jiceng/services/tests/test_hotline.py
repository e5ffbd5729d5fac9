"""12345 work orders through ``jiceng import``: idempotent by 工单编号, all or nothing with row, column
and reason, UTF-8 and GB18030 and xlsx; and the export of results in the same shape."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from jiceng.core import crypto
from jiceng.roster.importer import InputFile, run_import
from jiceng.services import services
from jiceng.services.hotline import EXPORT_HEADERS
from jiceng.services.models import Channel, ServiceRequest

pytestmark = pytest.mark.django_db

HEADER = ["工单编号", "来电时间", "诉求内容", "诉求类别", "地址", "承办单位", "办理时限", "联系电话"]
ROWS = [
    [
        "GD2025030001",
        "2025-03-01 08:30",
        "小区门口路灯不亮",
        "市政设施",
        "和平路3号",
        "和平社区居委会",
        "2025-03-08",
        "13900001111",
    ],
    [
        "GD2025030002",
        "2025/03/02 09:00:00",
        "垃圾两天没清运",
        "环境卫生/垃圾清运",
        "和平路5号",
        "和平社区居委会",
        "2025-03-05 18:00",
        "",
    ],
    ["GD2025030003", "2025-03-03 10:00", "噪音扰民", "噪声污染", "新华村东头", "新华村村委会", "", ""],
]


def write(
    tmp_path: Path, rows: list[list[str]], *, encoding: str = "utf-8", name: str = "12345.csv"
) -> InputFile:
    path = tmp_path / name
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return InputFile(path=path, name=name)


def problems(result) -> list[tuple]:  # noqa: ANN001
    return [(p.row, p.column, p.value, p.code) for p in result.all_problems()]


def test_import_is_idempotent_and_routes_by_the_handling_unit(world, tmp_path):  # noqa: ANN001
    file = write(tmp_path, ROWS, encoding="gb18030")
    result = run_import(actor=world.county_admin, files=[file])
    assert result.ok, problems(result)
    assert result.counts["hotline_orders"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert any("归入“其他”" in n for n in result.notices)  # 噪声污染 has no category here
    first = ServiceRequest.objects.get(hotline_no="GD2025030001")
    assert first.org == world.branch_a and first.channel == Channel.HOTLINE
    assert first.received_at.strftime("%Y-%m-%d %H:%M") == "2025-03-01 00:30"  # 08:30 in Beijing, UTC here
    assert first.hotline_deadline.isoformat().startswith("2025-03-08T15:59:59")  # the day's end, local
    assert first.hotline_unit == "和平社区居委会"
    assert first.events.get(kind="submitted").at == first.received_at
    assert crypto.decrypt(first.phone_cipher) == "13900001111" and first.phone_masked == "139****1111"
    second = ServiceRequest.objects.get(hotline_no="GD2025030002")
    assert str(second.category) == "环境卫生 / 垃圾清运"
    assert ServiceRequest.objects.get(hotline_no="GD2025030003").org == world.branch_b
    again = run_import(actor=world.county_admin, files=[file])
    assert again.ok and again.counts["hotline_orders"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert ServiceRequest.objects.count() == 3


def test_all_or_nothing_with_row_column_and_reason(world, tmp_path):  # noqa: ANN001
    rows = [
        ROWS[0],
        ["GD2025030001", "2025-03-01 08:30", "重复", "其他", "某处", "和平社区居委会", "", ""],
        ["", "明天", "", "其他", "某处", "不存在社区居委会", "2025-02-01", "123"],
        ["GD9", "2025-03-03 10:00", "x", "其他", "某处", "新华村村委会", "2025-03-01", ""],
    ]
    result = run_import(actor=world.county_admin, files=[write(tmp_path, rows)])
    assert not result.ok
    assert problems(result) == [
        (3, "工单编号", "GD2025030001", "duplicate_row"),
        (4, "工单编号", "", "required"),
        (4, "来电时间", "明天", "datetime_invalid"),
        (4, "诉求内容", "", "required"),
        (4, "联系电话", "123", "phone_invalid"),
        (4, "承办单位", "不存在社区居委会", "org_unknown"),
        (5, "办理时限", "2025-03-01", "deadline_before_call"),
    ]
    assert ServiceRequest.objects.count() == 0


def test_scope_of_the_importer(world, tmp_path):  # noqa: ANN001
    # Alice (和平社区) may not import a work order of 新华村; nothing is written, not even her own.
    result = run_import(actor=world.alice, files=[write(tmp_path, ROWS[:1] + ROWS[2:])])
    assert not result.ok and problems(result) == [(3, "承办单位", "新华村村委会", "org_unknown")]
    assert ServiceRequest.objects.count() == 0
    assert run_import(actor=world.alice, files=[write(tmp_path, ROWS[:2])]).ok
    # A work order number another subtree imported is reported, not skipped silently.
    result = run_import(actor=world.bob, files=[write(tmp_path, [ROWS[0][:5] + ["新华村村委会", "", ""]])])
    assert problems(result) == [(2, "工单编号", "GD2025030001", "exists")]


def test_xlsx_through_the_console(world, tmp_path):  # noqa: ANN001
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(ROWS[0])
    path = tmp_path / "工单.xlsx"
    book.save(path)
    out = io.StringIO()
    call_command("import", str(path), stdout=out)
    assert ServiceRequest.objects.filter(hotline_no="GD2025030001").exists()


def test_export_in_the_same_shape_with_results(world, tmp_path, client_for):  # noqa: ANN001
    assert run_import(actor=world.county_admin, files=[write(tmp_path, ROWS[:2])]).ok
    req = ServiceRequest.objects.get(hotline_no="GD2025030001")
    services.move(actor=world.alice, request=req, to_type="accepted")
    services.move(actor=world.alice, request=req, to_type="answered", public_text="=已更换灯泡")
    services.give_feedback(request=req, resolution="solved", satisfaction=5)
    services.submit_request(
        org=world.branch_a, category=req.category, text="网上的", address="x"
    )  # not a work order
    response = client_for(world.alice).get(reverse("services:hotline_export"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == EXPORT_HEADERS and rows[0][:7] == HEADER[:7]
    assert len(rows) == 3
    by_no = {r[0]: r for r in rows[1:]}
    row = by_no["GD2025030001"]
    assert row[1] == "2025-03-01 08:30" and row[5] == "和平社区居委会" and row[6] == "2025-03-08 23:59"
    assert row[8] == "居民已确认" and row[11] == "'=已更换灯泡" and row[12] == "已解决" and row[13] == "5"
    # GB18030 for spreadsheet programs on Chinese Windows; bob sees none of them.
    gb = client_for(world.alice).get(reverse("services:hotline_export"), {"encoding": "gb18030"})
    assert gb["Content-Type"] == "text/csv; charset=gb18030" and "工单编号".encode("gb18030") in gb.content
    bob = client_for(world.bob).get(reverse("services:hotline_export"))
    assert len(b"".join(bob.streaming_content).decode("utf-8-sig").strip().splitlines()) == 1
    # The console writes xlsx or csv; the exported file imports again without a change.
    target = tmp_path / "out.csv"
    call_command("hotline_export", "--output", str(target), "--encoding", "gb18030", stdout=io.StringIO())
    assert target.read_bytes().decode("gb18030").startswith("工单编号")
    xlsx = tmp_path / "out.xlsx"
    call_command("hotline_export", "--output", str(xlsx), "--period", "2025-03", stdout=io.StringIO())
    again = run_import(actor=world.county_admin, files=[InputFile(path=xlsx, name="out.xlsx")])
    assert again.ok, problems(again)
    assert again.counts["hotline_orders"]["unchanged"] == 2
