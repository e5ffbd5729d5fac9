"""性别 and 出生日期 agree with the identity number wherever a record comes from (form, API, import), and
the form reads them from the number; the discipline fields sit in a collapsed 处分 section (issue 12,
items 9 and 12)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from conftest import make_id
from jiceng.core import idnumber
from jiceng.core.testing import check_html
from jiceng.members import rules, services
from jiceng.members.models import Member

# ---- The rule, over generated identity numbers -------------------------------------------------------

regions = st.sampled_from(["110101", "320106", "440305", "510104", "650102"])
births = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2007, 12, 31))
orders = st.integers(min_value=0, max_value=999)
TODAY = dt.date(2026, 12, 5)


def record(number: str, **values: object) -> list[rules.Problem]:
    return rules.check_record(
        id_number=number,
        birth_date=values.get("birth_date"),
        gender=values.get("gender"),
        status="full",
        joined_on=None,
        full_member_on=None,
        today=TODAY,
    )


@given(region=regions, birth=births, order=orders)
def test_the_sex_digit_decides_the_gender(region: str, birth: dt.date, order: int) -> None:
    number = make_id(birth, order, region=region)
    derived = idnumber.gender_of(number)
    assert derived == ("male" if order % 2 else "female")
    assert idnumber.birth_date_of(number) == birth
    # Agreeing values pass; the other gender is refused on 性别, a different birth date on the number.
    assert record(number, gender=derived, birth_date=birth) == []
    other = "female" if derived == "male" else "male"
    [problem] = record(number, gender=other, birth_date=birth)
    assert (problem.field, problem.code) == ("gender", "id_gender_mismatch")
    assert ("男" if derived == "male" else "女") in problem.message
    [problem] = record(number, gender=derived, birth_date=birth + dt.timedelta(days=1))
    assert (problem.field, problem.code) == ("id_number", "id_birth_mismatch")


@given(region=regions, birth=births, order=orders)
def test_an_invalid_number_is_judged_by_its_own_error_not_by_gender(
    region: str, birth: dt.date, order: int
) -> None:
    number = make_id(birth, order, region=region)
    broken = number[:17] + ("0" if number[17] != "0" else "1")
    problems = record(broken, gender="male")
    assert [p.code for p in problems] == ["id_checksum"]


# ---- Form, API, import -------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db

BIRTH = dt.date(1985, 3, 12)
WOMAN = make_id(BIRTH, 78)  # even sex digit
MAN = make_id(BIRTH, 77)


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "钱多多",
        "id_number": WOMAN,
        "gender": "",
        "ethnicity": "汉族",
        "birth_date": "",
        "education": "college",
        "degree": "",
        "category": "farmer",
        "status": "full",
        "joined_on": "2010-06-30",
        "full_member_on": "2011-06-30",
        "standing_correction": "0",
    }
    data.update(overrides)
    return data


def create_url() -> str:
    return reverse("members:create") + "?org=0101"


def test_the_form_reads_gender_and_birth_date_from_the_number(world, client_for) -> None:
    response = client_for(world.alice).post(create_url(), form_data())
    assert response.status_code == 302, response.content.decode()
    member = Member.objects.get(name="钱多多")
    assert (member.gender, member.birth_date) == ("female", BIRTH)


def test_the_form_refuses_a_gender_that_disagrees_with_the_number(world, client_for) -> None:
    response = client_for(world.alice).post(create_url(), form_data(gender="male"))
    text = response.content.decode()
    assert response.status_code == 200
    error = text.split('id="id_gender_error"', 1)[1].split("</div>", 1)[0]
    assert "公民身份号码第17位表明性别为女，与所填性别不一致" in error
    assert not Member.objects.filter(name="钱多多").exists()


def test_editing_a_record_whose_gender_disagrees_is_refused(world, client_for) -> None:
    member = world.members_a[1]  # 王芳: an even sex digit
    data = form_data(
        name=member.name,
        id_number="",
        gender="male",
        birth_date=member.birth_date.isoformat(),
        joined_on=member.joined_on.isoformat(),
        full_member_on=member.full_member_on.isoformat(),
        education=member.education,
        category=member.category,
    )
    text = client_for(world.alice).post(reverse("members:edit", args=[member.pk]), data).content.decode()
    assert 'id="id_gender_error"' in text
    assert Member.objects.get(pk=member.pk).gender == "female"


def test_the_derive_endpoint_fills_the_fields_out_of_band(world, client_for) -> None:
    client = client_for(world.alice)
    form = client.get(create_url()).content.decode()
    assert f'hx-post="{reverse("members:derive")}"' in form and 'id="id_gender_field"' in form
    response = client.post(reverse("members:derive"), {"id_number": WOMAN})
    text = response.content.decode()
    check_html(text, unique_ids=True)
    assert text.count('hx-swap-oob="true"') == 2
    assert 'id="id_birth_date_field"' in text and 'value="1985-03-12"' in text
    assert '<option value="female" selected>' in text and "已按公民身份号码填写" in text
    # An invalid number derives nothing (the form names the problem when saved); GET is refused.
    assert client.post(reverse("members:derive"), {"id_number": WOMAN[:-1] + "0"}).status_code == 204
    assert client.get(reverse("members:derive")).status_code == 405
    # A member (no right to register anyone) may not use it.
    assert client_for(world.dora).post(reverse("members:derive"), {"id_number": WOMAN}).status_code == 403


def test_the_api_refuses_a_gender_that_disagrees_and_derives_a_missing_birth_date(world) -> None:
    api = APIClient()
    api.force_login(world.alice)
    body = {
        "org": "0101",
        "id_number": MAN,
        "name": "钱进",
        "gender": "female",
        "education": "college",
        "category": "employed",
        "status": "full",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
    }
    response = api.post("/api/v1/members/", body, format="json")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]["gender"]] == ["id_gender_mismatch"]
    response = api.post("/api/v1/members/", {**body, "gender": "male"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["birth_date"] == BIRTH.isoformat()


def test_the_service_fills_a_blank_gender_from_the_number(world) -> None:
    member = services.create_member(
        actor=world.alice,
        org=world.branch_a,
        id_number=MAN,
        name="钱进",
        gender="",
        education="college",
        category="employed",
        status="full",
        joined_on=dt.date(2015, 7, 1),
        full_member_on=dt.date(2016, 7, 1),
    )
    assert (member.gender, member.birth_date) == ("male", BIRTH)


def test_the_import_refuses_a_row_whose_gender_disagrees(world, tmp_path) -> None:
    from jiceng.roster.tests.helpers import MEMBER_HEADERS, member, run, write_csv

    rows = [member("李男", 11, "0101"), member("错性别", 13, "0101", 性别="女")]
    result = run(write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS))
    assert not result.ok
    [problem] = [p for p in result.all_problems() if p.code == "id_gender_mismatch"]
    assert (problem.file, problem.row, problem.column, problem.value) == ("members.csv", 3, "性别", "女")
    assert "与所填性别不一致" in problem.message
    assert not Member.objects.filter(name__in=["李男", "错性别"]).exists()  # nothing partial


# ---- 处分: collapsed unless it holds something ----------------------------------------------------


def details_tag(text: str) -> str:
    return (
        text.split('id="discipline"', 1)[0].rsplit("<details", 1)[1]
        + text.split('id="discipline"', 1)[1].split(">", 1)[0]
    )


def test_the_discipline_fields_are_collapsed_for_a_new_registration(world, client_for) -> None:
    text = client_for(world.alice).get(create_url()).content.decode()
    assert "<summary" in text and "处分" in text
    assert " open" not in details_tag(text)
    inside = text.split('id="discipline"', 1)[1].split("</details>", 1)[0]
    assert 'name="party_probation_from"' in inside and 'name="party_probation_until"' in inside
    before = text.split('id="discipline"', 1)[0]
    assert 'name="party_probation_from"' not in before


def test_the_discipline_section_opens_when_it_has_an_error_or_a_value(world, client_for) -> None:
    client = client_for(world.alice)
    text = client.post(create_url(), form_data(party_probation_until="2026-01-01")).content.decode()
    assert " open" in details_tag(text) and "请填写留党察看开始日期" in text
    member = world.members_a[2]
    services.update_member(
        actor=world.alice,
        member=member,
        party_probation_from=dt.date(2025, 1, 1),
        party_probation_until=dt.date(2026, 1, 1),
    )
    text = client.get(reverse("members:edit", args=[member.pk])).content.decode()
    assert " open" in details_tag(text)
