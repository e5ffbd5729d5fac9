"""Issue 11 item 2: an import is bounded whatever the file holds.

Each test builds the attack's file itself (a cell of tens of megabytes, a zip bomb, an entity bomb,
thousands of bad rows) and checks that it is refused or reported with a clear Chinese error, quickly
and within bounded memory (Python allocations traced; ``bench/bench_limits.py`` measures the whole
process). The sizes are smaller than the attack's (a 2 GB cell would take minutes to write here) but
above every limit, which is what decides.
"""

from __future__ import annotations

import json
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.members.models import Member
from jiceng.roster.models import ImportJob

from .helpers import MEMBER_HEADERS, codes, member, run, write_csv, write_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.urls("jiceng.roster.tests.urls")]

MB = 1024 * 1024


class Bounded:
    """Peak of Python allocations and wall time of a block."""

    def __enter__(self) -> Bounded:
        tracemalloc.start()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.started
        self.peak_mb = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()


def workbook_with_sheet(path: Path, sheet_xml: Path | bytes, *, shared: bytes | None = None) -> Path:
    """A valid workbook (made by openpyxl) whose first worksheet is replaced by ``sheet_xml``."""
    base = write_xlsx(
        path.with_suffix(".base.xlsx"), [("党员花名册", [member("甲", 1, "0101")], MEMBER_HEADERS)]
    )
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with out.open(info.filename, "w", force_zip64=True) as target:
                    if isinstance(sheet_xml, bytes):
                        target.write(sheet_xml)
                    else:
                        with open(sheet_xml, "rb") as f:
                            while chunk := f.read(MB):
                                target.write(chunk)
            elif info.filename == "xl/sharedStrings.xml" and shared is not None:
                out.writestr(info.filename, shared)
            else:
                out.writestr(info, src.read(info))
    return path


def sheet_with_cell(tmp_path: Path, text_chunk: bytes, repeat: int) -> Path:
    """Sheet XML: the member header, then one row whose 姓名 is ``text_chunk`` × ``repeat``."""
    path = tmp_path / "sheet.xml"

    def cell(ref: str, text: str) -> bytes:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()

    letters = "ABCDEFGHIJKLMN"
    with open(path, "wb") as f:
        f.write(
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        )
        f.write(
            b'<row r="1">'
            + b"".join(cell(f"{letters[i]}1", h) for i, h in enumerate(MEMBER_HEADERS))
            + b"</row>"
        )
        f.write(b'<row r="2"><c r="A2" t="inlineStr"><is><t>')
        for _ in range(repeat):
            f.write(text_chunk)
        f.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


def test_a_cell_of_fifty_megabytes_in_a_small_workbook_is_refused_before_parsing(tmp_path):
    """The attack: a 2 MB workbook holding a 2 GB cell (compression 1000:1). Refused from the zip's
    directory (compression ratio), before openpyxl reads a byte of it."""
    bomb = workbook_with_sheet(tmp_path / "bomb.xlsx", sheet_with_cell(tmp_path, b"A" * MB, 50))
    assert bomb.stat().st_size < 1 * MB
    with Bounded() as b:
        result = run(bomb, check=True)
    assert codes(result) == ["file_too_large"]
    assert "压缩比" in result.problems[0].message
    assert b.seconds < 5 and b.peak_mb < 20, (b.seconds, b.peak_mb)


def test_an_incompressible_row_of_megabytes_is_refused_before_parsing(tmp_path):
    """A cell too big to be a value but compressing normally: the worksheet scan finds a row of more
    than a megabyte of XML and refuses the file without openpyxl building it."""
    import random

    rng = random.Random(11)
    noise = "".join(
        rng.choice("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥") for _ in range(100_000)
    ).encode()
    workbook = workbook_with_sheet(tmp_path / "wide.xlsx", sheet_with_cell(tmp_path, noise, 8))
    with Bounded() as b:
        result = run(workbook, check=True)
    assert codes(result) == ["cell_too_long"]
    assert "单元格最长1000个字符" in result.problems[0].message
    assert b.seconds < 10 and b.peak_mb < 20, (b.seconds, b.peak_mb)


def test_a_long_cell_is_reported_with_its_value_cut(tmp_path):
    """A cell over the limit but within a row: read as its first 1,000 characters and "…", reported as
    too long on its row and column with that cut value."""
    rows = [member("王" * 5000, 1, "0101"), member("李明", 2, "0101", 工作单位及职务="单位" * 3000)]
    for path in (write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS),
                 write_xlsx(tmp_path / "members.xlsx", [("党员花名册", rows, MEMBER_HEADERS)])):  # fmt: skip
        result = run(path, check=True)
        problems = list(result.all_problems())
        assert [(p.row, p.column, p.code) for p in problems] == [
            (2, "姓名", "too_long"),
            (3, "工作单位及职务", "too_long"),
        ], problems
        assert [len(p.value) for p in problems] == [1001, 1001]
        assert problems[0].value.endswith("…")


def test_a_csv_cell_of_tens_of_megabytes_is_a_clear_error_in_bounded_memory(tmp_path):
    """The attack: a 200 MB CSV with one cell. Lines are read in pieces, and a cell beyond the csv
    module's field limit is an error naming its row: memory never holds the cell."""
    path = tmp_path / "members.csv"
    write_csv(path, [member("甲", 1, "0101")], MEMBER_HEADERS)
    with open(path, "a", encoding="utf-8") as f:
        f.write("乙," + "x" * (40 * MB) + "\r\n")
    with Bounded() as b:
        result = run(path, check=True)
    assert codes(result) == ["cell_too_long"]
    assert result.problems[0].row == 3 and "第3行" in result.problems[0].message
    assert b.seconds < 15 and b.peak_mb < 30, (b.seconds, b.peak_mb)


def test_an_entity_bomb_is_refused_without_expanding(tmp_path):
    """Billion laughs in a worksheet: a DTD is refused (and openpyxl parses with defusedxml)."""
    import openpyxl

    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<!DOCTYPE worksheet [<!ENTITY lol0 "lol">{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    ).encode()
    path = workbook_with_sheet(tmp_path / "laughs.xlsx", sheet)
    with Bounded() as b:
        result = run(path, check=True)
    assert codes(result) == ["file_format"]
    assert "DTD" in result.problems[0].message
    assert b.peak_mb < 20
    assert openpyxl.DEFUSEDXML  # and openpyxl itself parses without entity expansion


def test_a_malformed_workbook_is_a_bad_file_not_a_crash(tmp_path):
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>'
    )
    result = run(workbook_with_sheet(tmp_path / "broken.xlsx", sheet), check=True)
    assert codes(result) == ["file_format"]


def test_uncompressed_size_limit_is_a_setting(tmp_path, settings):
    settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = 10_000
    rows = [member(f"党员{i}", i, "0101") for i in range(1, 80)]
    result = run(write_xlsx(tmp_path / "m.xlsx", [("党员花名册", rows, MEMBER_HEADERS)]), check=True)
    assert codes(result) == ["file_too_large"]
    assert "超过上限" in result.problems[0].message


def test_errors_are_stored_up_to_the_cap_then_counted_by_code(world, client_for, tmp_path, settings):
    """The attack: 730k bad rows made an 831 MB report and a 142 s bad-rows download. The report keeps
    the first errors (the cap is a setting), counts the rest by code, and the page, the console and the
    bad-rows workbook say how many more there are."""
    settings.IMPORT_MAX_ERRORS = 50
    rows = [member(f"党员{i}", i, "0101", 性别="未知") for i in range(1, 121)]
    rows += [member(f"党员{i}", i, "0101", 学历="博士后") for i in range(121, 141)]
    path = write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)
    client = client_for(world.county_admin)
    response = client.post(
        reverse("roster:import"), {"files": [SimpleUploadedFile("members.csv", path.read_bytes())]}
    )
    job = ImportJob.objects.get(uuid=response.url.rstrip("/").split("/")[-1])
    assert job.status == ImportJob.Status.INVALID
    assert job.error_count == 140 and job.error_codes == {"choice_invalid": 140}
    assert len(job.errors_path.read_text(encoding="utf-8").splitlines()) == 50
    page = client.get(reverse("roster:job", args=[job.uuid])).content.decode()
    assert "另有90处错误未列出" in page and "choice_invalid" in page
    last = client.get(reverse("roster:job", args=[job.uuid]) + "?page=99").content.decode()
    assert "第 1 页" in last or "党员" in last  # the last stored page, no error
    download = client.get(reverse("roster:bad_rows", args=[job.uuid]))
    workbook = load_workbook(__import__("io").BytesIO(b"".join(download.streaming_content)), read_only=True)
    data = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(data) == 1 + 50
    general = list(workbook.worksheets[-1].iter_rows(values_only=True))
    assert "另有90处错误未列出" in general[-1][1]
    assert Member.objects.filter(name="党员1").count() == 0


def test_the_console_says_how_many_errors_it_did_not_list(tmp_path, settings, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.IMPORT_MAX_ERRORS = 3
    rows = [member(f"党员{i}", i, "0101", 性别="未知") for i in range(1, 11)]
    path = write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)
    with pytest.raises(CommandError):
        call_command("import", str(path), "--check")
    err = capsys.readouterr().err
    assert err.count("choice_invalid") == 4  # three listed, and the line counting them all
    assert "另有7处错误未列出" in err


def test_an_upload_over_the_size_limit_is_refused(world, client_for, tmp_path, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 2000
    path = write_csv(
        tmp_path / "members.csv", [member(f"党员{i}", i, "0101") for i in range(1, 40)], MEMBER_HEADERS
    )
    client = client_for(world.county_admin)
    response = client.post(
        reverse("roster:import"), {"files": [SimpleUploadedFile("members.csv", path.read_bytes())]}
    )
    assert response.status_code == 200
    assert "超过上限" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_report_file_stays_small_for_a_flood_of_long_bad_values(tmp_path, settings):
    """Values stored in the report are cut: 300 rows of 5,000-character names make a report of a few
    hundred kilobytes, not of the values' size."""
    rows = [member("名" * 5000, i, "0101") for i in range(1, 301)]
    report = tmp_path / "errors.jsonl"
    from jiceng.roster.importer import InputFile, run_import

    path = write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)
    result = run_import(
        actor=None, files=[InputFile(path, "members.csv")], check_only=True, report_path=report
    )
    assert result.error_count == 300
    assert report.stat().st_size < 2 * MB
    lines = report.read_text(encoding="utf-8").splitlines()
    assert all(len(json.loads(line)["value"]) <= 1001 for line in lines)


def test_what_follows_the_rows_is_not_taken_for_a_long_row(tmp_path):
    """Merged cells, validations or hyperlinks after ``</sheetData>`` may take megabytes: not a row."""
    merges = "".join(f'<mergeCell ref="P{i}:Q{i}"/>' for i in range(1, 120_000)).encode()
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + b'<row r="1">'
        + b"".join(
            f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'.encode()
            for i, h in enumerate(MEMBER_HEADERS)
        )
        + b'</row></sheetData><mergeCells count="119999">'
        + merges
        + b"</mergeCells></worksheet>"
    )
    assert len(merges) > 2 * MB
    result = run(workbook_with_sheet(tmp_path / "merged.xlsx", sheet), check=True)
    assert "cell_too_long" not in codes(result)
