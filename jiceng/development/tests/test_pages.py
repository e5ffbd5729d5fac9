"""The development pages for each named user: what they show, record, refuse and hide."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.core.models import ObjectChange
from jiceng.core.testing import page
from jiceng.development import rules, services
from jiceng.development.models import Development, Stage, Step, StepKind
from jiceng.development.tests.helpers import START, VOTES, person, plan, walk
from jiceng.life import services as life_services
from jiceng.members.models import Member

pytestmark = pytest.mark.django_db


def detail_url(d: Development) -> str:
    return reverse("development:detail", args=[d.pk])


def step_url(d: Development, kind: str) -> str:
    return reverse("development:step", args=[d.pk, kind])


def planned(world, kind: str, nth: int = 0) -> tuple[dt.date, dict]:  # noqa: ANN001
    """The date and evidence ``helpers.plan`` gives the ``nth`` step of ``kind``."""
    return [(on, ev) for k, on, ev in plan(world) if k == kind][nth]


def form_data(on: dt.date, evidence: dict) -> dict[str, object]:
    data: dict[str, object] = {"on": on.isoformat()}
    for key, value in evidence.items():
        data[key] = (
            [str(v) for v in value]
            if key == "people"
            else (value.isoformat() if isinstance(value, dt.date) else value)
        )
    return data


# ---- Every page answers for the branch's secretary -------------------------------------------


def test_every_page_answers_for_the_secretary(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.MENTORS)
    client = client_for(world.alice)
    assert client.get(reverse("development:index")).url == reverse("development:board", args=["0101"])
    urls = [
        reverse("development:board", args=["0101"]),
        reverse("development:apply") + "?org=0101",
        detail_url(d),
        reverse("development:print", args=[d.pk]),
        reverse("development:edit", args=[d.pk]),
        *[step_url(d, kind) for kind in rules.STEP_FIELDS if kind != StepKind.APPLICATION],
    ]
    for url in urls:
        text = page(client.get(url))
        assert "申请人1" in text or url.endswith("?org=0101"), url
    people = client.get(reverse("development:people", args=[d.pk]) + "?kind=sponsors&q=wf")
    assert people.status_code == 200
    assert client.get(step_url(d, "application")).status_code == 404
    assert client.get(step_url(d, "nonsense")).status_code == 404


def test_step_form_shows_only_its_kinds_fields(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.APPLICATION)
    client = client_for(world.alice)
    talk = page(client.get(step_url(d, StepKind.TALK)))
    assert 'name="person_name"' in talk and 'name="votes_yes"' not in talk and 'name="people"' not in talk
    admission = page(client.get(step_url(d, StepKind.ADMISSION)))
    assert 'name="votes_yes"' in admission and 'name="meeting"' in admission
    assert 'name="person_name"' not in admission and 'name="months"' not in admission
    mentors = page(client.get(step_url(d, StepKind.MENTORS)))
    # The branch's full members are offered (dora, probationary, is not).
    assert "王芳" in mentors and "赵敏" not in mentors and 'name="votes_yes"' not in mentors


def test_committee_admin_sees_every_page_of_the_subtree(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    client = client_for(world.county_admin)
    assert client.get(reverse("development:index")).url == reverse("development:board", args=["01"])
    for url in (reverse("development:board", args=["01"]), detail_url(d), step_url(d, StepKind.ACTIVIST)):
        page(client.get(url))
    # From a committee the application form asks for the branch first.
    text = page(client.get(reverse("development:apply") + "?org=01"))
    assert "请先选择党支部" in text


# ---- Scope ---------------------------------------------------------------------------------------


def test_files_outside_the_subtree_are_404(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    talk = d.steps.get(kind=StepKind.TALK)
    gets = [
        detail_url(d),
        reverse("development:print", args=[d.pk]),
        reverse("development:edit", args=[d.pk]),
        step_url(d, StepKind.ACTIVIST),
        reverse("development:people", args=[d.pk]) + "?kind=mentors&q=w",
        reverse("development:board", args=["0101"]),
        reverse("development:apply") + "?org=0101",
    ]
    posts = [
        step_url(d, StepKind.ACTIVIST),
        reverse("development:edit", args=[d.pk]),
        reverse("development:reveal", args=[d.pk]),
        reverse("development:step_delete", args=[talk.pk]),
    ]
    for user in (world.bob, world.charlie, world.dora):
        client = client_for(user)
        for url in gets:
            assert client.get(url).status_code == 404, (user, url)
        for url in posts:
            assert client.post(url, {"on": "2023-05-01"}).status_code == 404, (user, url)
    assert client_for(world.alice).get(reverse("development:board", args=["0102"])).status_code == 404
    assert client_for(world.alice).get(reverse("development:board", args=["01"])).status_code == 404
    assert Step.objects.filter(development=d).count() == 2


def test_a_viewer_reads_but_every_write_is_403(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    talk = d.steps.get(kind=StepKind.TALK)
    client = client_for(world.viewer)
    text = page(client.get(detail_url(d)))
    assert "显示完整号码" not in text and "删除此环节" not in text and "记录其他环节" not in text
    page(client.get(reverse("development:print", args=[d.pk])))
    page(client.get(reverse("development:board", args=["01"])))
    for url in (step_url(d, StepKind.ACTIVIST), reverse("development:edit", args=[d.pk])):
        assert client.get(url).status_code == 403
    assert client.get(reverse("development:apply") + "?org=0101").status_code == 403
    assert client.get(reverse("development:apply")).status_code == 403
    activist_on, evidence = planned(world, StepKind.ACTIVIST)
    posts = {
        step_url(d, StepKind.ACTIVIST): form_data(activist_on, evidence),
        reverse("development:edit", args=[d.pk]): {"name": "改名"},
        reverse("development:reveal", args=[d.pk]): {},
        reverse("development:step_delete", args=[talk.pk]): {},
        reverse("development:apply") + "?org=0101": {"name": "新人"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    d.refresh_from_db()
    assert (d.stage, d.name, d.steps.count()) == (Stage.APPLICANT, "申请人1", 2)
    assert not ObjectChange.objects.filter(action="reveal").exists()


# ---- Recording steps -------------------------------------------------------------------------------


def test_a_step_through_the_page_changes_the_stage(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    on, evidence = planned(world, StepKind.ACTIVIST)
    response = client_for(world.alice).post(step_url(d, StepKind.ACTIVIST), form_data(on, evidence))
    assert response.status_code == 302 and response.url == detail_url(d)
    d.refresh_from_db()
    assert (d.stage, d.stage_since) == (Stage.ACTIVIST, on)
    step = d.steps.get(kind=StepKind.ACTIVIST)
    assert (step.recommendation, step.filed_on, step.recorded_by) == (
        "party_members",
        on + dt.timedelta(3),
        world.alice,
    )
    text = page(client_for(world.alice).get(detail_url(d)))
    assert "入党积极分子" in text and "党员推荐" in text


def test_a_refused_step_shows_the_rule_and_the_earliest_date_and_saves_nothing(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.REVIEW)
    activist_on, _evidence = planned(world, StepKind.ACTIVIST)
    too_early = activist_on + dt.timedelta(days=200)
    before = list(d.steps.values_list("pk", flat=True))
    response = client_for(world.alice).post(step_url(d, StepKind.CANDIDATE), {"on": too_early.isoformat()})
    text = page(response)
    earliest = activist_on.replace(year=activist_on.year + 1)
    assert "dev.activist_min_period" in text
    assert f"<strong data-earliest>{earliest.isoformat()}</strong>" in text
    assert "中国共产党发展党员工作细则" in text  # the citation
    assert "dev.public_notice" in text  # every reason at once, not only the first
    assert "未保存任何内容" in text
    assert list(d.steps.values_list("pk", flat=True)) == before
    d.refresh_from_db()
    assert d.stage == Stage.ACTIVIST


def test_bad_input_stays_on_the_form(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.APPLICATION)
    client = client_for(world.alice)
    text = page(client.post(step_url(d, StepKind.TALK), {"on": "2023-03-10"}))  # no person_name
    assert "id_person_name_error" in text and d.steps.count() == 1
    text = page(client.post(step_url(d, StepKind.TALK), {"on": "not a date", "person_name": "张伟"}))
    assert d.steps.count() == 1
    future = timezone.localdate() + dt.timedelta(days=3)
    text = page(client.post(step_url(d, StepKind.TALK), {"on": future.isoformat(), "person_name": "张伟"}))
    assert "dev.sequence" in text and d.steps.count() == 1


def test_mentors_and_sponsors_are_chosen_from_members(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.CANDIDATE)
    on, _evidence = planned(world, StepKind.SPONSORS)
    client = client_for(world.alice)
    dora = Member.objects.get(user=world.dora)
    # dora is a probationary member: the rule refuses her as a sponsor, with its code.
    text = page(
        client.post(
            step_url(d, StepKind.SPONSORS),
            {"on": on.isoformat(), "people": [world.members_a[1].pk, dora.pk]},
        )
    )
    assert "dev.sponsors" in text and not d.steps.filter(kind=StepKind.SPONSORS).exists()
    # The re-shown form keeps both ticked.
    assert f'value="{dora.pk}" id="id_people_{dora.pk}" checked' in text
    # A member of another branch, outside alice's scope, is not accepted.
    text = page(
        client.post(
            step_url(d, StepKind.SPONSORS),
            {"on": on.isoformat(), "people": [world.members_a[1].pk, world.members_b[0].pk]},
        )
    )
    assert not d.steps.filter(kind=StepKind.SPONSORS).exists()
    response = client.post(
        step_url(d, StepKind.SPONSORS),
        {"on": on.isoformat(), "people": [world.members_a[1].pk, world.members_a[2].pk]},
    )
    assert response.status_code == 302
    assert set(d.steps.get(kind=StepKind.SPONSORS).people.all()) == {world.members_a[1], world.members_a[2]}


def test_member_search_finds_full_members_in_the_users_scope(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.CANDIDATE)
    url = reverse("development:people", args=[d.pk]) + "?kind=sponsors&q=sq"
    # 孙强 of branch 0102: beyond alice's scope, within the county admin's.
    assert "孙强" not in client_for(world.alice).get(url).content.decode()
    found = client_for(world.county_admin).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "孙强" in found and "新华村党支部" in found and 'name="people"' in found
    # A ticked member comes back ticked; the branch's own members are never repeated.
    ticked = (
        client_for(world.county_admin)
        .get(
            reverse("development:people", args=[d.pk])
            + f"?kind=sponsors&q=zw&people={world.members_b[0].pk}&people={world.members_a[1].pk}"
        )
        .content.decode()
    )
    assert f'value="{world.members_b[0].pk}" id="found_people_{world.members_b[0].pk}" checked' in ticked
    assert f'value="{world.members_a[1].pk}"' not in ticked and "张伟" not in ticked
    # The county admin records 孙强 as a sponsor from another branch.
    on, _evidence = planned(world, StepKind.SPONSORS)
    response = client_for(world.county_admin).post(
        step_url(d, StepKind.SPONSORS),
        {"on": on.isoformat(), "people": [world.members_a[1].pk, world.members_b[0].pk]},
    )
    assert response.status_code == 302
    assert (
        client_for(world.alice).get(reverse("development:people", args=[d.pk]) + "?kind=talk&q=w").status_code
        == 404
    )  # a kind without people


def test_admission_linked_to_a_general_meeting_takes_its_figures(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.PRE_REVIEW)
    on, _evidence = planned(world, StepKind.ADMISSION)
    meeting = life_services.record_meeting(
        actor=world.alice,
        org=world.branch_a,
        kind="general_meeting",
        held_on=on,
        topic="讨论接收预备党员",
        voted=True,
        **VOTES,
    )
    client = client_for(world.alice)
    text = page(client.get(step_url(d, StepKind.ADMISSION)))
    assert "讨论接收预备党员" in text
    response = client.post(step_url(d, StepKind.ADMISSION), {"on": on.isoformat(), "meeting": meeting.pk})
    assert response.status_code == 302, response.content.decode()
    d.refresh_from_db()
    step = d.steps.get(kind=StepKind.ADMISSION)
    assert (step.meeting, step.votes_yes, d.stage) == (meeting, 5, Stage.PROBATIONARY)
    assert d.member is not None and d.member.status == "probationary"
    # The member's page links back to the file, and the file to the member.
    member_page = page(client.get(reverse("members:detail", args=[d.member.pk])))
    assert detail_url(d) in member_page
    assert reverse("members:detail", args=[d.member.pk]) in page(client.get(detail_url(d)))


def test_remove_only_the_latest_step(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.MENTORS)
    client = client_for(world.alice)
    talk = d.steps.get(kind=StepKind.TALK)
    mentors = d.steps.get(kind=StepKind.MENTORS)
    text = page(client.get(detail_url(d)))
    assert reverse("development:step_delete", args=[mentors.pk]) in text
    assert reverse("development:step_delete", args=[talk.pk]) not in text
    response = client.post(reverse("development:step_delete", args=[talk.pk]), follow=True)
    assert "只能删除最近记录的一个环节" in response.content.decode()
    assert d.steps.filter(pk=talk.pk).exists()
    client.post(reverse("development:step_delete", args=[mentors.pk]))
    assert not d.steps.filter(pk=mentors.pk).exists()
    assert ObjectChange.objects.filter(action="delete", object_id=mentors.pk).exists()


# ---- Opening a file, editing it, revealing the number ------------------------------------------------


def test_apply_through_the_page(world, client_for) -> None:  # noqa: ANN001
    client = client_for(world.alice)
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in person(7).items()}
    data |= {"ethnicity": "汉族", "on": START.isoformat(), "note": "递交入党申请书"}
    response = client.post(reverse("development:apply") + "?org=0101", data)
    d = Development.objects.get()
    assert response.status_code == 302 and response.url == detail_url(d)
    assert (d.org, d.stage, d.applied_on, d.name) == (world.branch_a, Stage.APPLICANT, START, "申请人7")
    # The same person again: refused without naming a branch.
    text = page(client.post(reverse("development:apply") + "?org=0101", data))
    assert "此人已有正在进行的发展党员档案" in text and Development.objects.count() == 1


def test_an_applicant_under_18_is_refused_with_the_rule(world, client_for) -> None:  # noqa: ANN001
    birth = dt.date(2010, 5, 20)
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in person(8, birth=birth).items()}
    data |= {"ethnicity": "汉族", "on": "2026-01-05"}
    text = page(client_for(world.alice).post(reverse("development:apply") + "?org=0101", data))
    assert "dev.min_age" in text and "<strong data-earliest>2028-05-20</strong>" in text
    assert not Development.objects.exists()


def test_edit_the_persons_details(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.TALK)
    client = client_for(world.alice)
    text = page(client.get(reverse("development:edit", args=[d.pk])))
    assert 'value="申请人1"' in text
    data = {f: getattr(d, f) for f in services.PERSON_FIELDS}
    data |= {"work_unit": "和平社区居委会", "phone": "13800000000", "birth_date": d.birth_date.isoformat()}
    response = client.post(reverse("development:edit", args=[d.pk]), data)
    assert response.status_code == 302
    d.refresh_from_db()
    assert (d.work_unit, d.phone) == ("和平社区居委会", "13800000000")
    text = page(client.post(reverse("development:edit", args=[d.pk]), data | {"name": ""}))
    d.refresh_from_db()
    assert d.name == "申请人1"


def test_reveal_the_identity_number_is_audited(world, client_for) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.APPLICATION)
    number = person(1)["id_number"]
    client = client_for(world.alice)
    assert number not in client.get(detail_url(d)).content.decode()
    fragment = client.post(
        reverse("development:reveal", args=[d.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert number in fragment and "<html" not in fragment
    assert client.get(reverse("development:reveal", args=[d.pk])).status_code == 405
    change = ObjectChange.objects.get(action="reveal")
    assert (change.user_name, change.object_id) == ("alice", d.pk)


# ---- Boards ------------------------------------------------------------------------------------------


def test_branch_board_counts_and_lists_a_late_talk(world, client_for) -> None:  # noqa: ANN001
    today = timezone.localdate()
    late = services.apply(
        actor=world.alice, org=world.branch_a, on=today - dt.timedelta(days=60), **person(2, name="迟谈话")
    )
    walk(world, until=StepKind.TALK, seq=3, name="按时")
    walk(world, until=StepKind.CANDIDATE, seq=4, name="对象")
    response = client_for(world.alice).get(reverse("development:board", args=["0101"]))
    text = page(response)
    counts = {stage: n for stage, _label, n in response.context["stage_counts"]}
    assert (counts["applicant"], counts["activist"], counts["candidate"]) == (2, 0, 1)
    overdue = response.context["overdue"]
    talk_late = [(f, fid) for f, fid in overdue if f.rule == "dev.talk_within_month"]
    assert [(f.member_name, fid) for f, fid in talk_late] == [("迟谈话", late.pk)]
    assert 'data-rule="dev.talk_within_month"' in text and detail_url(late) in text
    columns = {
        stage: [s.development.name for s, _n in states] for stage, _l, states in response.context["columns"]
    }
    assert sorted(columns["applicant"]) == ["按时", "迟谈话"] and columns["candidate"] == ["对象"]
    # The late file's own page says so too.
    assert "dev.talk_within_month" in page(client_for(world.alice).get(detail_url(late)))


def test_committee_board_counts_its_childrens_files(world, client_for) -> None:  # noqa: ANN001
    walk(world, until=StepKind.TALK, seq=1)
    walk(world, until=StepKind.ACTIVIST, seq=2)
    services.apply(actor=world.county_admin, org=world.branch_c, on=START, **person(3))
    response = client_for(world.county_admin).get(reverse("development:board", args=["01"]))
    text = page(response)
    rows = {row["org"].code: row for row in response.context["children"]}
    assert (rows["0101"]["total"], rows["0102"]["total"], rows["0103"]["total"]) == (2, 0, 1)
    assert rows["0101"]["counts"][:2] == [1, 1]
    # 0101: an activist unreviewed since 2023; 0103 (through 010301): an applicant nobody talked with.
    assert (rows["0101"]["late"], rows["0102"]["late"], rows["0103"]["late"]) == (1, 0, 1)
    assert reverse("development:board", args=["0103"]) in text
    counts = {stage: n for stage, _label, n in response.context["stage_counts"]}
    assert (counts["applicant"], counts["activist"]) == (2, 1)


def test_org_page_links_to_its_board_and_nav_entry(world, client_for) -> None:  # noqa: ANN001
    text = page(client_for(world.alice).get(reverse("orgs:detail", args=["0101"])))
    assert reverse("development:board", args=["0101"]) in text
    assert reverse("development:index") in text


def test_index_without_any_role(world, client_for) -> None:  # noqa: ANN001
    text = page(client_for(world.charlie).get(reverse("development:index")))
    assert "您没有可查看的组织" in text


def test_print_view_holds_the_whole_file(world, client_for) -> None:  # noqa: ANN001
    d = walk(world)
    text = page(client_for(world.alice).get(reverse("development:print", args=[d.pk])))
    assert "jiceng/print.css" in text and "jiceng/print.js" in text
    for kind, label in StepKind.choices:
        if d.steps.filter(kind=kind).exists():
            assert str(label) in text, label
    assert "王芳" in text and "李娜" in text  # the mentor, the sponsors
    assert "应到会有表决权的正式党员5人，实到5人，赞成5票" in text
    assert d.id_number_masked in text and person(1)["id_number"] not in text
    assert "正式党员" in text and "预备期满日期" in text
