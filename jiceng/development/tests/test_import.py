"""development.csv through the roster importer: every row replayed through the rules, all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import make_id
from jiceng.core import crypto
from jiceng.core.models import ObjectChange
from jiceng.development import services
from jiceng.development.importing import DevelopmentHandler
from jiceng.development.models import Development, Stage, Step, StepKind
from jiceng.members.models import Member, Membership
from jiceng.roster.handlers import base
from jiceng.roster.importer import InputFile, run_import

from .helpers import plan, walk

HEADER = [
    "组织编码",
    "姓名",
    "公民身份号码",
    "性别",
    "民族",
    "出生日期",
    "学历",
    "人员类别",
    "工作单位及职务",
    "联系电话",
    "申请入党日期",
    "谈话日期",
    "谈话人",
    "确定积极分子日期",
    "推荐方式",
    "备案日期",
    "培养联系人",
    "考察日期",
    "公示开始日期",
    "公示结束日期",
    "确定发展对象日期",
    "入党介绍人",
    "政治审查日期",
    "培训开始日期",
    "培训结束日期",
    "培训天数",
    "培训学时",
    "预审日期",
    "接收大会日期",
    "应到人数",
    "实到人数",
    "赞成票数",
    "审批日期",
    "入党宣誓日期",
    "转正申请日期",
    "转正大会日期",
    "转正应到人数",
    "转正实到人数",
    "转正赞成票数",
    "转正审批日期",
    "终止培养日期",
]
BIRTH = dt.date(2000, 6, 15)


@pytest.fixture(autouse=True)
def handlers():  # noqa: ANN201
    """The development handler, whatever the apps have registered."""
    saved = dict(base._registry)
    base.register(DevelopmentHandler)
    yield
    base._registry.clear()
    base._registry.update(saved)


def person(seq: int, org: str = "0101", name: str = "", **steps: Any) -> dict[str, Any]:
    return {
        "组织编码": org,
        "姓名": name or f"申请人{seq}",
        "公民身份号码": make_id(BIRTH, 500 + seq),
        "性别": "女" if seq % 2 == 0 else "男",
        "民族": "汉族",
        "学历": "大学本科",
        "人员类别": "在岗职工",
        "工作单位及职务": "和平社区居委会 干事",
        "联系电话": f"1380000{seq:04d}",
        "申请入党日期": "2023-03-01",
        **steps,
    }


ACTIVIST = {
    "谈话日期": "2023-03-21",
    "谈话人": "张伟",
    "确定积极分子日期": "2023-04-10",
    "推荐方式": "党员推荐",
    "备案日期": "2023-04-13",
    "培养联系人": "王芳",
    "考察日期": "2023-09-27;2023-12-20",
}
CANDIDATE = {
    **ACTIVIST,
    "考察日期": "2023-09-27;2024-03-15",
    "公示开始日期": "2024-03-27",
    "公示结束日期": "2024-04-02",
    "确定发展对象日期": "2024-04-10",
    "入党介绍人": "王芳；李娜",
}
FULL = {
    **CANDIDATE,
    "政治审查日期": "2024-04-30",
    "培训开始日期": "2024-05-05",
    "培训结束日期": "2024-05-07",
    "培训天数": "3",
    "培训学时": "24",
    "预审日期": "2024-05-20",
    "接收大会日期": "2024-06-09",
    "应到人数": "5",
    "实到人数": "5",
    "赞成票数": "5",
    "审批日期": "2024-07-09",
    "入党宣誓日期": "2024-07-14",
    "转正申请日期": "2025-05-30",
    "转正大会日期": "2025-06-09",
    "转正应到人数": "6",
    "转正实到人数": "6",
    "转正赞成票数": "6",
    "转正审批日期": "2025-07-09",
}


def good_rows(world: Any) -> list[dict[str, Any]]:
    return [
        person(1, **FULL),
        person(2, **CANDIDATE),
        person(3, **{"谈话日期": "2023-03-20", "谈话人": "李娜"}),
        # Another branch; the mentor by identity number (孙强 of 0102).
        person(
            4, org="0102", **{**ACTIVIST, "谈话人": "孙强", "培养联系人": make_id(dt.date(1980, 5, 17), 20)}
        ),
    ]


def write(
    tmp_path: Path, rows: list[dict[str, Any]], name: str = "development.csv", encoding: str = "utf-8-sig"
) -> InputFile:
    path = tmp_path / name
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADER)
        w.writerows([[r.get(h, "") for h in HEADER] for r in rows])
    return InputFile(path=path, name=name)


def write_xlsx(tmp_path: Path, rows: list[dict[str, Any]]) -> InputFile:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = workbook.create_sheet("发展党员")
    sheet.append(["发展党员情况表（2026年）"])  # a title row above the header
    sheet.append(HEADER)
    for r in rows:
        values: list[Any] = []
        for h in HEADER:
            v = r.get(h, "")
            if h.endswith("日期") and v and ";" not in v and "出生" not in h:
                v = dt.date.fromisoformat(v)  # a date cell, as Excel stores it
            elif h in ("培训天数", "培训学时", "应到人数", "实到人数", "赞成票数") and v:
                v = int(v)
            values.append(v)
        sheet.append(values)
    path = tmp_path / "发展党员.xlsx"
    workbook.save(path)
    return InputFile(path=path, name=path.name)


def problems(result: Any) -> list[tuple[int | None, str, str, str]]:
    return [(p.row, p.column, p.value, p.code) for p in result.problems]


def development_of(seq: int) -> Development:
    return next(d for d in Development.objects.all() if d.reveal_id_number() == make_id(BIRTH, 500 + seq))


@pytest.mark.parametrize("form", ["utf-8", "gb18030", "xlsx"])
def test_a_good_sheet_imports_through_the_services(world, tmp_path, form) -> None:  # noqa: ANN001
    rows = good_rows(world)
    if form == "xlsx":
        file = write_xlsx(tmp_path, rows)
    else:
        file = write(tmp_path, rows, encoding="utf-8-sig" if form == "utf-8" else "gb18030")
    result = run_import(actor=world.county_admin, files=[file])
    assert result.ok, problems(result)
    assert result.counts["development"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert Development.objects.count() == 4

    full = development_of(1)
    assert (full.org, full.stage, full.name, full.gender, full.education, full.category) == (
        world.branch_a,
        Stage.FULL,
        "申请人1",
        "male",
        "bachelor",
        "employed",
    )
    assert full.birth_date == BIRTH  # from the identity number: the 出生日期 cells are blank
    kinds = list(full.steps.order_by("on", "id").values_list("kind", flat=True))
    assert kinds == [
        StepKind.APPLICATION,
        StepKind.TALK,
        StepKind.ACTIVIST,
        StepKind.MENTORS,
        StepKind.REVIEW,
        StepKind.REVIEW,
        StepKind.NOTICE,
        StepKind.CANDIDATE,
        StepKind.SPONSORS,
        StepKind.POLITICAL_REVIEW,
        StepKind.TRAINING,
        StepKind.PRE_REVIEW,
        StepKind.ADMISSION,
        StepKind.APPROVAL,
        StepKind.OATH,
        StepKind.CONVERSION_APPLICATION,
        StepKind.CONVERSION,
        StepKind.CONVERSION_APPROVAL,
    ]
    mentors = full.steps.get(kind=StepKind.MENTORS)
    assert mentors.on == dt.date(2023, 4, 10)  # no 指定培养联系人日期: the activist decision's date
    assert [m.name for m in mentors.people.all()] == ["王芳"]
    sponsors = full.steps.get(kind=StepKind.SPONSORS)
    assert sorted(m.name for m in sponsors.people.all()) == ["李娜", "王芳"]
    assert full.steps.get(kind=StepKind.TALK).person_name == "张伟"
    activist = full.steps.get(kind=StepKind.ACTIVIST)
    assert (activist.recommendation, activist.filed_on) == ("party_members", dt.date(2023, 4, 13))
    training = full.steps.get(kind=StepKind.TRAINING)
    assert (training.ends_on, training.days, training.hours) == (dt.date(2024, 5, 7), 3, 24)
    assert all(s.recorded_by == world.county_admin for s in full.steps.all())

    # The admitting meeting created the member record, as the service does; conversion made it full.
    member = full.member
    assert member is not None and member.org == world.branch_a
    assert (member.status, member.joined_on, member.full_member_on) == (
        "full",
        dt.date(2024, 6, 9),
        dt.date(2025, 6, 9),
    )
    assert Membership.objects.get(member=member).start_reason == "joined"

    assert development_of(2).stage == Stage.CANDIDATE
    assert development_of(3).stage == Stage.APPLICANT
    other = development_of(4)
    assert (other.org, other.stage) == (world.branch_b, Stage.ACTIVIST)
    assert [m.name for m in other.steps.get(kind=StepKind.MENTORS).people.all()] == ["孙强"]

    # Audited as the services audit, plus one record for the import.
    assert ObjectChange.objects.filter(action="create", object_id=full.pk, user=world.county_admin).exists()
    assert ObjectChange.objects.filter(action="import").count() == 1
    assert ("记录发展环节", Step.objects.count()) in result.extra


def test_a_rule_broken_in_one_row_is_reported_and_nothing_is_written(world, tmp_path) -> None:  # noqa: ANN001
    rows = good_rows(world)
    early = {
        **ACTIVIST,
        "公示开始日期": "2024-02-14",
        "公示结束日期": "2024-02-20",
        "确定发展对象日期": "2024-03-01",  # 11 months after 2023-04-10
    }
    rows.insert(1, person(5, **early))
    members, changes = Member.objects.count(), ObjectChange.objects.count()
    result = run_import(actor=world.county_admin, files=[write(tmp_path, rows)])
    assert not result.ok
    assert problems(result) == [(3, "确定发展对象日期", "2024-03-01", "dev.activist_min_period")]
    assert "最早可于2024-04-10" in result.problems[0].message
    assert Development.objects.count() == 0
    assert Step.objects.count() == 0
    assert Member.objects.count() == members  # the first row's admission was rolled back too
    assert ObjectChange.objects.count() == changes


def test_every_problem_names_its_row_column_value_and_rule(world, tmp_path) -> None:  # noqa: ANN001
    rows = [
        person(1, **{**ACTIVIST, "培养联系人": "赵敏"}),  # dora: a probationary member
        person(2, **{**FULL, "赞成票数": "2"}),  # 2 of 5: not more than half
        person(3, **{**ACTIVIST, "培养联系人": "王芳；查无此人"}),
        person(4, **{"谈话日期": "2023-03-10"}),  # no 谈话人
        person(5, **{"申请入党日期": "2023-03-01", "出生日期": "2000-06-16"}),
        person(6, **{"确定积极分子日期": "2023-04-10", "推荐方式": "党员推荐"}),  # not filed
        {**person(7), "公民身份号码": make_id(BIRTH, 501)},  # the same person as row 2
        person(8, org="0103"),  # a general branch
        person(9, **{**CANDIDATE, "入党介绍人": "王芳"}),
        person(10, **{"考察日期": "2023-09-27"}),  # an applicant is not reviewed
    ]
    result = run_import(actor=world.county_admin, files=[write(tmp_path, rows)])
    assert not result.ok
    # Cell errors are found as the rows are read; the rules' refusals once the rows meet the database.
    assert problems(result) == [
        (5, "谈话人", "", "required"),
        (6, "公民身份号码", make_id(BIRTH, 505), "id_birth_mismatch"),
        (8, "公民身份号码", make_id(BIRTH, 501), "id_duplicate_in_file"),
        (2, "培养联系人", "赵敏", "dev.mentors"),
        (3, "赞成票数", "2", "dev.admission_vote"),
        (4, "培养联系人", "查无此人", "member_unknown"),
        (7, "备案日期", "", "dev.activist_recorded"),
        (9, "组织编码", "0103", "not_branch"),
        (10, "入党介绍人", "王芳", "dev.sponsors"),
        (11, "考察日期", "2023-09-27", "dev.sequence"),
    ]
    messages = {p.row: p.message for p in result.problems}
    assert "赵敏在2023-04-10不是正式党员" in messages[2]
    assert "未超过应到会有表决权的正式党员5人的半数" in messages[3]
    assert "入党介绍人须为2名正式党员，现为1名" in messages[10]
    assert Development.objects.count() == 0


def test_importing_the_same_file_again_changes_nothing(world, tmp_path) -> None:  # noqa: ANN001
    file = write(tmp_path, good_rows(world))
    assert run_import(actor=world.county_admin, files=[file]).ok
    steps, changes, members = Step.objects.count(), ObjectChange.objects.count(), Member.objects.count()
    again = run_import(actor=world.county_admin, files=[file])
    assert again.ok, problems(again)
    assert again.counts["development"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert again.extra == []
    assert (Step.objects.count(), Member.objects.count()) == (steps, members)
    assert ObjectChange.objects.count() == changes  # not even an import record: nothing changed


def test_later_steps_are_appended_to_an_existing_file(world, tmp_path) -> None:  # noqa: ANN001
    # Recorded on the pages: application, talk, activist, and the mentor (王芳) the day after.
    walk(world, until=StepKind.MENTORS, seq=1)
    steps = {kind: (on, evidence) for kind, on, evidence in plan(world)}
    activist_on = steps[StepKind.ACTIVIST][0]
    review_on = steps[StepKind.REVIEW][0]
    row = person(
        1,
        **{
            "谈话日期": steps[StepKind.TALK][0].isoformat(),
            "谈话人": "张伟",
            "确定积极分子日期": activist_on.isoformat(),
            "推荐方式": "党员推荐",
            "备案日期": (activist_on + dt.timedelta(days=3)).isoformat(),
            # Without 指定培养联系人日期: the same mentor as recorded is the same step.
            "培养联系人": make_id(dt.date(1980, 5, 17), 2),  # 王芳, by identity number
            "考察日期": review_on.isoformat(),
        },
    )
    row["联系电话"] = "13900000000"
    result = run_import(actor=world.alice, files=[write(tmp_path, [row])])
    assert result.ok, problems(result)
    assert result.counts["development"] == {"created": 0, "updated": 1, "unchanged": 0}
    development = Development.objects.get()
    assert development.phone == "13900000000"
    assert list(development.steps.order_by("on", "id").values_list("kind", "on")) == [
        (StepKind.APPLICATION, dt.date(2023, 3, 1)),
        (StepKind.TALK, steps[StepKind.TALK][0]),
        (StepKind.ACTIVIST, activist_on),
        (StepKind.MENTORS, activist_on + dt.timedelta(days=1)),
        (StepKind.REVIEW, review_on),
    ]
    assert result.extra == [("记录发展环节", 1)]
    again = run_import(actor=world.alice, files=[write(tmp_path, [row])])
    assert again.counts["development"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_different_date_for_a_recorded_step_is_an_error(world, tmp_path) -> None:  # noqa: ANN001
    run_import(actor=world.county_admin, files=[write(tmp_path, [person(1, **ACTIVIST)])])
    steps = Step.objects.count()
    changed = person(1, **{**ACTIVIST, "谈话日期": "2023-03-25"})
    result = run_import(actor=world.county_admin, files=[write(tmp_path, [changed])])
    assert problems(result) == [(2, "谈话日期", "2023-03-25", "step_conflict")]
    assert "2023-03-21" in result.problems[0].message
    # A new review dated before the latest recorded one (2023-12-20) cannot be inserted into the history.
    earlier = person(1, **{**ACTIVIST, "考察日期": "2023-09-27;2023-12-20;2023-11-01"})
    result = run_import(actor=world.county_admin, files=[write(tmp_path, [earlier])])
    assert problems(result) == [(2, "考察日期", "2023-11-01", "step_before_recorded")]
    other_talker = person(1, **{**ACTIVIST, "谈话人": "李娜"})
    result = run_import(actor=world.county_admin, files=[write(tmp_path, [other_talker])])
    assert problems(result) == [(2, "谈话人", "李娜", "step_conflict")]
    assert Step.objects.count() == steps


def test_rows_outside_the_importers_subtree_are_errors(world, tmp_path) -> None:  # noqa: ANN001
    rows = [person(1, **ACTIVIST), person(4, org="0102", **{"谈话日期": "2023-03-20", "谈话人": "孙强"})]
    result = run_import(actor=world.bob, files=[write(tmp_path, rows)])
    assert problems(result) == [(2, "组织编码", "0101", "org_unknown")]
    assert "不存在，或不在您的管理范围内" in result.problems[0].message
    viewer = run_import(actor=world.viewer, files=[write(tmp_path, rows)])
    assert [(p.row, p.code) for p in viewer.problems] == [(2, "not_allowed"), (3, "not_allowed")]
    assert Development.objects.count() == 0


def test_a_mentor_outside_the_importers_scope_is_not_found(world, tmp_path) -> None:  # noqa: ANN001
    outside = make_id(dt.date(1980, 5, 17), 40)  # 郑明 of 010301, which bob cannot see
    rows = [person(4, org="0102", **{**ACTIVIST, "谈话人": "孙强", "培养联系人": outside})]
    result = run_import(actor=world.bob, files=[write(tmp_path, rows)])
    assert [(p.row, p.column, p.code) for p in result.problems] == [(2, "培养联系人", "member_unknown")]
    assert outside not in result.problems[0].message  # masked


def test_a_person_with_an_open_file_elsewhere_or_already_a_member(world, tmp_path) -> None:  # noqa: ANN001
    services.apply(actor=world.bob, org=world.branch_b, on=dt.date(2023, 3, 1), **_person_kwargs(1))
    services.apply(actor=world.bob, org=world.branch_b, on=dt.date(2023, 3, 1), **_person_kwargs(2))
    rows = [
        person(1),  # the same file, kept by another branch
        person(2, **{"申请入党日期": "2023-05-01"}),  # another open file
        {**person(3), "公民身份号码": make_id(dt.date(1980, 5, 17), 3)},  # 李娜, a member
    ]
    result = run_import(actor=world.county_admin, files=[write(tmp_path, rows)])
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (2, "组织编码", "development_elsewhere"),
        (3, "公民身份号码", "development_open"),
        (4, "公民身份号码", "already_member"),
    ]
    assert "新华村" not in result.problems[1].message  # never names the other branch
    # Each refusal is recorded by its digest where it was tried (issue 11, item 10), the number nowhere.
    refused = ObjectChange.objects.filter(user=world.county_admin, action="id_refused").order_by("id")
    assert [(c.postchange_data["code"], c.org_path) for c in refused] == [
        ("development_elsewhere", world.branch_a.path),
        ("development_open", world.branch_a.path),
        ("already_member", world.branch_a.path),
    ]
    assert refused[2].postchange_data["id_number_digest"] == crypto.digest(make_id(dt.date(1980, 5, 17), 3))


def _person_kwargs(seq: int) -> dict[str, Any]:
    return {
        "id_number": make_id(BIRTH, 500 + seq),
        "name": f"申请人{seq}",
        "gender": "female" if seq % 2 == 0 else "male",  # as the number's sex digit says
        "education": "bachelor",
        "category": "employed",
    }


def test_check_only_judges_everything_and_writes_nothing(world, tmp_path) -> None:  # noqa: ANN001
    changes = ObjectChange.objects.count()
    result = run_import(actor=world.county_admin, files=[write(tmp_path, good_rows(world))], check_only=True)
    assert result.ok, problems(result)
    assert result.counts["development"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert not result.written
    assert Development.objects.count() == 0
    assert ObjectChange.objects.count() == changes
    bad = run_import(
        actor=world.county_admin,
        files=[write(tmp_path, [person(1, **{**FULL, "转正大会日期": "2025-06-01"})])],
        check_only=True,
    )
    assert [(p.column, p.code) for p in bad.problems] == [("转正大会日期", "dev.probation_min_period")]


def test_a_system_import_without_an_actor_reaches_every_branch(world, tmp_path) -> None:  # noqa: ANN001
    result = run_import(actor=None, files=[write(tmp_path, good_rows(world))])
    assert result.ok, problems(result)
    assert Development.objects.count() == 4
    assert not ObjectChange.objects.filter(content_type__model="development").exclude(user=None).exists()


def test_the_import_command(world, tmp_path) -> None:  # noqa: ANN001
    file = write(tmp_path, good_rows(world))
    out = StringIO()
    call_command("import", str(file.path), "--actor", "county", stdout=out)
    assert "发展党员：新建 4，更新 0，未变 0" in out.getvalue()
    assert Development.objects.count() == 4

    bad = write(tmp_path, [person(9, **{"谈话日期": "2023-02-01", "谈话人": "张伟"})], name="bad.csv")
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import", str(bad.path), "--actor", "county", stdout=StringIO(), stderr=err)
    assert raised.value.returncode == 1
    assert "第2行 [谈话日期] “2023-02-01”" in err.getvalue()
    assert "(dev.sequence)" in err.getvalue()
    assert Development.objects.count() == 4
