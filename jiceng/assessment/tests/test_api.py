"""The API: define a scheme (JSON tree or the editor's text), run it, read the results and a trace."""

from __future__ import annotations

from rest_framework.test import APIClient

from jiceng.assessment import definition
from jiceng.assessment.models import Scheme

from .helpers import TREE
from .year import generate


def client(user):  # noqa: ANN001, ANN201
    c = APIClient()
    c.force_login(user)
    return c


def test_define_run_and_read(world):
    generate(world)
    c = client(world.county_admin)
    indicators = c.get("/api/v1/assessment/indicators/").json()
    assert {"life.months_complete", "tasks.on_time", "dues.collection_rate"} <= {i["key"] for i in indicators}
    body = {"owner": "01", "name": "星级评定", "year": 2025, "definition_text": TREE, "rank_siblings": True}
    created = c.post("/api/v1/assessment/schemes/", body, format="json")
    assert created.status_code == 201, created.json()
    sid = created.json()["id"]
    assert created.json()["definition"] == definition.parse_text(TREE)
    score = c.post(
        f"/api/v1/assessment/schemes/{sid}/panel-scores/",
        {"node_key": "1.2", "org": "0101", "points": "8", "justification": "记录完整"},
        format="json",
    )
    assert score.status_code == 201
    run = c.post(f"/api/v1/assessment/schemes/{sid}/run/", {"as_of": "2025-12-31"}, format="json")
    assert run.status_code == 201 and run.json()["status"] == "done" and run.json()["progress"] == 100
    rid = run.json()["id"]
    results = c.get(f"/api/v1/assessment/runs/{rid}/results/").json()["results"]
    assert [(r["org"], r["score"], r["grade"]) for r in results] == [
        ("0101", "90.00", "四星"),
        ("0102", "57.14", "三星"),  # no panel score: 100 × (40 × 1 + 30 × 0) / 70
        ("010301", "0.00", ""),
    ]
    detail = c.get(f"/api/v1/assessment/results/{results[0]['id']}/").json()
    assert detail["values"]["4"]["share"] is None and "暂无数据" in detail["values"]["4"]["note"]
    assert detail["trace"]["2"]["records"][0]["status"] == "按时完成"
    patched = c.patch(f"/api/v1/assessment/schemes/{sid}/", {"name": "新名称"}, format="json")
    assert patched.status_code == 200 and patched.json()["version"] == 2


def test_refusals_name_the_field(world):
    c = client(world.county_admin)
    bad = TREE.replace("任务落实 | 30", "任务落实 | 35")
    body = {"owner": "01", "name": "星级评定", "year": 2025, "definition_text": bad}
    response = c.post("/api/v1/assessment/schemes/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["definition"][0]["message"] == "一级指标权重之和为105，应等于总分100"
    body = {**body, "definition_text": TREE, "owner": "0101"}
    response = c.post("/api/v1/assessment/schemes/", body, format="json")
    assert response.status_code == 400 and "owner" in response.json()["errors"]
    body = {**body, "owner": "01", "grading": {"method": "quota", "grades": [{"label": "五星", "quota": 0}]}}
    response = c.post("/api/v1/assessment/schemes/", body, format="json")
    assert response.status_code == 400 and "grading" in response.json()["errors"]
    assert not Scheme.objects.exists()
