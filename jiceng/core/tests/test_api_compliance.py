"""The compliance API: findings (scoped), rule sets in force, new rule versions (system administrators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone, translation

from jiceng.core import compliance
from jiceng.core.models import ObjectChange, RuleVersion
from jiceng.core.rulebook import SPECS


@pytest.fixture(autouse=True)
def _in_chinese() -> Any:
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


pytestmark = pytest.mark.urls("jiceng.reports.tests.urls")

KEYS = {"org_code", "rule", "period", "member", "params", "citation", "message"}


def findings(client: Any, **query: Any) -> Any:
    return client.get("/api/v1/findings/", query)


def test_findings_of_a_subtree_with_the_contract_keys(world: Any, client_for: Any) -> None:
    response = findings(client_for(world.county_admin), org="01", period="2026-Q1", page_size=500)
    assert response.status_code == 200
    body = response.json()
    expected = [f.as_json() for f in compliance.evaluate(world.root, "2026-Q1")]
    assert body["count"] == len(expected)
    assert body["results"] == expected
    assert all(set(item) == KEYS for item in body["results"])


def test_findings_filtered_by_rule_and_paginated(world: Any, client_for: Any) -> None:
    client = client_for(world.viewer)
    one = findings(client, org="01", period="2026", rule="life.theme_day_monthly", page_size=10).json()
    assert one["count"] == 36 and len(one["results"]) == 10 and one["next"]
    assert {r["rule"] for r in one["results"]} == {"life.theme_day_monthly"}


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("alice", "0101", 200),
        ("alice", "0102", 404),
        ("alice", "01", 404),
        ("bob", "0101", 404),
        ("dora", "0101", 404),
        ("charlie", "0101", 404),
        ("sysadmin", "0101", 404),
        ("county_admin", "010301", 200),
        ("alice", "nonexistent", 404),
        ("alice", "01\x0001", 400),  # a NUL byte: refused before any view (BadInputMiddleware)
        ("alice", "0101' OR '1'='1", 404),
    ],
)
def test_findings_are_scoped(world: Any, client_for: Any, who: str, code: str, status: int) -> None:
    response = findings(client_for(getattr(world, who)), org=code, period="2026-Q1")
    assert response.status_code == status
    if status == 404:
        assert response.json() == {"code": "not_found", "message": "未找到"}
    elif status == 200:
        assert {r["org_code"] for r in response.json()["results"]} <= {code}


def test_alice_never_sees_0102_after_the_root_was_evaluated(world: Any, client_for: Any) -> None:
    findings(client_for(world.county_admin), org="01", period="2026-Q1")
    body = findings(client_for(world.alice), org="0101", period="2026-Q1", page_size=500).json()
    assert {r["org_code"] for r in body["results"]} == {"0101"}


@pytest.mark.parametrize(
    ("query", "field", "text"),
    [
        ({"org": "0101"}, "period", "请提供期间"),
        ({"org": "0101", "period": "2026-Q7"}, "period", "无法识别的期间"),
        ({"org": "0101", "period": "9999"}, "period", "期间超出范围"),
        ({"period": "2026-Q1"}, "org", "请提供组织编码"),
        ({"org": "0101", "period": "2026-Q1", "rule": "org.nothing"}, "rule", "未知的规则编码"),
    ],
)
def test_bad_queries_answer_400_in_chinese(
    world: Any, client_for: Any, query: dict, field: str, text: str
) -> None:
    response = findings(client_for(world.alice), **query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and text in body["errors"][field][0]["message"]


def test_anonymous_callers_get_nothing(world: Any, client: Any) -> None:
    assert findings(client, org="0101", period="2026-Q1").status_code == 401
    assert client.get("/api/v1/rules/").status_code == 401


def test_rules_in_force_today_with_their_versions(world: Any, client_for: Any) -> None:
    today = timezone.localdate()
    RuleVersion.objects.create(
        code="org.branch_too_large",
        effective_from=today - dt.timedelta(days=1),
        params={"max_members": 60},
        citation="新规定",
    )
    RuleVersion.objects.create(
        code="org.branch_too_large",
        effective_from=today + dt.timedelta(days=30),
        params={"max_members": 40},
        citation="更新",
    )
    body = client_for(world.alice).get("/api/v1/rules/").json()
    assert [r["code"] for r in body] == [s.code for s in SPECS]
    large = next(r for r in body if r["code"] == "org.branch_too_large")
    assert large["params"] == {"max_members": 60} and large["citation"] == "新规定"
    assert large["effective_from"] == (today - dt.timedelta(days=1)).isoformat()
    assert large["defaults"] == {"max_members": 50}
    assert [v["params"] for v in large["versions"]] == [{"max_members": 60}, {"max_members": 40}]
    small = next(r for r in body if r["code"] == "org.branch_too_small")
    assert (
        small["effective_from"] is None
        and small["params"] == {"min_full_members": 3}
        and small["versions"] == []
    )
    later = client_for(world.alice).get(
        "/api/v1/rules/org.branch_too_large/", {"day": (today + dt.timedelta(days=31)).isoformat()}
    )
    assert later.status_code == 200 and later.json()["params"] == {"max_members": 40}
    assert client_for(world.alice).get("/api/v1/rules/org.nothing/").status_code == 404


def test_a_system_administrator_adds_a_version_and_it_is_audited(world: Any, client_for: Any) -> None:
    payload = {
        "effective_from": "2026-05-01",
        "params": {"probation_years": 2},
        "citation": "中国共产党发展党员工作细则（2026年修订）",
        "note": "示例",
    }
    response = client_for(world.sysadmin).post(
        "/api/v1/rules/member.probation_overdue/versions/", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["params"] == {"probation_years": 2}
    version = RuleVersion.objects.get(code="member.probation_overdue")
    assert version.created_by == world.sysadmin
    change = ObjectChange.objects.get(
        action="create", object_id=version.pk, content_type__model="ruleversion"
    )
    assert change.user == world.sysadmin and change.postchange_data["params"] == {"probation_years": 2}
    # Evaluations judge with it from its effective date on.
    found = [f for f in compliance.evaluate(world.root, "2027-06-30") if f.rule == "member.probation_overdue"]
    assert found == []  # 赵敏 joined 2026-03-01: two years now
    again = client_for(world.sysadmin).post(
        "/api/v1/rules/member.probation_overdue/versions/", payload, content_type="application/json"
    )
    assert again.status_code == 400  # one version per day


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"effective_from": "2026-05-01", "params": {"months": 3}, "citation": "x"}, "params"),
        ({"effective_from": "2026-05-01", "params": {"probation_years": "2"}, "citation": "x"}, "params"),
        ({"effective_from": "not a date", "citation": "x"}, "effective_from"),
        ({"effective_from": "2026-05-01", "citation": ""}, "citation"),
    ],
)
def test_bad_versions_answer_400(world: Any, client_for: Any, payload: dict, field: str) -> None:
    response = client_for(world.sysadmin).post(
        "/api/v1/rules/member.probation_overdue/versions/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not RuleVersion.objects.exists()


@pytest.mark.parametrize("who", ["alice", "county_admin", "viewer"])
def test_others_may_not_add_versions(world: Any, client_for: Any, who: str) -> None:
    response = client_for(getattr(world, who)).post(
        "/api/v1/rules/life.party_lecture_quarterly/versions/",
        {"effective_from": "2026-01-01", "enabled": False, "citation": "停用"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["message"] == "只有系统管理员可以修改规则参数"
    assert not RuleVersion.objects.exists()


def test_unknown_rule_versions_answer_404(world: Any, client_for: Any) -> None:
    response = client_for(world.sysadmin).post(
        "/api/v1/rules/org.nothing/versions/",
        {"effective_from": "2026-01-01", "citation": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_the_openapi_schema_describes_the_endpoints(world: Any) -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="jiceng.reports.tests.urls").get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/v1/findings/" in paths
    assert "/api/v1/rules/" in paths
    versions = next(p for p in paths if p.endswith("/versions/"))
    assert "post" in paths[versions]
    params = {p["name"] for p in paths["/api/v1/findings/"]["get"]["parameters"]}
    assert {"org", "period", "rule", "page"} <= params
