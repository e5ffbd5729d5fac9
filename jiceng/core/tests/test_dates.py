"""Issue 11 item 8: dates from year 1. Every date has bounds from its meaning (``core.dates``), checked
in the services, so that pages, the API and the import agree."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from jiceng.core import dates
from jiceng.members.models import Membership

pytestmark = pytest.mark.django_db

YEAR_ONE = dt.date(1, 1, 1)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def codes_of(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def test_the_helper_names_the_bound_it_crosses():
    assert dates.date_problem(dt.date(1921, 7, 1), label="会议日期", not_before=[dates.founded()]) is None
    early = dates.date_problem(dt.date(1921, 6, 30), label="会议日期", not_before=[dates.founded()])
    assert early.code == "date_too_early"
    assert early.messages == ["会议日期不能早于中国共产党成立之日（1921-07-01）"]
    future = dates.date_problem(dt.date(2999, 1, 1), label="会议日期", not_after=[dates.today()])
    assert future.code == "date_in_future" and future.messages == ["会议日期不能晚于今天"]
    assert dates.date_problem(None, label="x", not_before=[dates.founded()]) is None
    assert dates.date_problem(dt.date(2000, 1, 1), label="x", not_before=[None]) is None


def test_a_transfer_dated_year_one_is_refused_and_the_membership_stays_whole(world):
    """The attack: a transfer dated 0001-01-01 was accepted, leaving a membership period that ends
    before it starts."""
    from jiceng.members import services

    member = world.members_a[2]
    before = list(Membership.objects.filter(member=member).values_list("started_on", "ended_on", "org_id"))
    with pytest.raises(ValidationError) as refused:
        services.transfer_member(actor=world.county_admin, member=member, to_org=world.branch_b, on=YEAR_ONE)
    assert codes_of(refused.value) == {"on": ["date_too_early"]}
    assert "中国共产党成立之日" in refused.value.messages[0]
    response = api(world.county_admin).post(
        f"/api/v1/members/{member.pk}/transfer/", {"org": "0102", "on": "0001-01-01"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["on"][0]["code"] == "date_too_early"
    # A day after the Party's founding but before the member's period in the branch began: refused too.
    started = Membership.objects.get(member=member, ended_on__isnull=True).started_on
    with pytest.raises(ValidationError) as refused:
        services.transfer_member(
            actor=world.county_admin, member=member, to_org=world.branch_b, on=started - dt.timedelta(days=1)
        )
    assert codes_of(refused.value) == {"on": ["date_too_early"]}
    assert (
        list(Membership.objects.filter(member=member).values_list("started_on", "ended_on", "org_id"))
        == before
    )
    assert all(end is None or end >= start for start, end, _org in before)


def test_a_merge_dated_before_a_members_period_began_is_refused(world):
    from jiceng.orgs import services

    with pytest.raises(ValidationError) as refused:
        services.merge_branches(
            actor=world.county_admin, source=world.branch_b, target=world.branch_a, on=dt.date(2000, 1, 1)
        )
    assert codes_of(refused.value) == {"on": ["date_too_early"]}


def test_a_meeting_held_in_year_one_is_refused_by_api_and_page(world, client_for):
    """The attack: a meeting held 0001-01-01 accepted by the API and the page."""
    from jiceng.life.models import Meeting

    response = api(world.alice).post(
        "/api/v1/meetings/",
        {"org": "0101", "kind": "general_meeting", "held_on": "0001-01-01", "topic": "学习"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["held_on"][0]["code"] == "date_too_early"
    from jiceng.life.tests.test_pages import create_url, form_data

    page = client_for(world.alice).post(
        create_url(world.branch_a), form_data(world.branch_a, held_on="0001-01-01", topic="学习")
    )
    assert page.status_code == 200
    assert "不能早于中国共产党成立之日" in page.content.decode()
    assert not Meeting.objects.filter(topic="学习").exists()


def test_member_dates_before_the_founding_or_1900_are_refused_everywhere(world, tmp_path):
    """Joining before 1921-07-01, birth before 1900: the same rule (members.rules.check_record) for the
    service, the API and the import."""
    from jiceng.members import services
    from jiceng.roster.tests.helpers import MEMBER_HEADERS, codes, member, run, write_csv

    with pytest.raises(ValidationError) as refused:
        services.update_member(
            actor=world.county_admin,
            member=world.members_a[2],
            joined_on=dt.date(1900, 1, 1),
            full_member_on=dt.date(1901, 1, 1),
        )
    assert "date_too_early" in codes_of(refused.value)["joined_on"]
    response = api(world.county_admin).patch(
        f"/api/v1/members/{world.members_a[2].pk}/", {"joined_on": "0001-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "date_too_early" in [e["code"] for e in response.json()["errors"]["joined_on"]]
    row = member("甲", 1, "0101", 入党日期="1911-10-10", 转正日期="1912-10-10")
    result = run(write_csv(tmp_path / "members.csv", [row], MEMBER_HEADERS), check=True)
    assert "date_too_early" in codes(result)


def test_organization_dates_before_the_founding_are_refused(world):
    from jiceng.orgs import services

    with pytest.raises(ValidationError) as refused:
        services.update_org(actor=world.county_admin, org=world.branch_a, founded_on=YEAR_ONE)
    assert codes_of(refused.value) == {"founded_on": ["date_too_early"]}
    with pytest.raises(ValidationError) as refused:
        services.record_election(actor=world.county_admin, org=world.branch_b, elected_on=YEAR_ONE, posts=[])
    assert codes_of(refused.value) == {"elected_on": ["date_too_early"]}


def test_a_development_file_dated_year_one_is_refused(world):
    from jiceng.development import services

    with pytest.raises(ValidationError) as refused:
        services.apply(
            actor=world.alice,
            org=world.branch_a,
            id_number="11010519760606109X",
            on=YEAR_ONE,
            name="王某",
            gender="male",
            education="bachelor",
            category="employed",
        )
    assert codes_of(refused.value) == {"on": ["date_too_early"]}


def test_imports_refuse_the_same_dates_as_the_pages(world, tmp_path):
    """orgs.csv, meetings.csv and development.csv: a date before 1921-07-01 is ``date_too_early`` on its
    row and column, as the services refuse it."""
    import csv

    from jiceng.roster.tests.helpers import ORG_HEADERS, codes, org, run, write_csv

    orgs = write_csv(tmp_path / "orgs.csv", [org("0109", "新支部", "01", founded="1800-01-01")], ORG_HEADERS)
    assert codes(run(orgs, check=True)) == ["date_too_early"]
    meetings = tmp_path / "meetings.csv"
    with open(meetings, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["组织编码", "会议类型", "日期", "主题", "应到人数", "实到人数"])
        w.writerow(["0101", "主题党日", "0001-01-01", "学习", "5", "5"])
    assert "date_too_early" in codes(run(meetings, check=True))
    development = tmp_path / "development.csv"
    with open(development, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["组织编码", "姓名", "公民身份号码", "性别", "学历", "人员类别", "申请入党日期"])
        w.writerow(["0101", "王某", "11010519760606109X", "男", "大学本科", "在岗职工", "0001-01-01"])
    assert "date_too_early" in codes(run(development, check=True))
