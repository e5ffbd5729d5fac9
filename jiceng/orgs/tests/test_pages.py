"""The organization pages: who gets what, the writes through the forms, and constant query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.core.models import ObjectChange
from jiceng.core.tests.test_pages import check_page
from jiceng.members.models import Member
from jiceng.orgs import services
from jiceng.orgs.models import Committee, Organization, PartyGroup

USERS = ["county_admin", "alice", "bob", "viewer", "charlie", "dora"]

# url → expected status for each user (GET). 404: outside the scope; 403: visible but not allowed.
PAGES = {
    "/orgs/": dict(county_admin=200, alice=200, bob=200, viewer=200, charlie=200, dora=200),
    "/orgs/01/": dict(county_admin=200, alice=404, bob=404, viewer=200, charlie=404, dora=404),
    "/orgs/0101/": dict(county_admin=200, alice=200, bob=404, viewer=200, charlie=404, dora=404),
    "/orgs/0102/": dict(county_admin=200, alice=404, bob=200, viewer=200, charlie=404, dora=404),
    "/orgs/0102/history/": dict(county_admin=200, alice=404, bob=200, viewer=200, charlie=404, dora=404),
    "/orgs/01/children/": dict(county_admin=200, alice=404, bob=404, viewer=200, charlie=404, dora=404),
    "/orgs/01/new/": dict(county_admin=200, alice=404, bob=404, viewer=403, charlie=404, dora=404),
    "/orgs/0101/edit/": dict(county_admin=200, alice=200, bob=404, viewer=403, charlie=404, dora=404),
    "/orgs/0102/edit/": dict(county_admin=200, alice=404, bob=200, viewer=403, charlie=404, dora=404),
    "/orgs/0101/move/": dict(county_admin=200, alice=403, bob=404, viewer=403, charlie=404, dora=404),
    "/orgs/0102/merge/": dict(county_admin=200, alice=404, bob=403, viewer=403, charlie=404, dora=404),
    "/orgs/0101/split/": dict(county_admin=200, alice=403, bob=404, viewer=403, charlie=404, dora=404),
    "/orgs/0101/election/": dict(county_admin=200, alice=200, bob=404, viewer=403, charlie=404, dora=404),
    "/orgs/0102/groups/new/": dict(county_admin=200, alice=404, bob=200, viewer=403, charlie=404, dora=404),
    "/orgs/9999/": dict(county_admin=404, alice=404, bob=404, viewer=404, charlie=404, dora=404),
}


@pytest.mark.parametrize("who", USERS)
def test_every_page_answers_by_scope(world, client_for, who):
    client = client_for(getattr(world, who))
    got = {url: client.get(url).status_code for url in PAGES}
    assert got == {url: expected[who] for url, expected in PAGES.items()}


def test_pages_need_a_login(world, client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/orgs/01/new/", {"code": "0104", "name": "新支部", "kind": "branch", "unit_kind": "community"}),
        ("/orgs/0101/edit/", {"code": "0101", "name": "改名", "unit_kind": "community"}),
        ("/orgs/010301/move/", {"parent": "01"}),
        ("/orgs/0102/merge/", {"target": "0101"}),
        ("/orgs/0101/split/", {"code": "0105", "name": "拆出", "members": ["1"]}),
        ("/orgs/0101/election/", {"elected_on": "2024-01-01"}),
        ("/orgs/0101/groups/new/", {"name": "第一党小组"}),
    ],
)
def test_viewer_posts_are_forbidden_and_change_nothing(world, client_for, url, data):
    client = client_for(world.viewer)  # signing in is itself recorded; count after it
    before = ObjectChange.objects.count()
    response = client.post(url, data)
    assert response.status_code == 403
    assert ObjectChange.objects.count() == before
    assert Organization.objects.count() == 5


def test_alice_cannot_post_to_branch_b(world, client_for):
    response = client_for(world.alice).post(
        "/orgs/0102/edit/", {"code": "0102", "name": "改名", "unit_kind": "village"}
    )
    assert response.status_code == 404
    assert Organization.objects.get(code="0102").name == "新华村党支部"


@pytest.mark.parametrize(
    "url",
    [
        "/orgs/?q=01",
        "/orgs/01/",
        "/orgs/0101/",
        "/orgs/0101/history/",
        "/orgs/01/new/",
        "/orgs/0101/edit/",
        "/orgs/0103/move/",
        "/orgs/0102/merge/",
        "/orgs/0101/split/",
        "/orgs/0101/election/",
        "/orgs/0101/extension/",
        "/orgs/0101/groups/new/",
    ],
)
def test_pages_are_accessible_and_csp_clean(world, client_for, url):
    services.record_election(
        actor=world.alice,
        org=world.branch_a,
        elected_on=dt.date(2022, 1, 1),
        posts=[(world.members_a[0], "secretary")],
    )
    services.update_org(actor=world.alice, org=world.branch_a, name="和平社区第一党支部")
    check_page(client_for(world.county_admin).get(url))


# Tree and search ----------------------------------------------------------------------------------


def test_tree_starts_at_the_scope_roots(world, client_for):
    page = client_for(world.alice).get("/orgs/").content.decode()
    assert "和平社区党支部" in page and "6 名党员" in page
    assert "新华村党支部" not in page and "东城街道党工委" not in page

    page = client_for(world.county_admin).get("/orgs/").content.decode()
    assert "东城街道党工委" in page and "10 名党员" in page
    assert 'hx-get="/orgs/01/children/"' in page


def test_tree_children_fragment_lists_kind_and_counts(world, client_for):
    fragment = client_for(world.viewer).get("/orgs/01/children/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    for text in (
        "和平社区党支部",
        "6 名党员",
        "新华村党支部",
        "3 名党员",
        "机关第一党总支",
        "党总支",
        "1 名党员",
    ):
        assert text in fragment
    assert 'hx-get="/orgs/0103/children/"' in fragment  # the general branch has a child to load
    assert 'hx-get="/orgs/0101/children/"' not in fragment  # a branch has none


def test_users_without_scope_see_no_organization(world, client_for):
    for user in (world.charlie, world.dora):
        page = client_for(user).get("/orgs/?q=0").content.decode()
        assert "党支部" not in page.split("<main", 1)[1]


def test_search_stays_within_scope(world, client_for):
    alice = client_for(world.alice)
    fragment = alice.get("/orgs/", {"q": "01"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert "/orgs/0101/" in fragment
    assert "0102" not in fragment and "新华村" not in fragment
    assert "/orgs/0102/" not in alice.get("/orgs/", {"q": "0102"}).content.decode()
    assert "/orgs/0102/" not in alice.get("/orgs/", {"q": "新华"}).content.decode()

    county = (
        client_for(world.county_admin).get("/orgs/", {"q": "新华"}, HTTP_HX_REQUEST="true").content.decode()
    )
    assert "/orgs/0102/" in county


# Organization page ------------------------------------------------------------------------------


def test_detail_shows_committee_posts_groups_counts_and_charts(world, client_for):
    a = world.members_a
    services.record_election(
        actor=world.alice,
        org=world.branch_a,
        elected_on=dt.date(2021, 1, 10),
        posts=[(a[0], "secretary"), (a[1], "deputy_secretary"), (a[2], "discipline_member")],
    )
    services.create_group(actor=world.alice, org=world.branch_a, name="第一党小组")
    page = check_page(client_for(world.alice).get("/orgs/0101/"))
    assert "书记" in page and f'href="/members/{a[0].pk}/"' in page and a[0].name in page
    assert "副书记" in page and "纪检委员" in page
    assert "第一党小组" in page
    assert "/members/?org=0101" in page
    assert 'data-chart="chart-status"' in page and 'id="chart-status"' in page
    assert "正式党员" in page and "预备党员" in page
    # Alice's scope starts at her branch: no breadcrumb to the working committee above it.
    assert "/orgs/01/" not in page and "东城街道党工委" not in page
    # A secretary sees the branch's writes, not the tree-shaping ones.
    assert "/orgs/0101/edit/" in page and "/orgs/0101/election/" in page
    assert "/orgs/0101/move/" not in page and "/orgs/0101/merge/" not in page


def test_term_badges(world, client_for):
    today = dt.date.today()
    committee = services.record_election(
        actor=world.alice,
        org=world.branch_a,
        elected_on=today.replace(year=today.year - 5) - dt.timedelta(days=3),
    )
    page = client_for(world.alice).get("/orgs/0101/").content.decode()
    assert "任期已满" in page
    Committee.objects.filter(pk=committee.pk).update(extended_to=today + dt.timedelta(days=30))
    page = client_for(world.alice).get("/orgs/0101/").content.decode()
    assert "任期已满" not in page and "距届满不足6个月" in page and "已批准延期" in page


def test_viewer_sees_no_write_buttons(world, client_for):
    page = client_for(world.viewer).get("/orgs/01/").content.decode()
    assert "/orgs/01/edit/" not in page and "/orgs/01/new/" not in page
    assert 'id="org-actions"' not in page
    assert "东城街道党工委" in page and "/orgs/0103/" in page


def test_county_breadcrumbs_reach_the_root(world, client_for):
    page = client_for(world.county_admin).get("/orgs/010301/").content.decode()
    assert 'href="/orgs/01/"' in page and 'href="/orgs/0103/"' in page


def _sizes_of_pages(client, world) -> dict[str, int]:
    sizes = {}
    for url in ("/orgs/", "/orgs/01/", "/orgs/01/children/"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        sizes[url] = len(ctx.captured_queries)
    return sizes


def test_tree_and_detail_queries_do_not_grow_with_children(world, client_for, django_assert_max_num_queries):
    client = client_for(world.county_admin)
    few = _sizes_of_pages(client, world)
    for i in range(6):
        branch = services.create_org(
            actor=world.county_admin,
            parent=world.root,
            code=f"02{i}",
            name=f"新增支部{i}",
            kind="branch",
            unit_kind="community",
        )
        services.record_election(actor=world.county_admin, org=branch, elected_on=dt.date(2023, 1, 1))
    many = _sizes_of_pages(client, world)
    assert many == few
    with django_assert_max_num_queries(15):
        client.get("/orgs/01/")
    with django_assert_max_num_queries(8):
        client.get("/orgs/")


# Writes through the forms -----------------------------------------------------------------------


def test_create_child(world, client_for):
    response = client_for(world.county_admin).post(
        "/orgs/0103/new/",
        {
            "code": "010302",
            "name": "税务所党支部",
            "kind": "branch",
            "unit_kind": "government",
            "founded_on": "2015-07-01",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/orgs/010302/"
    org = Organization.objects.get(code="010302")
    assert Organization.objects.get_parent(org) == world.general and org.founded_on == dt.date(2015, 7, 1)
    assert ObjectChange.objects.filter(action="create", object_id=org.pk, user_name="county").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"code": "0102", "name": "重复编码", "kind": "branch", "unit_kind": "community"},
            "组织编码0102已被使用",
        ),
        (
            {
                "code": "0104",
                "name": "未来",
                "kind": "branch",
                "unit_kind": "community",
                "founded_on": "2999-01-01",
            },
            "成立日期不能晚于今天",
        ),
        ({"code": "01 04", "name": "空格", "kind": "branch", "unit_kind": "community"}, "组织编码只能包含"),
        ({"code": "0104", "name": "", "kind": "branch", "unit_kind": "community"}, "该字段是必填项"),
    ],
)
def test_bad_create_rerenders_with_the_error_and_saves_nothing(world, client_for, data, message):
    client = client_for(world.county_admin)
    before = (Organization.objects.count(), ObjectChange.objects.count())
    response = client.post("/orgs/01/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Organization.objects.count(), ObjectChange.objects.count()) == before


def test_create_under_a_branch_is_refused(world, client_for):
    assert client_for(world.county_admin).get("/orgs/0101/new/").status_code == 403


def test_edit_and_history_show_before_and_after(world, client_for):
    alice = client_for(world.alice)
    form = alice.get("/orgs/0101/edit/").content.decode()
    assert 'value="和平社区党支部"' in form
    assert 'name="kind"' not in form  # a secretary cannot change the kind
    response = alice.post(
        "/orgs/0101/edit/",
        {"code": "0101", "name": "和平社区第一党支部", "unit_kind": "community", "founded_on": "2000-03-01"},
    )
    assert response.status_code == 302
    assert Organization.objects.get(pk=world.branch_a.pk).name == "和平社区第一党支部"
    change = ObjectChange.objects.get(action="update", object_id=world.branch_a.pk)
    assert (change.prechange_data["name"], change.postchange_data["name"]) == (
        "和平社区党支部",
        "和平社区第一党支部",
    )
    assert change.user_name == "alice"

    history = alice.get("/orgs/0101/history/").content.decode()
    assert "组织名称" in history and "和平社区党支部" in history and "和平社区第一党支部" in history
    assert "张伟" in history and "修改" in history  # the author by full name (alice)
    fragment = alice.get("/orgs/0101/history/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "和平社区第一党支部" in fragment


def test_edit_to_a_duplicate_code_is_refused(world, client_for):
    response = client_for(world.county_admin).post(
        "/orgs/0101/edit/",
        {"code": "0102", "name": "和平社区党支部", "kind": "branch", "unit_kind": "community"},
    )
    assert response.status_code == 200 and "组织编码0102已被使用" in response.content.decode()
    assert Organization.objects.get(pk=world.branch_a.pk).code == "0101"


def test_move_subtree(world, client_for):
    county = client_for(world.county_admin)
    services.create_org(
        actor=world.county_admin,
        parent=world.root,
        code="0104",
        name="第二党总支",
        kind="general_branch",
        unit_kind="government",
    )
    form = county.get("/orgs/010301/move/").content.decode()
    assert '<option value="0104">' in form and 'list="move-parent-options"' in form
    response = county.post("/orgs/010301/move/", {"parent": "0104"})
    assert response.status_code == 302
    moved = Organization.objects.get(code="010301")
    assert Organization.objects.get_parent(moved).code == "0104"
    assert Member.objects.get(pk=world.member_c.pk).org_path == moved.path
    change = ObjectChange.objects.get(action="move", object_id=moved.pk)
    assert (change.prechange_data["parent"], change.postchange_data["parent"]) == ("0103", "0104")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"parent": "010301"}, "不能把党组织移到它自己或它的下级组织之下"),
        ({"parent": "0103"}, "不能把党组织移到它自己或它的下级组织之下"),
        ({"parent": "0101"}, "党总支不能设在党支部之下"),
        ({"parent": "9999"}, "在您可以管理的党组织中没有编码为“9999”的组织"),
    ],
)
def test_bad_move_rerenders_with_the_error(world, client_for, data, message):
    response = client_for(world.county_admin).post("/orgs/0103/move/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organization.objects.get(code="0103").path == world.general.path
    assert not ObjectChange.objects.filter(action="move").exists()


def test_move_target_outside_scope_looks_like_an_unknown_code(world, client_for):
    from jiceng.core.models import RoleAssignment

    RoleAssignment.objects.create(user=world.bob, org=world.branch_b, role="org_admin")
    outsider = services.create_org(
        actor=world.sysadmin,
        parent=None,
        code="02",
        name="另一街道党工委",
        kind="working_committee",
        unit_kind="government",
    )
    assert outsider.code == "02"
    page = client_for(world.bob).post("/orgs/0102/move/", {"parent": "02"}).content.decode()
    assert "在您可以管理的党组织中没有编码为“02”的组织" in page
    assert "另一街道党工委" not in page


def test_merge(world, client_for):
    response = client_for(world.county_admin).post("/orgs/0102/merge/", {"target": "0101"})
    assert response.status_code == 302 and response["Location"] == "/orgs/0101/"
    assert not Organization.objects.filter(code="0102").exists()
    assert Member.objects.filter(org=world.branch_a).count() == 9
    assert ObjectChange.objects.filter(action="merge", object_id=world.branch_a.pk).exists()


def test_merge_into_itself_is_refused(world, client_for):
    response = client_for(world.county_admin).post("/orgs/0102/merge/", {"target": "0102"})
    assert response.status_code == 200 and "不能与自身合并" in response.content.decode()
    assert Organization.objects.filter(code="0102").exists()


def test_split(world, client_for):
    chosen = world.members_a[:2]
    county = client_for(world.county_admin)
    form = county.get("/orgs/0101/split/").content.decode()
    assert 'type="checkbox"' in form and "张伟" in form
    response = county.post(
        "/orgs/0101/split/", {"code": "0105", "name": "和平社区第二党支部", "members": [m.pk for m in chosen]}
    )
    assert response.status_code == 302 and response["Location"] == "/orgs/0105/"
    new = Organization.objects.get(code="0105")
    assert set(Member.objects.filter(org=new)) == set(chosen)
    assert ObjectChange.objects.filter(action="split", object_id=world.branch_a.pk).exists()


def test_split_with_no_member_or_a_taken_code_saves_nothing(world, client_for):
    county = client_for(world.county_admin)
    response = county.post("/orgs/0101/split/", {"code": "0105", "name": "空"})
    assert response.status_code == 200 and "请至少选择一名党员" in response.content.decode()
    response = county.post(
        "/orgs/0101/split/", {"code": "0102", "name": "重复", "members": [world.members_a[0].pk]}
    )
    assert response.status_code == 200 and "组织编码0102已被使用" in response.content.decode()
    assert Organization.objects.count() == 5
    assert Member.objects.get(pk=world.members_a[0].pk).org_id == world.branch_a.pk


def test_election_with_posts(world, client_for):
    a = world.members_a
    alice = client_for(world.alice)
    form = alice.get("/orgs/0101/election/").content.decode()
    assert "赵敏" not in form  # the probationary member is not offered a post
    response = alice.post(
        "/orgs/0101/election/",
        {
            "elected_on": "2024-04-01",
            "secretary": a[0].pk,
            "organization_member": a[1].pk,
            "committee_member": [a[3].pk],
        },
    )
    assert response.status_code == 302
    committee = world.branch_a.current_committee
    assert committee.elected_on == dt.date(2024, 4, 1) and committee.term_years == 5
    assert {(p.member_id, p.post) for p in committee.posts.all()} == {
        (a[0].pk, "secretary"),
        (a[1].pk, "organization_member"),
        (a[3].pk, "committee_member"),
    }
    page = alice.get("/orgs/0101/").content.decode()
    assert "组织委员" in page and a[1].name in page


def test_election_refusals_show_on_the_form(world, client_for):
    a = world.members_a
    alice = client_for(world.alice)
    response = alice.post(
        "/orgs/0101/election/",
        {"elected_on": "2024-04-01", "secretary": a[0].pk, "deputy_secretary": a[0].pk},
    )
    assert response.status_code == 200 and "被重复任职" in response.content.decode()
    response = alice.post("/orgs/0101/election/", {"elected_on": "2999-04-01"})
    assert response.status_code == 200 and "选举日期不能晚于今天" in response.content.decode()
    dora = Member.objects.get(user=world.dora)
    response = alice.post("/orgs/0101/election/", {"elected_on": "2024-04-01", "secretary": dora.pk})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not Committee.objects.exists()


def test_extension(world, client_for):
    alice = client_for(world.alice)
    response = alice.get("/orgs/0101/extension/")
    assert response.status_code == 302  # no committee yet: nothing to extend
    services.record_election(actor=world.alice, org=world.branch_a, elected_on=dt.date(2021, 1, 10))
    response = alice.post(
        "/orgs/0101/extension/", {"extended_to": "2027-06-01", "extension_approval": "批复"}
    )
    assert response.status_code == 200 and "不得超过一年" in response.content.decode()
    response = alice.post(
        "/orgs/0101/extension/", {"extended_to": "2026-06-01", "extension_approval": "街党工委〔2025〕3号"}
    )
    assert response.status_code == 302
    committee = world.branch_a.current_committee
    assert committee.extended_to == dt.date(2026, 6, 1)
    assert ObjectChange.objects.filter(action="update", object_id=committee.pk).exists()


def test_create_group(world, client_for):
    bob = client_for(world.bob)
    assert bob.post("/orgs/0102/groups/new/", {"name": "第一党小组"}).status_code == 302
    assert PartyGroup.objects.filter(org=world.branch_b, name="第一党小组").exists()
    response = bob.post("/orgs/0102/groups/new/", {"name": "第一党小组"})
    assert response.status_code == 200 and "本支部已有同名党小组" in response.content.decode()
    assert PartyGroup.objects.filter(org=world.branch_b).count() == 1
