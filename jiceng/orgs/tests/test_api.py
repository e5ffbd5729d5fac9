"""The organization API (/api/v1/orgs/), for each named user of the world fixture.

Scope: an organization outside the caller's subtrees answers 404 (and never shows up in a list, a
search or a filter); a visible one the caller may not change answers 403; anonymous callers 401.
Bad input answers 400 JSON with machine codes by field, and nothing is saved.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from jiceng.core.models import ObjectChange, RoleAssignment, User
from jiceng.members.models import Member
from jiceng.orgs import services
from jiceng.orgs.models import Committee, Organization

USERS = ["county_admin", "alice", "bob", "viewer", "charlie", "dora", "anonymous"]


def codes_of(response) -> list[str]:  # noqa: ANN001
    assert response.status_code == 200, response.content
    return [o["code"] for o in response.json()["results"]]


def error_codes(response, field: str) -> list[str]:  # noqa: ANN001
    body = response.json()
    assert response.status_code == 400, body
    assert body["code"] == "invalid" and body["message"] == "提交的数据有误"
    return [e["code"] for e in body["errors"][field]]


def assert_error(response, status: int, code: str) -> None:  # noqa: ANN001
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code


ERROR_CODE = {400: "invalid", 401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


# Reads ----------------------------------------------------------------------------------------------

ALL = ["01", "0101", "0102", "0103", "010301"]
LISTED = {
    "county_admin": ALL,
    "alice": ["0101"],
    "bob": ["0102"],
    "viewer": ALL,
    "charlie": [],
    "dora": [],  # a member sees their own record, not their branch's organization data
}


@pytest.mark.parametrize("who", USERS)
def test_list_holds_exactly_the_callers_scope(api, who):
    response = api(who).get("/api/v1/orgs/")
    if who == "anonymous":
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token"
        return
    assert codes_of(response) == LISTED[who]
    assert response.json()["count"] == len(LISTED[who])


READ = {  # status for 0101, status for 0102
    "county_admin": (200, 200),
    "alice": (200, 404),
    "bob": (404, 200),
    "viewer": (200, 200),
    "charlie": (404, 404),
    "dora": (404, 404),
    "anonymous": (401, 401),
}


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("suffix", ["", "summary/", "history/"])
def test_detail_summary_and_history_answer_by_scope(api, who, suffix):
    client = api(who)
    for code, status in zip(["0101", "0102"], READ[who], strict=True):
        response = client.get(f"/api/v1/orgs/{code}/{suffix}")
        assert response.status_code == status, (code, response.content)
        if status != 200:
            assert_error(response, status, ERROR_CODE[status])


def test_out_of_scope_answers_exactly_like_a_missing_code(api):
    client = api("alice")
    hidden = client.get("/api/v1/orgs/0102/")
    missing = client.get("/api/v1/orgs/9999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    # Nor do the counts of the whole tree leak through its root.
    assert client.get("/api/v1/orgs/01/summary/").json() == missing.json()


def test_detail_shows_the_parent_only_inside_the_scope(api, world):
    assert api("county_admin").get("/api/v1/orgs/010301/").json()["parent"] == "0103"
    body = api("alice").get("/api/v1/orgs/0101/").json()
    assert body["parent"] is None  # 01 lies above alice's scope
    assert body["code"] == "0101" and body["kind"] == "branch" and body["unit_kind"] == "community"
    assert body["founded_on"] == "2000-03-01" and body["committee"] is None


def test_detail_shows_the_current_committee_with_its_posts(api, world):
    services.record_election(
        actor=world.county_admin,
        org=world.branch_a,
        elected_on=dt.date(2022, 5, 1),
        posts=[(world.members_a[1], "secretary"), (world.members_a[2], "organization_member")],
    )
    committee = api("alice").get("/api/v1/orgs/0101/").json()["committee"]
    assert committee["elected_on"] == "2022-05-01"
    assert committee["term_years"] == 5  # a community branch
    assert committee["term_ends_on"] == "2027-05-01"
    assert committee["extended_to"] is None
    assert {(p["post"], p["member"], p["name"]) for p in committee["posts"]} == {
        ("secretary", world.members_a[1].pk, "王芳"),
        ("organization_member", world.members_a[2].pk, "李娜"),
    }


def test_summary_counts_the_subtree(api):
    summary = api("viewer").get("/api/v1/orgs/01/summary/").json()
    assert summary["members"]["total"] == 10
    assert summary["members"]["status"] == {"full": 9, "probationary": 1}
    assert summary["branches"] == 3
    assert summary["branches_by_unit_kind"] == {"community": 1, "village": 1, "government": 1}
    assert api("alice").get("/api/v1/orgs/0101/summary/").json()["members"]["total"] == 6


def test_filters(api):
    client = api("county_admin")
    assert codes_of(client.get("/api/v1/orgs/?kind=branch")) == ["0101", "0102", "010301"]
    assert codes_of(client.get("/api/v1/orgs/?unit_kind=government")) == ["01", "0103", "010301"]
    assert codes_of(client.get("/api/v1/orgs/?parent=01")) == ["0101", "0102", "0103"]
    assert codes_of(client.get("/api/v1/orgs/?under=0103")) == ["0103", "010301"]
    assert codes_of(client.get("/api/v1/orgs/?q=新华")) == ["0102"]
    assert codes_of(client.get("/api/v1/orgs/?q=0103")) == ["0103", "010301"]
    assert codes_of(client.get("/api/v1/orgs/?under=01&kind=branch&q=社区")) == ["0101"]
    assert error_codes(client.get("/api/v1/orgs/?kind=nonsense"), "kind") == ["invalid_choice"]


def test_search_and_filters_never_reach_outside_the_scope(api):
    client = api("alice")
    assert codes_of(client.get("/api/v1/orgs/?q=新华")) == []
    assert codes_of(client.get("/api/v1/orgs/?q=01")) == ["0101"]
    assert codes_of(client.get("/api/v1/orgs/?kind=branch")) == ["0101"]
    # A code outside the scope is refused exactly like one that does not exist.
    for param in ("parent", "under"):
        hidden = client.get(f"/api/v1/orgs/?{param}=01")
        missing = client.get(f"/api/v1/orgs/?{param}=nope")
        assert error_codes(hidden, param) == ["invalid_choice"]
        assert hidden.json() == missing.json()


def test_list_runs_a_bounded_number_of_queries(api, world):
    client = api("county_admin")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/orgs/")
        assert response.status_code == 200
        return len(queries)

    few = count()
    for i in range(8):
        services.create_org(
            actor=world.county_admin,
            parent=world.general,
            code=f"0103{i + 2:02d}",
            name=f"第{i}党支部",
            kind="branch",
            unit_kind="government",
        )
    assert codes_of(client.get("/api/v1/orgs/?parent=0103"))[-1] == "010309"
    assert count() == few <= 6


def test_history_lists_change_records_without_bookkeeping(api, world):
    services.update_org(actor=world.alice, org=world.branch_a, name="和平社区第一党支部")
    results = api("alice").get("/api/v1/orgs/0101/history/").json()["results"]
    latest = results[0]
    assert latest["action"] == "update" and latest["user"] == "alice"
    assert latest["changes"] == [
        {"field": "name", "label": "组织名称", "before": "和平社区党支部", "after": "和平社区第一党支部"}
    ]
    created = results[-1]
    assert created["action"] == "create"
    assert {c["field"] for c in created["changes"]} >= {"code", "name", "kind"}
    assert not {c["field"] for c in created["changes"]} & {"id", "path", "depth", "numchild"}


# Writes ---------------------------------------------------------------------------------------------

NEW_BRANCH = {
    "parent": "0103",
    "code": "010302",
    "name": "税务所党支部",
    "kind": "branch",
    "unit_kind": "government",
}
CREATE = {
    "county_admin": 201,
    "alice": 403,
    "bob": 403,
    "viewer": 403,
    "charlie": 403,
    "dora": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize("who", USERS)
def test_create_needs_the_manage_right(api, who):
    response = api(who).post("/api/v1/orgs/", NEW_BRANCH, format="json")
    assert response.status_code == CREATE[who], response.content
    if CREATE[who] == 201:
        body = response.json()
        assert body["code"] == "010302" and body["parent"] == "0103" and body["committee"] is None
        org = Organization.objects.get(code="010302")
        assert Organization.objects.get_parent(org).code == "0103"
        assert ObjectChange.objects.filter(action="create", object_id=org.pk, user_name="county").exists()
    else:
        assert_error(response, CREATE[who], ERROR_CODE[CREATE[who]])
        assert not Organization.objects.filter(code="010302").exists()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"code": "0102"}, "code", "code_taken"),
        ({"parent": "0101"}, "parent", "parent_kind"),  # nothing goes under a branch
        ({"founded_on": "2999-01-01"}, "founded_on", "date_in_future"),
        ({"code": "bad code!"}, "code", "invalid"),
        ({"name": ""}, "name", "blank"),
        ({"kind": "party"}, "kind", "invalid_choice"),
        ({"founded_on": "yesterday"}, "founded_on", "invalid"),
        ({"parent": "nope"}, "parent", "unknown_org"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(api, change, field, code):
    client = api("county_admin")
    before = (Organization.objects.count(), ObjectChange.objects.count())
    response = client.post("/api/v1/orgs/", {**NEW_BRANCH, **change}, format="json")
    assert code in error_codes(response, field)
    assert (Organization.objects.count(), ObjectChange.objects.count()) == before


def test_create_under_a_parent_outside_the_scope_reads_like_a_missing_one(api, world):
    general_admin = User.objects.create_user("general_admin")
    RoleAssignment.objects.create(user=general_admin, org=world.general, role="org_admin")
    client = APIClient()
    client.force_login(general_admin)
    hidden = client.post("/api/v1/orgs/", {**NEW_BRANCH, "parent": "0102"}, format="json")
    missing = client.post("/api/v1/orgs/", {**NEW_BRANCH, "parent": "0199"}, format="json")
    assert error_codes(hidden, "parent") == ["unknown_org"]
    assert hidden.json()["errors"]["parent"][0]["message"] == missing.json()["errors"]["parent"][0][
        "message"
    ].replace("0199", "0102")
    assert client.post("/api/v1/orgs/", NEW_BRANCH, format="json").status_code == 201


UPDATE = {  # status for 0101, status for 0102
    "county_admin": (200, 200),
    "alice": (200, 404),
    "bob": (404, 200),
    "viewer": (403, 403),
    "charlie": (404, 404),
    "dora": (404, 404),
    "anonymous": (401, 401),
}


@pytest.mark.parametrize("who", USERS)
def test_update_answers_by_scope_and_right(api, world, who):
    client = api(who)
    for org, status in zip([world.branch_a, world.branch_b], UPDATE[who], strict=True):
        response = client.patch(f"/api/v1/orgs/{org.code}/", {"name": "新名称"}, format="json")
        assert response.status_code == status, response.content
        name = Organization.objects.get(pk=org.pk).name
        if status == 200:
            assert response.json()["name"] == name == "新名称"
        else:
            assert_error(response, status, ERROR_CODE[status])
            assert name == org.name


def test_update_checks_the_right_before_the_input(api):
    # A viewer learns nothing from validation: bad input still answers 403.
    assert (
        api("viewer").patch("/api/v1/orgs/0101/", {"founded_on": "nonsense"}, format="json").status_code
        == 403
    )


def test_update_of_the_kind_needs_the_manage_right(api, world):
    response = api("alice").patch("/api/v1/orgs/0101/", {"kind": "general_branch"}, format="json")
    assert_error(response, 403, "permission_denied")
    assert Organization.objects.get(pk=world.branch_a.pk).kind == "branch"


def test_update_refuses_bad_input_and_saves_nothing(api, world):
    client = api("alice")
    response = client.patch("/api/v1/orgs/0101/", {"name": "改名", "founded_on": "2999-01-01"}, format="json")
    assert error_codes(response, "founded_on") == ["date_in_future"]
    assert error_codes(client.patch("/api/v1/orgs/0101/", {"code": "0102"}, format="json"), "code") == [
        "code_taken"
    ]
    assert Organization.objects.get(pk=world.branch_a.pk).name == "和平社区党支部"
    assert not ObjectChange.objects.filter(action="update").exists()


MOVE = {  # moving 010301 under 01
    "county_admin": 200,
    "alice": 404,
    "bob": 404,
    "viewer": 403,
    "charlie": 404,
    "dora": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("who", USERS)
def test_move_needs_the_manage_right(api, world, who):
    response = api(who).post("/api/v1/orgs/010301/move/", {"parent": "01"}, format="json")
    assert response.status_code == MOVE[who], response.content
    moved = Organization.objects.get(pk=world.branch_c.pk)
    if MOVE[who] == 200:
        assert response.json()["parent"] == "01" and response.json()["depth"] == 2
        assert Member.objects.get(pk=world.member_c.pk).org_path == moved.path
    else:
        assert_error(response, MOVE[who], ERROR_CODE[MOVE[who]])
        assert moved.path == world.branch_c.path


def test_move_refuses_a_secretary_and_bad_targets(api, world):
    assert api("alice").post("/api/v1/orgs/0101/move/", {"parent": "0101"}, format="json").status_code == 403
    client = api("county_admin")
    assert error_codes(
        client.post("/api/v1/orgs/0103/move/", {"parent": "010301"}, format="json"), "parent"
    ) == ["cycle"]
    assert error_codes(client.post("/api/v1/orgs/0103/move/", {"parent": "x"}, format="json"), "parent") == [
        "unknown_org"
    ]
    assert error_codes(client.post("/api/v1/orgs/0103/move/", {}, format="json"), "parent") == ["required"]
    assert Organization.objects.get(pk=world.general.pk).path == world.general.path


MERGE = {  # merging 0102 into 0101
    "county_admin": 200,
    "alice": 404,
    "bob": 403,
    "viewer": 403,
    "charlie": 404,
    "dora": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("who", USERS)
def test_merge_needs_the_manage_right(api, world, who):
    response = api(who).post("/api/v1/orgs/0102/merge/", {"target": "0101"}, format="json")
    assert response.status_code == MERGE[who], response.content
    if MERGE[who] == 200:
        assert response.json() == {"target": "0101", "moved_members": 3}
        assert not Organization.objects.filter(code="0102").exists()
        assert Member.objects.filter(org=world.branch_a).count() == 9
    else:
        assert_error(response, MERGE[who], ERROR_CODE[MERGE[who]])
        assert Member.objects.filter(org=world.branch_b).count() == 3


def test_merge_refuses_what_is_not_a_branch(api, world):
    response = api("county_admin").post("/api/v1/orgs/0102/merge/", {"target": "0103"}, format="json")
    assert error_codes(response, "target") == ["not_branch"]
    assert Member.objects.filter(org=world.branch_b).count() == 3


ELECT = {  # an election in 0101, then in 0102
    "county_admin": (201, 201),
    "alice": (201, 404),
    "bob": (404, 201),
    "viewer": (403, 403),
    "charlie": (404, 404),
    "dora": (404, 404),
    "anonymous": (401, 401),
}


@pytest.mark.parametrize("who", USERS)
def test_elections_answer_by_scope_and_right(api, world, who):
    client = api(who)
    for org, member, status in zip(
        [world.branch_a, world.branch_b], [world.members_a[1], world.members_b[1]], ELECT[who], strict=True
    ):
        body = {
            "elected_on": "2023-03-01",
            "term_years": 3,
            "posts": [{"member": member.pk, "post": "secretary"}],
        }
        response = client.post(f"/api/v1/orgs/{org.code}/elections/", body, format="json")
        assert response.status_code == status, response.content
        if status == 201:
            assert response.json()["term_years"] == 3 and response.json()["term_ends_on"] == "2026-03-01"
            assert response.json()["posts"] == [
                {"post": "secretary", "member": member.pk, "name": member.name}
            ]
            assert org.current_committee.elected_on == dt.date(2023, 3, 1)
        else:
            assert_error(response, status, ERROR_CODE[status])
            assert org.current_committee is None


def test_elections_refuse_bad_posts_and_save_nothing(api, world):
    client = api("alice")

    def elect(posts, **extra):  # noqa: ANN001, ANN003
        body = {"elected_on": "2023-03-01", "posts": posts, **extra}
        return client.post("/api/v1/orgs/0101/elections/", body, format="json")

    dora = Member.objects.get(user=world.dora)
    assert error_codes(elect([{"member": dora.pk, "post": "secretary"}]), "posts") == ["post_probationary"]
    # A member of another branch: unknown to alice, exactly like an id that does not exist.
    hidden = elect([{"member": world.members_b[0].pk, "post": "secretary"}])
    missing = elect([{"member": 10**9, "post": "secretary"}])
    assert error_codes(hidden, "posts") == error_codes(missing, "posts") == ["unknown_member"]
    assert "孙强" not in hidden.content.decode()
    two = [
        {"member": world.members_a[1].pk, "post": "secretary"},
        {"member": world.members_a[2].pk, "post": "secretary"},
    ]
    assert error_codes(elect(two), "posts") == ["two_secretaries"]
    assert error_codes(elect([], elected_on="2999-01-01"), "elected_on") == ["date_in_future"]
    assert error_codes(elect([], term_years=4), "term_years") == ["invalid_choice"]
    bad_post = elect([{"member": world.members_a[1].pk, "post": "chairman"}])
    assert bad_post.json()["errors"]["posts"] == {
        "0": {"post": [bad_post.json()["errors"]["posts"]["0"]["post"][0]]}
    }
    assert bad_post.json()["errors"]["posts"]["0"]["post"][0]["code"] == "invalid_choice"
    assert not Committee.objects.exists()
    # The county admin sees 0102's members, and the service names the one who is not in this branch.
    county = api("county_admin").post(
        "/api/v1/orgs/0101/elections/",
        {"elected_on": "2023-03-01", "posts": [{"member": world.members_b[0].pk, "post": "secretary"}]},
        format="json",
    )
    assert error_codes(county, "posts") == ["post_not_member"]
    assert not Committee.objects.exists()


def test_token_authentication_reaches_the_same_scope(world):
    from jiceng.core import tokens

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user=world.alice)[1]}")
    assert codes_of(client.get("/api/v1/orgs/")) == ["0101"]
    assert client.get("/api/v1/orgs/0102/").status_code == 404
    assert client.patch("/api/v1/orgs/0101/", {"name": "改名"}, format="json").status_code == 200
