"""Reading: CSV in UTF-8 (with or without BOM), GB18030 and .xlsx give the same rows; headers in any
order; formula neutralization undone exactly; dates in the forms spreadsheets write; fast pinyin keys."""

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core import pinyin as core_pinyin
from jiceng.members.models import Member
from jiceng.roster import readers
from jiceng.roster.formats import neutralize, parse_date, restore
from jiceng.roster.handlers import identify
from jiceng.roster.pinyin import keys as fast_keys

from .helpers import MEMBER_HEADERS, ORG_HEADERS, member, org, run, write_csv, write_xlsx

GEN_ROSTER = Path("/work/shared/datasets/gen_roster.py")


def sample(n=60):
    orgs = [
        org("0104", "龙泉社区党支部", "01", elected="2023-03-03"),
        org("0105", "石桥村党支部", "01", unit="农村"),
    ]
    members = [
        member(f"{'张王李赵刘陈'[i % 6]}{'伟芳娜敏静强'[i // 6 % 6]}{'华明'[i % 2]}", i, "0104" if i % 2 else "0105",
               birth=dt.date(1950 + i % 40, 1 + i % 12, 1 + i % 28), 党内职务="书记" if i == 1 else "")
        for i in range(n)
    ]  # fmt: skip
    return orgs, members


def snapshot():
    return sorted(
        (
            m.reveal_id_number(),
            m.org.code,
            m.name,
            m.gender,
            m.ethnicity,
            m.birth_date,
            m.education,
            m.status,
            m.phone,
        )
        for m in Member.objects.select_related("org").filter(org__code__in=["0104", "0105"])
    )


def fresh():
    Member.objects.filter(org__code__in=["0104", "0105"]).delete()
    from jiceng.orgs.models import Organization

    Organization.objects.filter(code__in=["0104", "0105"]).delete()


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["utf-8", "gb18030", "xlsx", "xlsx-one-workbook"])
def test_gb18030_and_xlsx_import_the_same_rows_as_utf8_csv(world, tmp_path, variant):
    orgs, members = sample()
    assert run(
        write_csv(tmp_path / "orgs.csv", orgs, ORG_HEADERS),
        write_csv(tmp_path / "members.csv", members, MEMBER_HEADERS),
    ).ok
    expected = snapshot()
    assert len(expected) == 60
    fresh()
    if variant in ("utf-8", "gb18030"):
        paths = [
            write_csv(tmp_path / f"o-{variant}.csv", orgs, ORG_HEADERS, encoding=variant),
            write_csv(tmp_path / f"m-{variant}.csv", members, MEMBER_HEADERS, encoding=variant),
        ]
        if variant == "gb18030":
            assert paths[1].read_bytes().decode("gb18030").startswith("姓名")
            with pytest.raises(UnicodeDecodeError):
                paths[1].read_bytes().decode("utf-8")
    elif variant == "xlsx":
        paths = [
            write_xlsx(tmp_path / "o.xlsx", [("组织", orgs, ORG_HEADERS)]),
            write_xlsx(tmp_path / "m.xlsx", [("党员花名册", members, MEMBER_HEADERS)]),
        ]
    else:
        paths = [
            write_xlsx(
                tmp_path / "all.xlsx", [("党员花名册", members, MEMBER_HEADERS), ("组织", orgs, ORG_HEADERS)]
            )
        ]
    result = run(*paths)
    assert result.ok, list(result.all_problems())
    assert snapshot() == expected


def test_encoding_detection(tmp_path):
    text = "姓名,公民身份号码,所在党组织编码\n张伟,1,2\n"
    for encoding, expected in [
        ("utf-8-sig", "utf-8-sig"),
        ("utf-8", "utf-8"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ]:
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        assert readers.detect_encoding(path) == expected


def test_xlsx_cells_typed_by_excel_read_as_text(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "党员花名册"
    ws.append(["党员信息表"])  # a title row above the header
    ws.append(MEMBER_HEADERS)
    ws.append(["张伟", "男", "汉族", "11010119800517001X", dt.datetime(1980, 5, 17), "大学本科", "在岗职工", "正式党员",
               dt.date(2010, 7, 1), dt.datetime(2011, 7, 1), 101, None, "'=1", 13800000000.0])  # fmt: skip
    wb.save(tmp_path / "typed.xlsx")
    (source,) = readers.open_sources(tmp_path / "typed.xlsx", lambda h: identify(h) is not None)
    assert source.header_row == 2
    ((number, cells),) = list(source.rows())
    assert number == 3
    assert cells[4] == "1980-05-17" and cells[8] == "2010-07-01" and cells[9] == "2011-07-01"
    assert cells[10] == "101" and cells[11] == "" and cells[12] == "=1" and cells[13] == "13800000000"


def test_unreadable_files_are_file_errors(tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(readers.SourceError) as e:
        readers.open_sources(tmp_path / "old.xls", lambda h: True)
    assert e.value.code == "file_type"
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(readers.SourceError) as e:
        readers.open_sources(tmp_path / "broken.xlsx", lambda h: True)
    assert e.value.code == "file_format"


@given(st.text(max_size=30))
def test_neutralize_then_restore_is_the_identity(value):
    assert restore(neutralize(value)) == value


@given(st.text(max_size=30))
def test_neutralized_cells_never_start_a_formula(value):
    cell = neutralize(value)
    plain_number = re.fullmatch(r"[+-]?\d+(\.\d+)?", cell)
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or plain_number


def test_dates_in_the_forms_spreadsheets_write():
    for text in ["2024-05-01", "2024/5/1", "2024.05.01", "2024年5月1日", "20240501", "2024-05-01 00:00:00"]:
        assert parse_date(text) == dt.date(2024, 5, 1)
    for bad in ["2024-13-01", "01/05/2024", "昨天", "2024-02-30"]:
        with pytest.raises(ValueError):
            parse_date(bad)


def test_fast_pinyin_keys_equal_the_core_ones():
    names = [
        "单于长庆",
        "曾国藩",
        "长孙无忌",
        "乐嘉",
        "朴",
        "王小明",
        "Ａ张",
        "令狐冲",
        "尉迟恭",
        "石传忠",
        "张3",
        "de",
    ]
    if GEN_ROSTER.exists():  # and every name of the generated county roster
        import runpy

        generator = runpy.run_path(str(GEN_ROSTER))["Generator"]("county", 1)
        generator.run()
        names += [row[0] for row in generator.members]
    for name in set(names):
        assert fast_keys(name) == core_pinyin.keys(name), name


def test_reading_the_generated_dataset_headers(tmp_path):
    if not GEN_ROSTER.exists():
        pytest.skip("gen_roster.py is not available")
    import runpy

    gen = runpy.run_path(str(GEN_ROSTER))
    for table, headers in gen["HEADERS"].items():
        path = tmp_path / f"{table}.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerow(headers)
        handler = identify([readers.normalize_header(h) for h in headers])
        assert handler is not None and handler.table == table


@given(st.lists(st.text(alphabet=st.sampled_from(" \t\u3000\x1fa'=中\n"), max_size=4), max_size=6))
def test_a_row_is_only_left_unstripped_when_no_cell_needs_it(cells):
    """The reader's fast path keeps a row as it is when the one look at the joined cells finds no
    cell with white space at either end: never when one has some."""
    from jiceng.roster.readers import _EDGE_SPACE

    if _EDGE_SPACE.search("\0".join(cells)) is None:
        assert cells == [c.strip() for c in cells]
