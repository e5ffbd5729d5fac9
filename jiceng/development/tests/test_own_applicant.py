"""An applicant's own home (我的): a person with a development file and an account of their own but no
member record sees their own timeline (steps done with dates, the next step, from when and by when) on
the home page and in /api/v1/me/sections/, nothing about other people, and every other page or endpoint
of development files answers 404, their own file's included (it holds the branch's assessments)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.core.models import User
from jiceng.core.testing import check_html
from jiceng.development import services
from jiceng.development.models import Development, StepKind
from jiceng.orgs.rules import add_months

from .helpers import person, walk

pytestmark = pytest.mark.django_db


def with_account(development: Development, username: str = "shenqing") -> User:
    user = User.objects.create_user(username, password="x", full_name=development.name)
    development.user = user
    development.save(update_fields=["user"])
    return user


def fresh_applicant(world, days: int = 10) -> Development:  # noqa: ANN001
    return services.apply(
        actor=world.alice,
        org=world.branch_a,
        on=timezone.localdate() - dt.timedelta(days=days),
        **person(3, name="林申请"),
    )


def test_an_applicant_sees_their_steps_and_the_talk_due_within_a_month(world, client_for) -> None:  # noqa: ANN001
    development = fresh_applicant(world)
    user = with_account(development)
    response = client_for(user).get("/")
    assert response.status_code == 200
    text = response.content.decode()
    check_html(text)
    assert "我的入党进程" in text and "当前阶段：入党申请人" in text
    timeline = text.split('data-own="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "提出入党申请" in timeline and development.applied_on.isoformat() in timeline
    talk = text.split('data-next="talk"', 1)[1].split("</li>", 1)[0]
    due = add_months(development.applied_on, 1)
    assert f"期限为{due.isoformat()}" in talk
    # The API says the same.
    data = {s["key"]: s["data"] for s in client_for(user).get("/api/v1/me/sections/").json()}
    assert set(data) == {"development.own"}
    own = data["development.own"]
    assert own["stage"] == "applicant" and [s["kind"] for s in own["steps"]] == ["application"]
    nxt = {n["kind"]: n for n in own["next_steps"]}
    assert nxt["talk"]["due"] == due.isoformat() and nxt["talk"]["past_due"] is False
    assert client_for(user).get("/api/v1/me/sections/development.own/").status_code == 200
    assert client_for(user).get("/api/v1/me/sections/members.record/").status_code == 404


def test_a_late_talk_is_said_plainly(world, client_for) -> None:  # noqa: ANN001
    development = fresh_applicant(world, days=50)
    user = with_account(development)
    talk = client_for(user).get("/").content.decode().split('data-next="talk"', 1)[1].split("</li>", 1)[0]
    assert "已过，请与党支部联系" in talk


def test_an_activist_sees_nothing_about_other_people(world, client_for) -> None:  # noqa: ANN001
    development = walk(
        world, until=StepKind.NOTICE, name="钱积极", start=timezone.localdate() - dt.timedelta(days=420)
    )
    user = with_account(development)
    text = client_for(user).get("/").content.decode()
    assert "当前阶段：入党积极分子" in text
    timeline = text.split('data-own="timeline"', 1)[1].split("</ol>", 1)[0]
    for label in ("提出入党申请", "党组织派人谈话", "确定为入党积极分子", "指定培养联系人", "发展对象公示"):
        assert label in timeline, label
    assert 'data-next="candidate"' in text
    # Not the talker's name, the mentors, the assessments or their notes; no one else's file.
    mentor = world.members_a[1].name
    for private in ("张伟", mentor, "培养考察", "表现良好", world.dora.full_name):
        assert private not in text.split("<main", 1)[1], private
    data = {s["key"]: s["data"] for s in client_for(user).get("/api/v1/me/sections/").json()}
    flat = str(data)
    for private in ("张伟", mentor, "review", "表现良好"):
        assert private not in flat, private


def test_a_withdrawn_applicant_still_sees_how_their_file_ended(world, client_for) -> None:  # noqa: ANN001
    development = fresh_applicant(world, days=40)
    user = with_account(development)
    services.record_step(
        actor=world.alice, development=development, kind=StepKind.WITHDRAWAL, on=timezone.localdate()
    )
    text = client_for(user).get("/").content.decode()
    assert "当前阶段：已终止培养" in text and 'data-own="next"' not in text


def test_an_applicant_reaches_no_page_or_endpoint_of_files(world, client_for) -> None:  # noqa: ANN001
    own = fresh_applicant(world)
    user = with_account(own)
    other = walk(world, until=StepKind.ACTIVIST, seq=2, name="别人")
    client = client_for(user)
    for pk in (own.pk, other.pk):
        for name in ("development:detail", "development:edit", "development:print"):
            assert client.get(reverse(name, args=[pk])).status_code == 404, (name, pk)
        assert client.post(reverse("development:reveal", args=[pk])).status_code == 404
        assert client.get(reverse("development:step", args=[pk, "talk"])).status_code == 404
        assert client.post(reverse("accounts:development_code", args=[pk])).status_code == 404
    assert client.get(reverse("development:board", args=[world.branch_a.code])).status_code == 404
    assert client.get(reverse("members:me")).status_code == 404
    assert client.get(reverse("members:detail", args=[world.members_a[1].pk])).status_code == 404
    from rest_framework.test import APIClient

    rest = APIClient()
    rest.force_login(user)
    listed = rest.get("/api/v1/development/")
    assert listed.status_code == 200 and listed.json()["results"] == []
    for pk in (own.pk, other.pk):
        assert rest.get(f"/api/v1/development/{pk}/").status_code == 404
    assert rest.get("/api/v1/members/").json()["results"] == []
    assert rest.get(f"/api/v1/members/{world.members_a[1].pk}/").status_code == 404
    # Another applicant with an account sees only their own file.
    other_user = with_account(other, "bieren")
    rest.force_login(other_user)
    theirs = {s["key"]: s["data"] for s in rest.get("/api/v1/me/sections/").json()}
    assert theirs["development.own"]["stage"] == "activist"
    rest.force_login(user)
    again = {s["key"]: s["data"] for s in rest.get("/api/v1/me/sections/").json()}
    assert again["development.own"]["stage"] == "applicant"
