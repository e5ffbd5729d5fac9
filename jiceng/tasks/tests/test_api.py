"""The tasks API: issue, answer by confirming a record, pass on, completion figures, remind, lists."""

from __future__ import annotations

import datetime as dt

import pytest

from jiceng.tasks.models import Reminder, Task

from .helpers import theme_day, today

pytestmark = pytest.mark.django_db


def issue(api, **extra):  # noqa: ANN001, ANN201
    body = {
        "issuer": "01",
        "title": "开展主题党日",
        "deadline": (today() + dt.timedelta(days=7)).isoformat(),
        "target": "all_branches",
        "answer_kind": "meeting",
        "meeting_kind": "theme_day",
        **extra,
    }
    return api("county_admin").post("/api/v1/tasks/", body, format="json")


def test_issue_answer_and_completion(world, api):
    r = issue(api)
    assert r.status_code == 201, r.json()
    task_id = r.json()["id"]
    assert r.json()["assigned"] == 3
    alice = api("alice")
    mine = alice.get("/api/v1/tasks/assignments/?mine=true").json()["results"]
    assert [a["org"] for a in mine] == ["0101"] and mine[0]["status"] == "open"
    aid = mine[0]["id"]
    assert alice.get(f"/api/v1/tasks/assignments/{aid}/proposals/").json() == []
    meeting = theme_day(world)
    proposals = alice.get(f"/api/v1/tasks/assignments/{aid}/proposals/").json()
    assert [p["id"] for p in proposals] == [meeting.pk]
    assert alice.post(f"/api/v1/tasks/assignments/{aid}/answer/", {}, format="json").status_code == 400
    done = alice.post(f"/api/v1/tasks/assignments/{aid}/answer/", {"record": meeting.pk}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "answered"
    fig = api("county_admin").get(f"/api/v1/tasks/{task_id}/completion/").json()
    assert (fig["node"]["total"], fig["node"]["answered"], fig["node"]["open"]) == (3, 1, 2)
    assert {c["org"] for c in fig["children"]} == {"0101", "0102", "0103"}
    down = api("county_admin").get(f"/api/v1/tasks/{task_id}/completion/?org=0103").json()
    assert [c["org"] for c in down["children"]] == ["010301"]
    # Outside the scope: the task and its completion are not found.
    assert api("bob").get(f"/api/v1/tasks/{task_id}/completion/").status_code == 404
    assert api("bob").get(f"/api/v1/tasks/assignments/{aid}/").status_code == 404


def test_refusals_are_named(world, api):
    r = issue(api, answer_kind="file", file_reason="")
    assert r.status_code == 400 and "file_reason" in str(r.json())
    assert issue(api, issuer="0101").status_code == 400  # a branch issues nothing
    assert not Task.objects.exists()


def test_pass_on_and_remind(world, api):
    task_id = issue(
        api, target="next_level", answer_kind="text", deadline=(today() + dt.timedelta(days=3)).isoformat()
    ).json()["id"]
    relay = api("county_admin").get(f"/api/v1/tasks/assignments/?task={task_id}").json()["results"]
    relay_id = next(a["id"] for a in relay if a["relay"])
    late = api("county_admin").post(
        f"/api/v1/tasks/assignments/{relay_id}/pass-on/",
        {"deadline": (today() + dt.timedelta(days=4)).isoformat(), "target": "all_branches"},
        format="json",
    )
    assert late.status_code == 400 and "deadline" in str(late.json())
    ok = api("county_admin").post(
        f"/api/v1/tasks/assignments/{relay_id}/pass-on/",
        {"deadline": today().isoformat(), "target": "all_branches"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["parent"] == task_id
    fig = api("county_admin").get(f"/api/v1/tasks/{task_id}/completion/").json()["node"]
    assert (fig["total"], fig["relays"], fig["relays_passed"]) == (3, 1, 1)
    Task.objects.filter(pk=task_id).first().assignments.update(deadline=today() - dt.timedelta(days=1))
    r = api("county_admin").post(f"/api/v1/tasks/{task_id}/remind/", {"note": "请抓紧"}, format="json")
    assert r.status_code == 200 and r.json()["reminded"] == 2  # 0101 and 0102; the relay was passed on
    assert Reminder.objects.filter(note="请抓紧").count() == 2


def test_responsibility_lists(world, api):
    c = api("county_admin")
    r = c.post(
        "/api/v1/tasks/responsibilities/",
        {"org": "01", "year": 2026, "content": "抓好党建", "post": "secretary"},
        format="json",
    )
    assert r.status_code == 201
    c.post(
        "/api/v1/tasks/responsibilities/",
        {"org": "0103", "year": 2026, "content": "督促三会一课", "carrier": "010301"},
        format="json",
    )
    lists = c.get("/api/v1/tasks/responsibilities/?org=01&year=2026").json()
    assert [x["org"] for x in lists] == ["01", "0103"]
    assert lists[1]["items"][0]["carrier"] == "010301"
    assert api("alice").get("/api/v1/tasks/responsibilities/?year=2026").json() == []


def test_openapi_schema_lists_the_endpoints(world, api):
    schema = api("county_admin").get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/tasks/",
        "/api/v1/tasks/{id}/completion/",
        "/api/v1/tasks/assignments/{id}/answer/",
        "/api/v1/tasks/responsibilities/",
    ):
        assert path in schema["paths"], path
