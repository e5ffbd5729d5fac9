"""The import's side of issue 10: 记录起始日期 (orgs.csv column and ``--records-since``), 任职日期 of a
branch secretary (members.csv), and 党工委 rows whose election date is an appointment (a notice)."""

import datetime as dt
import sys

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import RECORDS_SINCE
from jiceng.core.models import ObjectChange
from jiceng.orgs import services as org_services
from jiceng.orgs import tallies
from jiceng.orgs.models import Committee, Formation, Organization

from .helpers import (
    MEMBER_HEADERS,
    ORG_HEADERS,
    codes,
    member,
    org,
    reading,  # noqa: F401 (the fixture)
    run,
    write_csv,
)

pytestmark = pytest.mark.django_db

ORG_HEADERS_SINCE = [*ORG_HEADERS, "记录起始日期"]
MEMBER_HEADERS_SINCE = [*MEMBER_HEADERS[:12], "任职日期", *MEMBER_HEADERS[12:]]


def since(code: str) -> dt.date:
    return Organization.objects.get(code=code).records_since


def orgs_file(tmp_path, *rows, name="orgs.csv"):
    return write_csv(tmp_path / name, list(rows), ORG_HEADERS_SINCE)


def with_since(row: dict, day: str) -> dict:
    return {**row, "记录起始日期": day}


def jiceng(*args):
    try:
        call_command(*map(str, args))
    except CommandError as e:
        sys.stderr.write(f"CommandError: {e}\n")
        return e.returncode
    return 0


# 记录起始日期 in orgs.csv -------------------------------------------------------------------------------


def test_the_column_sets_new_and_existing_organizations_audited(world, tmp_path):
    path = orgs_file(
        tmp_path,
        with_since(org("0104", "新建社区党支部", "01"), "2024-03-01"),
        org("0105", "另一社区党支部", "01"),  # blank: the import's day
        with_since(org("0101", "和平社区党支部", "01", founded="2000-03-01"), "2023-01-01"),
        org("0102", "新华村党支部", "01", unit="农村", founded="2001-03-01"),  # blank: as it is
    )
    result = run(path, actor=world.county_admin)
    assert result.ok, list(result.all_problems())
    today = timezone.localdate()
    assert [since(c) for c in ("0104", "0105", "0101", "0102")] == [
        dt.date(2024, 3, 1),
        today,
        dt.date(2023, 1, 1),
        RECORDS_SINCE,  # blank: as it is (the test world's day)
    ]
    assert result.counts["orgs"] == {"created": 2, "updated": 1, "unchanged": 1}
    change = ObjectChange.objects.get(action="update", object_id=world.branch_a.pk)
    assert (change.prechange_data, change.postchange_data) == (
        {"records_since": RECORDS_SINCE.isoformat()},
        {"records_since": "2023-01-01"},
    )
    created = ObjectChange.objects.get(
        action="create", content_type__model="organization", object_repr="新建社区党支部"
    )
    assert created.postchange_data["records_since"] == "2024-03-01"
    again = run(path, actor=world.county_admin)
    assert again.counts["orgs"] == {"created": 0, "updated": 0, "unchanged": 4}


def test_bad_days_are_named_by_row_and_column_and_nothing_is_written(world, tmp_path):
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    path = orgs_file(
        tmp_path,
        with_since(org("0104", "新建社区党支部", "01"), "2024-13-01"),
        with_since(org("0101", "和平社区党支部", "01"), future),
        with_since(org("0102", "新华村党支部", "01", unit="农村"), "1921-06-30"),
        with_since(org("0105", "另一社区党支部", "01"), "1921-07-01"),  # the earliest day allowed
    )
    before = Organization.objects.count(), ObjectChange.objects.count()
    result = run(path)
    problems = [(p.row, p.column, p.value, p.code) for p in result.all_problems()]
    assert problems == [
        (2, "记录起始日期", "2024-13-01", "date_invalid"),
        (3, "记录起始日期", future, "date_in_future"),
        (4, "记录起始日期", "1921-06-30", "date_too_early"),
    ]
    assert "不能早于1921年7月1日" in list(result.all_problems())[2].message
    assert (Organization.objects.count(), ObjectChange.objects.count()) == before
    assert since("0101") == RECORDS_SINCE


def test_changing_it_needs_the_right_to_change_the_organization(world, tmp_path):
    row = with_since(org("0101", "和平社区党支部", "", founded="2000-03-01"), "2023-01-01")
    path = orgs_file(tmp_path, row)
    result = run(path, actor=world.viewer)
    assert codes(result) == ["not_allowed"]
    assert since("0101") == RECORDS_SINCE
    assert run(
        path, actor=world.alice
    ).ok  # her branch (its parent 01 she may not see: blank means "where it is")


# jiceng import --records-since ---------------------------------------------------------------------------


def test_the_flag_sets_every_organization_of_the_orgs_table_without_its_own(world, tmp_path, capsys):
    path = orgs_file(
        tmp_path,
        org("0104", "新建社区党支部", "01"),
        org("0101", "和平社区党支部", "01", founded="2000-03-01"),
        with_since(
            org("0102", "新华村党支部", "01", unit="农村", founded="2001-03-01"), "2020-01-01"
        ),  # its own
    )
    assert jiceng("import", path, "--records-since", "2025-06-30") == 0
    assert [since(c) for c in ("0104", "0101", "0102", "0103")] == [
        dt.date(2025, 6, 30),
        dt.date(2025, 6, 30),
        dt.date(2020, 1, 1),
        RECORDS_SINCE,  # not in the file: untouched
    ]
    assert "党组织：新建 1，更新 2，未变 0" in capsys.readouterr().out
    # Without an orgs table the flag changes nothing, and says so.
    (tmp_path / "m").mkdir()
    members = write_csv(tmp_path / "m" / "members.csv", [member("甲", 1, "0101")], MEMBER_HEADERS)
    assert jiceng("import", members, "--records-since", "2024-01-01") == 0
    assert "没有组织表" in capsys.readouterr().out and since("0101") == dt.date(2025, 6, 30)


@pytest.mark.parametrize(
    ("value", "words"), [("2025-02-30", "不是日期"), ("2999-01-01", "不能晚于今天"), ("1900-01-01", "1921")]
)
def test_a_bad_flag_is_refused_before_anything_is_read(world, tmp_path, capsys, value, words):
    path = orgs_file(tmp_path, org("0104", "新建社区党支部", "01"))
    assert jiceng("import", path, "--records-since", value) == 1
    assert words in capsys.readouterr().err
    assert not Organization.objects.filter(code="0104").exists()


# 任职日期 of a branch secretary --------------------------------------------------------------------------


def members_file(tmp_path, *rows, name="members.csv"):
    return write_csv(tmp_path / name, list(rows), MEMBER_HEADERS_SINCE)


@pytest.mark.usefixtures("reading")
def test_a_secretary_counts_from_the_given_day_else_from_the_records_since_day(world, tmp_path):
    from jiceng.roster.handlers.members import MembersHandler

    org_services.update_org(actor=world.county_admin, org=world.branch_b, records_since=dt.date(2024, 1, 1))
    org_services.update_org(actor=world.county_admin, org=world.branch_c, records_since=dt.date(2005, 1, 1))
    path = members_file(
        tmp_path,
        member("甲", 91, "0102", 党内职务="书记", 任职日期="2022-09-01"),
        member("乙", 93, "010301", 党内职务="书记"),  # joined 2010-07-01, after the records-since day
    )
    result = run(path, actor=world.county_admin)
    assert result.ok, list(result.all_problems())
    b, c = Organization.objects.get(code="0102"), Organization.objects.get(code="010301")
    assert (b.secretary.name, b.secretary_since) == ("甲", dt.date(2022, 9, 1))
    assert (c.secretary.name, c.secretary_since) == ("乙", dt.date(2010, 7, 1))
    exported = {r[0]: r[12] for r in MembersHandler.export_rows(actor=None, org=world.root, full_id=False)}
    assert (exported["甲"], exported["乙"], exported["孙强"]) == ("2022-09-01", "2010-07-01", "")
    # Another day for the same secretary: corrected (audited); blank: kept.
    assert run(
        members_file(tmp_path, member("甲", 91, "0102", 党内职务="书记", 任职日期="2023-01-01")),
        actor=world.county_admin,
    ).ok
    b.refresh_from_db()
    assert b.secretary_since == dt.date(2023, 1, 1)
    change = ObjectChange.objects.filter(action="update", object_id=b.pk, message="导入").latest("pk")
    assert change.postchange_data["secretary_since"] == "2023-01-01"
    assert run(members_file(tmp_path, member("甲", 91, "0102", 党内职务="书记")), actor=world.county_admin).ok
    b.refresh_from_db()
    assert b.secretary_since == dt.date(2023, 1, 1)
    # A viewer may not change it.
    denied = run(
        members_file(tmp_path, member("甲", 91, "0102", 党内职务="书记", 任职日期="2023-02-01")),
        actor=world.viewer,
    )
    assert codes(denied) == ["not_allowed"]
    b.refresh_from_db()
    assert b.secretary_since == dt.date(2023, 1, 1)


@pytest.mark.usefixtures("reading")
def test_a_bad_post_day_is_named_and_nothing_is_written(world, tmp_path):
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    path = members_file(
        tmp_path,
        member("甲", 91, "0102", 党内职务="书记", 任职日期=future),
        member("乙", 93, "0102", 党内职务="组织委员", 任职日期="2009-12-31"),  # joined 2010-07-01
        member("丙", 95, "0102", 任职日期="2020-01-01"),  # no post
        member("丁", 97, "010301", 党内职务="书记", 任职日期="某天"),
    )
    result = run(path)
    assert [(p.row, p.column, p.code) for p in result.all_problems()] == [
        (2, "任职日期", "date_in_future"),
        (3, "任职日期", "post_since_before_joined"),
        (4, "任职日期", "post_since_without_post"),
        (5, "任职日期", "date_invalid"),
    ]
    assert "2010-07-01" in list(result.all_problems())[1].message
    assert not Organization.objects.get(code="0102").secretary_id


def test_a_committee_post_runs_from_the_election_its_day_is_not_stored(world, tmp_path):
    org_services.record_election(actor=world.county_admin, org=world.branch_b, elected_on=dt.date(2021, 5, 1))
    result = run(members_file(tmp_path, member("甲", 91, "0102", 党内职务="书记", 任职日期="2022-01-01")))
    assert result.ok, list(result.all_problems())
    assert any("任职日期未记录" in n for n in result.notices)
    assert Committee.objects.get(org=world.branch_b, ended_on__isnull=True).posts.get().member.name == "甲"


# 党工委: the election date is an appointment --------------------------------------------------------------


def test_a_working_committee_row_records_an_appointment_with_a_notice(world, tmp_path):
    path = write_csv(
        tmp_path / "orgs.csv",
        [
            org(
                "01",
                "东城街道党工委",
                "",
                kind="党工委",
                unit="机关",
                founded="1990-01-01",
                elected="2021-04-01",
            ),
            org("02", "园区党工委", "", kind="党工委", unit="机关", elected="2023-02-01"),
            org("0104", "新建社区党支部", "01", elected="2023-06-01"),
        ],
        ORG_HEADERS,
    )
    check = run(path, check=True)
    assert check.ok and any("党工委" in n and "任命日期" in n for n in check.notices)
    result = run(path)
    assert result.ok, list(result.all_problems())
    notice = next(n for n in result.notices if "任命日期" in n)
    assert "01" in notice and "02" in notice and "0104" not in notice
    appointed = Committee.objects.get(org__code="01", ended_on__isnull=True)
    assert (appointed.formation, appointed.elected_on, appointed.term_years) == (
        Formation.APPOINTED,
        dt.date(2021, 4, 1),
        None,
    )
    elected = Committee.objects.get(org__code="0104")
    assert (elected.formation, elected.term_years) == (Formation.ELECTED, 5)
    record = ObjectChange.objects.get(
        action="create", content_type__model="committee", object_id=appointed.pk
    )
    assert record.postchange_data["formation"] == "appointed" and record.postchange_data["term_years"] is None
    root = Organization.objects.get(code="01")
    assert tallies.read(root)[tallies.APPOINTED_KEY] == 1
    assert tallies.read(root) == tallies.count_fresh(root)
    # A later date: a new appointment, the previous one ends that day.
    later = write_csv(
        tmp_path / "later.csv",
        [
            org(
                "01",
                "东城街道党工委",
                "",
                kind="党工委",
                unit="机关",
                founded="1990-01-01",
                elected="2024-04-01",
            )
        ],
        ORG_HEADERS,
    )
    assert run(later).ok
    appointed.refresh_from_db()
    assert appointed.ended_on == dt.date(2024, 4, 1)
    assert tallies.read(root) == tallies.count_fresh(root)


@pytest.mark.usefixtures("reading")
def test_a_first_load_into_an_empty_roster_carries_the_post_day(tmp_path, monkeypatch):
    """The bulk way (batches of 4, indexes after the load; on PostgreSQL rows prepared by the reading
    process) keeps each secretary's 任职日期 as the row-by-row way does."""
    from jiceng.roster.handlers import members as members_handler

    monkeypatch.setattr(members_handler, "BATCH", 4)
    monkeypatch.setattr(members_handler, "BULK_LOAD_MIN_ROWS", 4)
    orgs = write_csv(
        tmp_path / "orgs.csv",
        [
            org("01", "某县委", "", kind="党委", unit="机关"),
            org("0101", "一支部", "01", elected="2024-01-01"),
            org("0102", "二支部", "01", unit="农村"),
        ],
        ORG_HEADERS,
    )
    rows = [member(f"党员{i}", i, "0101" if i % 3 else "0102") for i in range(1, 12)]
    rows[2].update(党内职务="书记", 任职日期="2015-05-01")  # 党员3, in 0102 (no committee)
    rows[0].update(党内职务="书记", 任职日期="2024-01-01")  # 党员1, in 0101's committee: not stored
    result = run(orgs, members_file(tmp_path, *rows))
    assert result.ok, list(result.all_problems())
    branch = Organization.objects.get(code="0102")
    assert (branch.secretary.name, branch.secretary_since) == ("党员3", dt.date(2015, 5, 1))
    assert any("任职日期未记录" in n for n in result.notices)
    assert Committee.objects.get(org__code="0101").posts.get().member.name == "党员1"
