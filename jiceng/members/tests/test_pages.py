"""The roster pages, for each named user of the world fixture: what they list, open, change and reveal."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_id
from jiceng.core import idnumber
from jiceng.core.models import ObjectChange
from jiceng.core.testing import check_html
from jiceng.members import services
from jiceng.members.models import Member, Membership
from jiceng.orgs import services as org_services

A_NAMES = {"张伟", "王芳", "李娜", "刘洋", "陈静", "赵敏"}
B_NAMES = {"孙强", "周杰", "吴霞"}
C_NAMES = {"郑明"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:  # noqa: ANN001
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(page: str) -> set[str]:
    """Names in the results table (links to member pages)."""
    return set(re.findall(r'<a href="/members/\d+/">([^<]+)</a>', page))


def list_url(**params: str) -> str:
    from urllib.parse import urlencode

    return reverse("members:list") + ("?" + urlencode(params) if params else "")


def check_page(page: str) -> None:
    check_html(page, one_h1=True)


# --- list ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("alice", A_NAMES),
        ("bob", B_NAMES),
        ("county_admin", A_NAMES | B_NAMES | C_NAMES),
        ("viewer", A_NAMES | B_NAMES | C_NAMES),
        ("charlie", set()),
        ("dora", {"赵敏"}),
    ],
)
def test_list_shows_exactly_the_members_in_scope(world, client_for, who, names) -> None:
    page = html(client_for(getattr(world, who)).get(list_url()))
    assert listed(page) == names
    check_page(page)
    assert f"共{len(names)}名党员" in page
    for member in Member.objects.all():
        assert member.reveal_id_number() not in page  # never the full number on a list
    if names:
        assert Member.objects.get(name=sorted(names)[0]).id_number_masked in page


def test_alice_never_sees_branch_0102(world, client_for) -> None:
    client = client_for(world.alice)
    for q in ("孙", "孙强", "sunqiang", "sq", "s", "zhou", "wx"):
        for extra in ({}, HTMX):
            page = html(client.get(list_url(q=q), **extra))
            assert not listed(page) & (B_NAMES | C_NAMES), q
            assert "新华村" not in page
    for code in ("0102", "010301", "0103", "01", "9999"):
        assert client.get(list_url(org=code)).status_code == 404, code
        assert client.get(list_url(org=code, q="孙"), **HTMX).status_code == 404, code
    assert listed(html(client.get(list_url(org="0101")))) == A_NAMES


def test_org_restricts_to_a_subtree(world, client_for) -> None:
    client = client_for(world.county_admin)
    assert listed(html(client.get(list_url(org="0102")))) == B_NAMES
    assert listed(html(client.get(list_url(org="0103")))) == C_NAMES
    assert listed(html(client.get(list_url(org="01")))) == A_NAMES | B_NAMES | C_NAMES


@pytest.mark.parametrize("q", ["zw", "zhangwei", "ZW", "zhang", "张伟", "张"])
def test_search_by_name_full_pinyin_and_initials(world, client_for, q) -> None:
    page = html(client_for(world.county_admin).get(list_url(q=q)))
    assert listed(page) == {"张伟"}


def test_search_through_htmx_returns_only_the_results_fragment(world, client_for) -> None:
    client = client_for(world.alice)
    fragment = html(client.get(list_url(q="zw"), **HTMX))
    assert "<html" not in fragment and "<form" not in fragment
    assert fragment.lstrip().startswith('<div id="member-results"')
    assert listed(fragment) == {"张伟"}
    assert "HX-Request" in client.get(list_url(q="zw"), **HTMX)["Vary"]
    # a history restore asks for the whole page
    full = html(client.get(list_url(q="zw"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"))
    assert "<html" in full and listed(full) == {"张伟"}
    # the full page wires the search box to the fragment
    page = html(client.get(list_url()))
    assert 'hx-get="/members/"' in page and 'hx-target="#member-results"' in page


def test_filters_use_the_member_filterset(world, client_for) -> None:
    client = client_for(world.county_admin)
    assert listed(html(client.get(list_url(status="probationary")))) == {"赵敏"}
    assert listed(html(client.get(list_url(gender="female", org="0102")))) == {"孙强", "吴霞"}
    assert listed(html(client.get(list_url(join_year="2026")))) == {"赵敏"}
    page = html(client.get(list_url()))
    for name in ("status", "category", "education", "gender", "age_band", "join_year"):
        assert f'name="{name}"' in page
    assert 'data-bs-toggle="collapse"' in page  # the filter bar folds away on a phone


@pytest.mark.parametrize(
    "query",
    [
        "join_year=0",
        "join_year=99999",
        "join_year=-5",
        "join_year=abc",
        "age_band=zz",
        "page=abc",
        "page=999",
    ],
)
def test_odd_query_parameters_do_not_break_the_list(world, client_for, query) -> None:
    client = client_for(world.alice)
    client.raise_request_exception = False
    response = client.get(list_url() + "?" + query)
    assert response.status_code == 200
    assert listed(response.content.decode()) <= A_NAMES


def test_list_paginates_by_20(world, client_for) -> None:
    for i in range(25):
        services.create_member(
            actor=world.county_admin,
            org=world.branch_b,
            id_number=make_id(dt.date(1970, 1, 1), 100 + i),
            name=f"测试{i:02d}",
            gender=idnumber.gender_of(make_id(dt.date(1970, 1, 1), 100 + i)),
            birth_date=dt.date(1970, 1, 1),
            education="bachelor",
            category="employed",
            status="full",
            joined_on=dt.date(2000, 1, 1),
            full_member_on=dt.date(2001, 1, 1),
        )
    client = client_for(world.bob)
    first = listed(html(client.get(list_url())))
    second = listed(html(client.get(list_url(page="2"))))
    assert len(first) == 20 and len(second) == 8 and not first & second


def _list_queries(client) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as ctx:
        html(client.get(list_url()))
    return len(ctx.captured_queries)


def test_list_query_count_is_bounded(world, client_for) -> None:
    client = client_for(world.county_admin)
    few = _list_queries(client)
    org_services.create_group(actor=world.county_admin, org=world.branch_b, name="第一党小组")
    for i in range(30):
        member = services.create_member(
            actor=world.county_admin,
            org=world.branch_b if i % 2 else world.branch_c,
            id_number=make_id(dt.date(1975, 6, 1), 200 + i),
            name=f"批量{i:02d}",
            gender=idnumber.gender_of(make_id(dt.date(1975, 6, 1), 200 + i)),
            birth_date=dt.date(1975, 6, 1),
            education="college",
            category="retired",
            status="full",
            joined_on=dt.date(2000, 1, 1),
            full_member_on=dt.date(2001, 1, 1),
        )
        if i % 2:
            services.set_group(actor=world.county_admin, member=member, group=world.branch_b.groups.get())
    many = _list_queries(client)
    assert many == few
    assert many <= 12


# --- detail -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "visible", "hidden"),
    [
        ("alice", A_NAMES, B_NAMES | C_NAMES),
        ("bob", B_NAMES, A_NAMES | C_NAMES),
        ("county_admin", A_NAMES | B_NAMES | C_NAMES, set()),
        ("viewer", A_NAMES | B_NAMES | C_NAMES, set()),
        ("charlie", set(), A_NAMES | B_NAMES | C_NAMES),
        ("dora", {"赵敏"}, A_NAMES - {"赵敏"} | B_NAMES | C_NAMES),
    ],
)
def test_detail_is_404_outside_scope(world, client_for, who, visible, hidden) -> None:
    client = client_for(getattr(world, who))
    for member in Member.objects.all():
        url = reverse("members:detail", args=[member.pk])
        response = client.get(url)
        if member.name in visible:
            page = html(response)
            assert member.name in page and member.id_number_masked in page
            assert member.reveal_id_number() not in page
            check_page(page)
        else:
            assert member.name in hidden
            assert response.status_code == 404
            assert member.name not in response.content.decode()
            # nor through the other member URLs
            for name in ("edit", "transfer"):
                assert client.get(reverse(f"members:{name}", args=[member.pk])).status_code == 404
            assert client.post(reverse("members:reveal", args=[member.pk])).status_code == 404
    assert client.get(reverse("members:detail", args=[999999])).status_code == 404


def test_detail_shows_the_whole_record(world, client_for) -> None:
    member = world.members_a[1]
    group = org_services.create_group(actor=world.alice, org=world.branch_a, name="第二党小组")
    services.update_member(
        actor=world.alice, member=member, group=group, phone="13912345678", work_unit="和平社区居委会 主任"
    )
    org_services.record_election(
        actor=world.alice,
        org=world.branch_a,
        elected_on=dt.date(2024, 5, 1),
        posts=[(member, "organization_member")],
    )
    page = html(client_for(world.alice).get(reverse("members:detail", args=[member.pk])))
    for text in (
        "王芳",
        "女",
        "汉族",
        "1980-05-17",
        member.id_number_masked,
        "大学本科",
        "在岗职工",
        "正式党员",
        "2010-07-01",
        "2011-07-01",
        "13912345678",
        "和平社区居委会 主任",
        "第二党小组",
        "和平社区党支部",
        "组织委员",
        "2024-05-01",
        "登记",
        "档案",
        "历史",
    ):
        assert text in page, text
    assert reverse("members:edit", args=[member.pk]) in page
    assert reverse("members:transfer", args=[member.pk]) in page
    assert reverse("members:reveal", args=[member.pk]) in page


def test_viewer_sees_no_write_buttons_and_gets_403_on_writes(world, client_for) -> None:
    client = client_for(world.viewer)
    member = world.members_a[1]
    page = html(client.get(reverse("members:detail", args=[member.pk])))
    assert "显示完整号码" not in page
    assert reverse("members:edit", args=[member.pk]) not in page
    assert reverse("members:reveal", args=[member.pk]) not in page
    before = (ObjectChange.objects.count(), Member.objects.get(pk=member.pk).phone)
    assert client.get(reverse("members:edit", args=[member.pk])).status_code == 403
    assert (
        client.post(reverse("members:edit", args=[member.pk]), {"name": "x", "phone": "1"}).status_code == 403
    )
    assert client.post(reverse("members:reveal", args=[member.pk])).status_code == 403
    assert client.post(reverse("members:reveal", args=[member.pk]), **HTMX).status_code == 403
    assert client.get(reverse("members:transfer", args=[member.pk])).status_code == 403
    assert client.post(reverse("members:transfer", args=[member.pk]), {"to_org": "0102"}).status_code == 403
    assert client.get(reverse("members:create")).status_code == 403
    assert client.get(reverse("members:create") + "?org=0101").status_code == 403
    assert (ObjectChange.objects.count(), Member.objects.get(pk=member.pk).phone) == before
    assert reverse("members:create") not in html(client.get(list_url()))


def test_member_role_cannot_write_own_record(world, client_for) -> None:
    client = client_for(world.dora)
    dora = Member.objects.get(user=world.dora)
    assert client.get(reverse("members:edit", args=[dora.pk])).status_code == 403
    assert client.get(reverse("members:transfer", args=[dora.pk])).status_code == 403
    assert client.get(reverse("members:create")).status_code == 403


# --- reveal -----------------------------------------------------------------------------------------


def test_reveal_is_a_post_that_writes_an_audit_record(world, client_for) -> None:
    client = client_for(world.alice)
    member = world.members_a[2]
    number = member.reveal_id_number()
    url = reverse("members:reveal", args=[member.pk])
    detail = reverse("members:detail", args=[member.pk])
    assert number not in html(client.get(detail))
    assert client.get(url).status_code == 405
    assert not ObjectChange.objects.filter(action="reveal").exists()

    fragment = html(client.post(url, **HTMX))
    assert number in fragment and "<html" not in fragment and 'id="id-number"' in fragment
    record = ObjectChange.objects.get(action="reveal")
    assert (record.user, record.object_id) == (world.alice, member.pk)
    assert "no-store" in client.post(url, **HTMX)["Cache-Control"]

    page = html(client.post(url))  # without htmx: the whole page, number in place
    assert number in page and "<html" in page
    assert ObjectChange.objects.filter(action="reveal", object_id=member.pk).count() == 3
    # and the next plain view is masked again, with each reveal listed in the history tab
    later = html(client.get(detail))
    assert number not in later and member.id_number_masked in later
    assert later.count("查看完整身份号码") >= 3


def test_full_number_is_never_shown_without_a_reveal_record(world, client_for) -> None:
    numbers = [m.reveal_id_number() for m in Member.objects.all()]
    for who in ("alice", "bob", "county_admin", "viewer", "dora"):
        client = client_for(getattr(world, who))
        pages = [client.get(list_url()), client.get(reverse("members:me"))]
        pages += [client.get(reverse("members:detail", args=[m.pk])) for m in Member.objects.all()]
        pages += [client.get(reverse("members:edit", args=[m.pk])) for m in Member.objects.all()]
        for response in pages:
            text = response.content.decode()
            assert not [n for n in numbers if n in text], who
    assert not ObjectChange.objects.filter(action="reveal").exists()


def test_member_reveals_own_number_from_me_page(world, client_for) -> None:
    client = client_for(world.dora)
    dora = Member.objects.get(user=world.dora)
    page = html(client.get(reverse("members:me")))
    assert reverse("members:reveal", args=[dora.pk]) in page
    assert dora.reveal_id_number() in html(client.post(reverse("members:reveal", args=[dora.pk]), **HTMX))
    assert ObjectChange.objects.filter(action="reveal", user=world.dora, object_id=dora.pk).exists()


# --- me -----------------------------------------------------------------------------------------------


def test_me_page(world, client_for) -> None:
    dora = Member.objects.get(user=world.dora)
    page = html(client_for(world.dora).get(reverse("members:me")))
    check_page(page)
    assert "赵敏" in page and dora.id_number_masked in page and dora.reveal_id_number() not in page
    assert "预备党员" in page and "2026-03-01" in page
    assert reverse("members:edit", args=[dora.pk]) not in page
    # a secretary with a record sees it read-only here too
    alice_page = html(client_for(world.alice).get(reverse("members:me")))
    assert "张伟" in alice_page and reverse("members:edit", args=[world.members_a[0].pk]) not in alice_page


@pytest.mark.parametrize("who", ["charlie", "county_admin", "bob", "viewer"])
def test_me_is_404_without_a_member_record(world, client_for, who) -> None:
    assert client_for(getattr(world, who)).get(reverse("members:me")).status_code == 404


def test_pages_require_login(world, client) -> None:
    for url in (list_url(), reverse("members:me"), reverse("members:detail", args=[world.members_a[0].pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- create -------------------------------------------------------------------------------------------


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "钱多多",
        "id_number": make_id(dt.date(1985, 3, 12), 77),
        "gender": "male",
        "ethnicity": "回族",
        "birth_date": "1985-03-12",
        "education": "college",
        "degree": "",
        "category": "farmer",
        "status": "full",
        "joined_on": "2010-06-30",
        "full_member_on": "2011-06-30",
        "standing_correction": "0",
        "work_unit": "",
        "job_post": "",
        "phone": "",
        "household_registration": "",
        "residence": "",
        "group": "",
    }
    data.update(overrides)
    return data


def create_url(code: str | None = "0101") -> str:
    return reverse("members:create") + (f"?org={code}" if code else "")


def test_create_form_page(world, client_for) -> None:
    org_services.create_group(actor=world.alice, org=world.branch_a, name="第一党小组")
    org_services.create_group(actor=world.bob, org=world.branch_b, name="村党小组")
    page = html(client_for(world.alice).get(create_url()))
    check_page(page)
    for label in (
        "姓名",
        "公民身份号码",
        "性别",
        "出生日期",
        "入党日期",
        "转正日期",
        "党小组",
        "学历",
        "人员类别",
    ):
        assert f">{label}</label>" in page, label
    assert page.count('type="date"') == 5  # birth, joined, full member, and the two 留党察看 dates
    assert "第一党小组" in page and "村党小组" not in page  # groups of this branch only
    assert "新华村" not in page


def test_create_saves_and_redirects(world, client_for) -> None:
    client = client_for(world.alice)
    group = org_services.create_group(actor=world.alice, org=world.branch_a, name="第一党小组")
    response = client.post(create_url(), form_data(group=str(group.pk)))
    member = Member.objects.get(name="钱多多")
    assert response.status_code == 302 and response["Location"] == reverse("members:detail", args=[member.pk])
    assert (member.org, member.group, member.ethnicity) == (world.branch_a, group, "回族")
    assert member.reveal_id_number() == make_id(dt.date(1985, 3, 12), 77)
    assert ObjectChange.objects.filter(action="create", object_id=member.pk).exists()


def test_create_with_a_bad_id_number_rerenders_with_the_chinese_error_and_saves_nothing(
    world, client_for
) -> None:
    client = client_for(world.alice)
    good = make_id(dt.date(1985, 3, 12), 77)
    before = (Member.objects.count(), Membership.objects.count(), ObjectChange.objects.count())
    cases = [
        (good[:17] + ("0" if good[17] != "0" else "1"), "公民身份号码校验码不正确"),
        ("1101011985", "公民身份号码应为18位，实际为10位"),
        (make_id(dt.date(1985, 3, 13), 77), "与出生日期（1985-03-12）不一致"),
    ]
    for number, message in cases:
        page = html(client.post(create_url(), form_data(id_number=number)))
        assert message in page, message
        assert 'id="id_id_number_error"' in page
        assert 'value="钱多多"' in page  # the rest of what was typed is kept
        check_page(page)
    assert (Member.objects.count(), Membership.objects.count(), ObjectChange.objects.count()) == before


def test_create_shows_rule_errors_on_their_fields(world, client_for) -> None:
    client = client_for(world.alice)
    page = html(client.post(create_url(), form_data(full_member_on="")))
    assert "正式党员须填写转正日期" in page and 'id="id_full_member_on_error"' in page
    page = html(client.post(create_url(), form_data(joined_on="2003-03-11", full_member_on="2004-03-11")))
    assert "入党时未满十八周岁" in page and 'id="id_joined_on_error"' in page
    page = html(client.post(create_url(), form_data(full_member_on="2011-06-29")))
    assert "转正日期须在入党日期满一年之后" in page
    # every problem at once: a missing field does not hide the identity number's error
    page = html(client.post(create_url(), form_data(education="", id_number="11010119850312")))
    assert 'id="id_education_error"' in page and "公民身份号码应为18位，实际为14位" in page
    assert not Member.objects.filter(name="钱多多").exists()


def test_duplicate_number_message_does_not_name_an_unseen_branch(world, client_for) -> None:
    number = world.members_b[0].reveal_id_number()
    page = html(
        client_for(world.alice).post(
            create_url(), form_data(id_number=number, birth_date="1980-05-17", gender="female")
        )
    )
    assert "已登记在其他党组织" in page and "新华村" not in page and "孙强" not in page
    page = html(
        client_for(world.county_admin).post(
            create_url(), form_data(id_number=number, birth_date="1980-05-17", gender="female")
        )
    )
    assert "新华村党支部" in page


def test_create_refuses_a_group_of_another_branch(world, client_for) -> None:
    other = org_services.create_group(actor=world.bob, org=world.branch_b, name="村党小组")
    page = html(client_for(world.alice).post(create_url(), form_data(group=str(other.pk))))
    assert 'id="id_group_error"' in page
    assert not Member.objects.filter(name="钱多多").exists()


def test_create_branch_choice(world, client_for) -> None:
    # alice has one branch: straight to the form
    assert 'name="id_number"' in html(client_for(world.alice).get(create_url(None)))
    client = client_for(world.county_admin)
    chooser = html(client.get(create_url(None)))
    check_page(chooser)
    assert 'name="id_number"' not in chooser
    assert {"0101", "0102", "010301"} == set(re.findall(r'<option value="(\d+)"', chooser))
    assert set(re.findall(r'<option value="(\d+)"', html(client.get(create_url("01"))))) == {
        "0101",
        "0102",
        "010301",
    }
    only = html(client.get(create_url("0103")))  # one branch under 0103: no choice to make
    assert 'name="id_number"' in only and "所在党支部：财政所党支部" in only
    assert 'name="id_number"' in html(client.get(create_url("0102")))
    assert client_for(world.alice).get(create_url("0102")).status_code == 404
    assert client_for(world.alice).post(create_url("0102"), form_data()).status_code == 404
    assert not Member.objects.filter(name="钱多多").exists()


# --- edit ---------------------------------------------------------------------------------------------


def edit_data(member: Member, **overrides: str) -> dict[str, str]:
    data = form_data(
        name=member.name,
        id_number="",
        gender=member.gender,
        ethnicity=member.ethnicity,
        birth_date=member.birth_date.isoformat(),
        education=member.education,
        category=member.category,
        status=member.status,
        joined_on=member.joined_on.isoformat(),
        full_member_on=member.full_member_on.isoformat() if member.full_member_on else "",
    )
    data.update(overrides)
    return data


def test_edit_shows_up_in_the_history_tab_with_before_and_after(world, client_for) -> None:
    client = client_for(world.alice)
    member = world.members_a[1]
    edit = reverse("members:edit", args=[member.pk])
    page = html(client.get(edit))
    check_page(page)
    assert 'value="王芳"' in page and member.id_number_masked in page
    response = client.post(edit, edit_data(member, phone="13900001111", education="postgraduate"))
    assert response.status_code == 302
    stored = Member.objects.get(pk=member.pk)
    assert (stored.phone, stored.education) == ("13900001111", "postgraduate")
    assert stored.reveal_id_number() == member.reveal_id_number()  # blank number: unchanged
    history = html(client.get(reverse("members:detail", args=[member.pk])))
    pane = history[history.index('id="pane-history"') :]
    assert re.search(
        r"联系电话</span>：\s*<del[^>]*>.*?—</del>\s*→\s*<ins[^>]*>.*?13900001111</ins>", pane, re.S
    )
    assert re.search(
        r"学历</span>：\s*<del[^>]*>.*?大学本科</del>\s*→\s*<ins[^>]*>.*?研究生</ins>", pane, re.S
    )
    assert "张伟" in pane and "修改" in pane  # the author by full name (alice)


def test_edit_with_a_new_number(world, client_for) -> None:
    member = world.members_a[1]
    new = make_id(dt.date(1980, 5, 17), 556)  # an even sex digit, as she is a woman
    response = client_for(world.alice).post(
        reverse("members:edit", args=[member.pk]), edit_data(member, id_number=new)
    )
    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).reveal_id_number() == new


def test_edit_with_bad_values_saves_nothing(world, client_for) -> None:
    client = client_for(world.alice)
    member = world.members_a[1]
    url = reverse("members:edit", args=[member.pk])
    before = ObjectChange.objects.count()
    page = html(client.post(url, edit_data(member, id_number="110101198005170019", phone="1")))
    assert "公民身份号码" in page and 'id="id_id_number_error"' in page
    page = html(client.post(url, edit_data(member, status="probationary", phone="1")))
    assert "预备党员不应有转正日期" in page
    page = html(client.post(url, edit_data(member, birth_date="2099-01-01", phone="1")))
    assert 'id="id_birth_date_error"' in page or 'id="id_id_number_error"' in page
    assert ObjectChange.objects.count() == before and Member.objects.get(pk=member.pk).phone == ""


def test_edit_group_select_is_limited_to_the_members_branch(world, client_for) -> None:
    mine = org_services.create_group(actor=world.county_admin, org=world.branch_a, name="甲组")
    other = org_services.create_group(actor=world.county_admin, org=world.branch_b, name="乙组")
    client = client_for(world.county_admin)
    member = world.members_a[1]
    page = html(client.get(reverse("members:edit", args=[member.pk])))
    assert "甲组" in page and "乙组" not in page
    page = html(
        client.post(reverse("members:edit", args=[member.pk]), edit_data(member, group=str(other.pk)))
    )
    assert 'id="id_group_error"' in page
    assert Member.objects.get(pk=member.pk).group is None
    client.post(reverse("members:edit", args=[member.pk]), edit_data(member, group=str(mine.pk)))
    assert Member.objects.get(pk=member.pk).group == mine


# --- transfer ----------------------------------------------------------------------------------------


def test_transfer_page(world, client_for) -> None:
    client = client_for(world.county_admin)
    member = world.members_a[2]
    url = reverse("members:transfer", args=[member.pk])
    page = html(client.get(url))
    check_page(page)
    assert set(re.findall(r'<option value="(\d+)"', page)) == {"0102", "010301"}  # not its own, not 01/0103
    response = client.post(url, {"to_org": "0102", "on": ""})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.org == world.branch_b
    assert list(Membership.objects.filter(member=member).values_list("org_code", "end_reason")) == [
        ("0102", ""),
        ("0101", "transfer"),
    ]
    detail = html(client.get(reverse("members:detail", args=[member.pk])))
    assert "组织关系转接" in detail and "新华村党支部" in detail


def test_transfer_cannot_target_a_branch_outside_scope(world, client_for) -> None:
    client = client_for(world.alice)
    member = world.members_a[2]
    url = reverse("members:transfer", args=[member.pk])
    page = html(client.get(url))
    assert "新华村" not in page and "没有您可以转入的其他党支部" in page
    page = html(client.post(url, {"to_org": "0102"}))
    assert "新华村" not in page
    assert Member.objects.get(pk=member.pk).org == world.branch_a
    assert not ObjectChange.objects.filter(action="update", object_id=member.pk).exists()


def test_transfer_in_the_future_is_refused_on_the_form(world, client_for) -> None:
    client = client_for(world.county_admin)
    member = world.members_a[2]
    page = html(
        client.post(reverse("members:transfer", args=[member.pk]), {"to_org": "0102", "on": "2999-01-01"})
    )
    assert "转接日期不能晚于今天" in page and 'id="id_on_error"' in page
    assert Member.objects.get(pk=member.pk).org == world.branch_a
