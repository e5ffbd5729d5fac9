"""The roster API (/api/v1/members/, /api/v1/me/), for each named user of the world fixture.

Scope: a member outside the caller's subtrees answers 404 and never shows up in a list, a search or
a count; a visible record the caller may not change answers 403; anonymous callers 401. The identity
number leaves the server masked, except through reveal-id, which is audited; never its ciphertext.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conftest import make_id
from jiceng.core import idnumber, tokens
from jiceng.core.models import ObjectChange
from jiceng.members import services
from jiceng.members.models import Member
from jiceng.orgs import services as org_services

USERS = ["county_admin", "alice", "bob", "viewer", "charlie", "dora", "anonymous"]
A_NAMES = {"张伟", "王芳", "李娜", "刘洋", "陈静", "赵敏"}
B_NAMES = {"孙强", "周杰", "吴霞"}
C_NAMES = {"郑明"}
ERROR_CODE = {400: "invalid", 401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


def names_of(response) -> set[str]:  # noqa: ANN001
    assert response.status_code == 200, response.content
    return {m["name"] for m in response.json()["results"]}


def error_codes(response, field: str) -> list[str]:  # noqa: ANN001
    body = response.json()
    assert response.status_code == 400, body
    assert body["code"] == "invalid" and body["message"] == "提交的数据有误"
    return [e["code"] for e in body["errors"][field]]


def assert_error(response, status: int) -> None:  # noqa: ANN001
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == ERROR_CODE[status]


def dora_member(world) -> Member:  # noqa: ANN001
    return Member.objects.get(user=world.dora)


# Reads ----------------------------------------------------------------------------------------------

LISTED = {
    "county_admin": A_NAMES | B_NAMES | C_NAMES,
    "alice": A_NAMES,
    "bob": B_NAMES,
    "viewer": A_NAMES | B_NAMES | C_NAMES,
    "charlie": set(),
    "dora": {"赵敏"},  # her own record only
}


@pytest.mark.parametrize("who", USERS)
def test_list_holds_exactly_the_callers_scope(api, who):
    response = api(who).get("/api/v1/members/")
    if who == "anonymous":
        assert_error(response, 401)
        return
    assert names_of(response) == LISTED[who]
    assert response.json()["count"] == len(LISTED[who])


def test_list_never_shows_secrets(api):
    body = api("county_admin").get("/api/v1/members/").content.decode()
    assert "cipher" not in body and "digest" not in body and 'id_number"' not in body
    record = api("county_admin").get("/api/v1/members/").json()["results"][0]
    assert record["id_number_masked"].count("*") == 10


def test_filters_are_the_roster_pages(api):
    client = api("county_admin")
    assert names_of(client.get("/api/v1/members/?status=probationary")) == {"赵敏"}
    assert names_of(client.get("/api/v1/members/?q=zw")) == {"张伟"}  # pinyin initials
    assert names_of(client.get("/api/v1/members/?q=sunqiang")) == {"孙强"}
    assert names_of(client.get("/api/v1/members/?q=王")) == {"王芳"}
    assert names_of(client.get("/api/v1/members/?age_band=le35")) == {"赵敏"}
    assert names_of(client.get("/api/v1/members/?join_year=2026")) == {"赵敏"}
    assert names_of(client.get("/api/v1/members/?gender=female&org=0101")) == {"王芳", "刘洋"}
    assert names_of(client.get("/api/v1/members/?org=0103")) == C_NAMES
    assert names_of(client.get("/api/v1/members/?org=01")) == A_NAMES | B_NAMES | C_NAMES
    assert error_codes(client.get("/api/v1/members/?status=expelled"), "status") == ["invalid_choice"]
    assert error_codes(client.get("/api/v1/members/?join_year=abc"), "join_year") == ["invalid"]


def test_search_and_filters_never_reach_outside_the_scope(api):
    client = api("alice")
    assert names_of(client.get("/api/v1/members/?q=sunqiang")) == set()
    assert names_of(client.get("/api/v1/members/?q=孙")) == set()
    assert client.get("/api/v1/members/?q=孙").json()["count"] == 0
    hidden = client.get("/api/v1/members/?org=0102")
    missing = client.get("/api/v1/members/?org=0199")
    assert error_codes(hidden, "org") == ["invalid_choice"]
    assert hidden.json() == missing.json()


def test_list_runs_a_bounded_number_of_queries(api, world):
    client = api("county_admin")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/members/").status_code == 200
        return len(queries)

    few = count()
    group = org_services.create_group(actor=world.county_admin, org=world.branch_b, name="第一党小组")
    for i in range(10):
        member = services.create_member(
            actor=world.county_admin,
            org=world.branch_b,
            id_number=make_id(dt.date(1970, 1, 1), 100 + i),
            name=f"党员{i}",
            gender=idnumber.gender_of(make_id(dt.date(1970, 1, 1), 100 + i)),
            birth_date=dt.date(1970, 1, 1),
            education="college",
            category="retired",
            status="full",
            joined_on=dt.date(1995, 7, 1),
            full_member_on=dt.date(1996, 7, 1),
        )
        services.set_group(actor=world.county_admin, member=member, group=group)
    assert client.get("/api/v1/members/").json()["count"] == 20
    assert count() == few <= 6


READ = {  # status for a member of 0101, of 0102, and for dora's own record
    "county_admin": (200, 200, 200),
    "alice": (200, 404, 200),
    "bob": (404, 200, 404),
    "viewer": (200, 200, 200),
    "charlie": (404, 404, 404),
    "dora": (404, 404, 200),
    "anonymous": (401, 401, 401),
}


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("suffix", ["", "history/"])
def test_detail_and_history_answer_by_scope(api, world, who, suffix):
    client = api(who)
    members = [world.members_a[1], world.members_b[0], dora_member(world)]
    for member, status in zip(members, READ[who], strict=True):
        response = client.get(f"/api/v1/members/{member.pk}/{suffix}")
        assert response.status_code == status, (member.name, response.content)
        if status != 200:
            assert_error(response, status)
            assert member.name not in response.content.decode()


def test_detail_shows_the_record_with_the_number_masked(api, world):
    member = world.members_a[1]
    body = api("alice").get(f"/api/v1/members/{member.pk}/").json()
    number = make_id(dt.date(1980, 5, 17), 2)
    assert body["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in str(body)
    assert not {"id_number", "id_number_cipher", "id_number_digest", "name_pinyin", "org_path"} & set(body)
    assert body["org"] == "0101" and body["org_name"] == "和平社区党支部"
    assert body["name"] == "王芳" and body["status"] == "full" and body["party_standing_years"] >= 14


def test_out_of_scope_answers_exactly_like_a_missing_id(api, world):
    client = api("alice")
    hidden = client.get(f"/api/v1/members/{world.members_b[0].pk}/")
    missing = client.get("/api/v1/members/999999/")
    absurd = client.get("/api/v1/members/99999999999999999999999999/")
    assert hidden.status_code == missing.status_code == absurd.status_code == 404
    assert hidden.json() == missing.json() == absurd.json()


def test_history_shows_changes_and_never_the_number(api, world):
    member = world.members_a[1]
    services.update_member(actor=world.alice, member=member, phone="13800000000")
    services.reveal_id_number(actor=world.alice, member=member)
    response = api("alice").get(f"/api/v1/members/{member.pk}/history/")
    results = response.json()["results"]
    assert [r["action"] for r in results] == ["reveal", "update", "create"]
    assert results[1]["changes"] == [
        {"field": "phone", "label": "联系电话", "before": "", "after": "13800000000"}
    ]
    assert make_id(dt.date(1980, 5, 17), 2) not in response.content.decode()


ME = {"county_admin": None, "alice": "张伟", "bob": None, "viewer": None, "charlie": None, "dora": "赵敏"}


@pytest.mark.parametrize("who", USERS)
def test_me_is_the_callers_own_record(api, who):
    response = api(who).get("/api/v1/me/")
    if who == "anonymous":
        assert_error(response, 401)
    elif ME[who] is None:
        assert_error(response, 404)
    else:
        assert response.status_code == 200 and response.json()["name"] == ME[who]


# Writes ---------------------------------------------------------------------------------------------


def new_member(org: str = "0101", seq: int = 77, **changes) -> dict:  # noqa: ANN003
    return {
        "org": org,
        "id_number": make_id(dt.date(1990, 6, 1), seq),
        "name": "钱进",
        "gender": idnumber.gender_of(make_id(dt.date(1990, 6, 1), seq)),
        "education": "college",
        "category": "employed",
        "status": "full",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        **changes,
    }


CREATE = {  # in 0101, in 0102
    "county_admin": (201, 201),
    "alice": (201, 400),  # 0102 is unknown to alice
    "bob": (400, 201),
    "viewer": (403, 403),
    "charlie": (403, 403),
    "dora": (403, 403),
    "anonymous": (401, 401),
}


@pytest.mark.parametrize("who", USERS)
def test_create_answers_by_scope_and_right(api, world, who):
    client = api(who)
    for i, (org, status) in enumerate(zip(["0101", "0102"], CREATE[who], strict=True)):
        response = client.post("/api/v1/members/", new_member(org, seq=80 + i), format="json")
        assert response.status_code == status, response.content
        created = Member.objects.filter(name="钱进", org__code=org)
        if status == 201:
            body = response.json()
            assert body["org"] == org and body["birth_date"] == "1990-06-01"  # taken from the number
            assert body["id_number_masked"].startswith("1101") and "id_number" not in body
            member = created.get()
            assert member.reveal_id_number() == make_id(dt.date(1990, 6, 1), 80 + i)
            assert ObjectChange.objects.filter(action="create", object_id=member.pk, source="api").exists()
        else:
            assert_error(response, status)
            assert not created.exists()
            if status == 400:
                assert error_codes(response, "org") == ["unknown_org"]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"id_number": "110101199006010771"}, "id_number", "id_checksum"),
        ({"id_number": "123"}, "id_number", "id_length"),
        ({"id_number": make_id(dt.date(1980, 5, 17), 1)}, "id_number", "id_duplicate"),  # 张伟's
        ({"birth_date": "1991-01-01"}, "id_number", "id_birth_mismatch"),
        ({"full_member_on": "2015-12-01"}, "full_member_on", "probation_too_short"),
        ({"joined_on": "2000-01-01"}, "joined_on", "joined_under_age"),
        ({"status": "probationary"}, "full_member_on", "probationary_has_full_date"),
        ({"org": "0103"}, "org", "not_branch"),
        ({"gender": "other"}, "gender", "invalid_choice"),
        ({"joined_on": "July 2015"}, "joined_on", "invalid"),
        ({"name": ""}, "name", "blank"),
        ({"group": 10**6}, "group", "unknown_group"),
        ({"standing_correction": 10**6}, "standing_correction", "max_value"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(api, changes, field, code):
    client = api("county_admin")
    written = ObjectChange.objects.exclude(action="id_refused")  # a refused duplicate is audited
    before = (Member.objects.count(), written.count())
    response = client.post("/api/v1/members/", new_member(**changes), format="json")
    assert code in error_codes(response, field)
    assert (Member.objects.count(), written.count()) == before


def test_a_duplicate_number_held_outside_the_scope_names_nobody(api, world):
    response = api("alice").post(
        "/api/v1/members/",
        new_member(id_number=make_id(dt.date(1980, 5, 17), 20), gender="female"),
        format="json",
    )
    assert error_codes(response, "id_number") == ["id_duplicate"]
    body = response.content.decode()
    assert "孙强" not in body and "新华" not in body


UPDATE = {  # a member of 0101, of 0102, dora's own record
    "county_admin": (200, 200, 200),
    "alice": (200, 404, 200),
    "bob": (404, 200, 404),
    "viewer": (403, 403, 403),
    "charlie": (404, 404, 404),
    "dora": (404, 404, 403),
    "anonymous": (401, 401, 401),
}


@pytest.mark.parametrize("who", USERS)
def test_update_answers_by_scope_and_right(api, world, who):
    client = api(who)
    members = [world.members_a[1], world.members_b[0], dora_member(world)]
    for member, status in zip(members, UPDATE[who], strict=True):
        response = client.patch(f"/api/v1/members/{member.pk}/", {"phone": "13912345678"}, format="json")
        assert response.status_code == status, response.content
        phone = Member.objects.get(pk=member.pk).phone
        if status == 200:
            assert response.json()["phone"] == phone == "13912345678"
        else:
            assert_error(response, status)
            assert phone == ""


def test_update_refuses_bad_input_and_saves_nothing(api, world):
    member = world.members_a[1]
    client = api("alice")
    group = org_services.create_group(actor=world.bob, org=world.branch_b, name="一组")
    before = ObjectChange.objects.count()
    response = client.patch(
        f"/api/v1/members/{member.pk}/", {"phone": "139", "full_member_on": "2010-12-01"}, format="json"
    )
    assert error_codes(response, "full_member_on") == ["probation_too_short"]
    response = client.patch(
        f"/api/v1/members/{member.pk}/", {"id_number": "11010119800517002"}, format="json"
    )
    assert error_codes(response, "id_number") == ["id_length"]
    # A group of a branch alice cannot see is unknown to her.
    response = client.patch(f"/api/v1/members/{member.pk}/", {"group": group.pk}, format="json")
    assert error_codes(response, "group") == ["unknown_group"]
    fresh = Member.objects.get(pk=member.pk)
    assert (fresh.phone, fresh.full_member_on, fresh.group_id) == ("", dt.date(2011, 7, 1), None)
    assert ObjectChange.objects.count() == before


def test_update_sets_the_group_and_a_new_number(api, world):
    member = world.members_a[1]
    group = org_services.create_group(actor=world.alice, org=world.branch_a, name="一组")
    number = make_id(dt.date(1980, 5, 17), 98)  # an even sex digit: she is a woman
    response = api("alice").patch(
        f"/api/v1/members/{member.pk}/", {"group": group.pk, "id_number": number}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["group"] == group.pk and response.json()["group_name"] == "一组"
    assert Member.objects.get(pk=member.pk).reveal_id_number() == number
    response = api("alice").patch(
        f"/api/v1/members/{member.pk}/", {"group": None, "id_number": ""}, format="json"
    )
    assert response.json()["group"] is None
    assert Member.objects.get(pk=member.pk).reveal_id_number() == number  # blank: unchanged


REVEAL = {  # a member of 0101, of 0102, dora's own record
    "county_admin": (200, 200, 200),
    "alice": (200, 404, 200),
    "bob": (404, 200, 404),
    "viewer": (403, 403, 403),
    "charlie": (404, 404, 404),
    "dora": (404, 404, 200),  # a member may see her own number
    "anonymous": (401, 401, 401),
}


@pytest.mark.parametrize("who", USERS)
def test_reveal_answers_by_scope_and_right_and_is_audited(api, world, who):
    client = api(who)
    members = [world.members_a[1], world.members_b[0], dora_member(world)]
    for member, status in zip(members, REVEAL[who], strict=True):
        response = client.post(f"/api/v1/members/{member.pk}/reveal-id/")
        assert response.status_code == status, response.content
        reveals = ObjectChange.objects.filter(action="reveal", object_id=member.pk)
        if status == 200:
            assert response.json() == {"id_number": member.reveal_id_number()}
            assert response["Cache-Control"] == "no-store"
            record = reveals.get()
            assert record.user_name == world.__dict__[who].username and record.source == "api"
            assert record.org_path == member.org_path
        else:
            assert_error(response, status)
            assert not reveals.exists()


TRANSFER = {  # 王芳 from 0101 to 0102
    "county_admin": 200,
    "alice": 400,  # 0102 is unknown to alice
    "bob": 404,
    "viewer": 403,
    "charlie": 404,
    "dora": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("who", USERS)
def test_transfer_answers_by_scope_and_right(api, world, who):
    member = world.members_a[1]
    response = api(who).post(f"/api/v1/members/{member.pk}/transfer/", {"org": "0102"}, format="json")
    assert response.status_code == TRANSFER[who], response.content
    fresh = Member.objects.get(pk=member.pk)
    if TRANSFER[who] == 200:
        assert response.json()["org"] == "0102"
        assert fresh.org_id == world.branch_b.pk and fresh.org_path == world.branch_b.path
        assert list(fresh.memberships.values_list("org_code", flat=True)) == ["0102", "0101"]
    else:
        assert_error(response, TRANSFER[who])
        assert fresh.org_id == world.branch_a.pk
        if TRANSFER[who] == 400:
            assert error_codes(response, "org") == ["unknown_org"]


def test_transfer_refuses_bad_targets(api, world):
    member = world.members_a[1]
    client = api("county_admin")
    url = f"/api/v1/members/{member.pk}/transfer/"
    assert error_codes(client.post(url, {"org": "0101"}, format="json"), "org") == ["same_branch"]
    assert error_codes(client.post(url, {"org": "0103"}, format="json"), "org") == ["not_branch"]
    assert error_codes(client.post(url, {"org": "0102", "on": "2999-01-01"}, format="json"), "on") == [
        "date_in_future"
    ]
    assert Member.objects.get(pk=member.pk).org_id == world.branch_a.pk


def test_token_authentication_reaches_the_same_scope(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user=world.bob)[1]}")
    assert names_of(client.get("/api/v1/members/")) == B_NAMES
    assert client.get(f"/api/v1/members/{world.members_a[0].pk}/").status_code == 404
    response = client.post(f"/api/v1/members/{world.members_b[0].pk}/reveal-id/")
    assert response.status_code == 200
    assert ObjectChange.objects.filter(action="reveal", user_name="bob").exists()
