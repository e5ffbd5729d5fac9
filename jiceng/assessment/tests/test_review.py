"""述职评议: the report prefilled from the records, the two evaluations, the combined result, A4, and
who sees the result (the higher committee and the secretary alone)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from jiceng.assessment import review
from jiceng.assessment.models import SecretaryReport
from jiceng.core.testing import page
from jiceng.orgs.models import Organization

from .year import generate


@pytest.fixture
def round_(world):
    generate(world)
    Organization.objects.filter(pk=world.branch_a.pk).update(secretary=world.members_a[0])
    world.branch_a.refresh_from_db()
    return review.open_round(actor=world.county_admin, owner=world.root, year=2025)


def report_a(rnd):
    return SecretaryReport.objects.get(round=rnd, org__code="0101")


def test_a_round_gives_each_branch_a_report_prefilled_from_the_records(world, round_):
    assert round_.reports.count() == 3
    r = report_a(round_)
    assert r.secretary_name == "张伟" and r.secretary_user == world.alice
    facts = {f["title"]: f["text"] for f in r.facts}
    assert facts["三会一课按月落实率"] == "12个月中10个月按要求召开了全部规定会议"
    assert facts["任务按时完成率"] == "到期任务1项，按时完成1项"
    assert facts["党费收缴率"].startswith("暂无数据")
    assert "主题党日10次" in facts["组织生活记录"]


def test_the_review_from_report_to_combined_result(world, round_, client_for):
    r = report_a(round_)
    alice = client_for(world.alice)
    html = page(alice.get(r.get_absolute_url()), one_h1=True, unique_ids=True)
    assert "提交述职报告" in html and "上级党组织评议" not in html
    response = alice.post(r.get_absolute_url(), {"op": "submit", "text": "一年来，支部按月开展主题党日……"})
    assert response.status_code == 302
    with pytest.raises(ValidationError):
        review.evaluate(actor=world.county_admin, report=r, source="committee", grade="优")
    county = client_for(world.county_admin)
    response = county.post(
        r.get_absolute_url(), {"op": "committee", "committee-grade": "好", "committee-comment": "成效明显"}
    )
    assert response.status_code == 302
    county.post(r.get_absolute_url(), {"op": "comment", "comment": "继续保持"})
    dora = client_for(world.dora)
    html = page(dora.get(r.get_absolute_url()))
    assert "党员评议" in html and "评议结果" not in html and "成效明显" not in html
    response = dora.post(r.get_absolute_url(), {"op": "member", "member-grade": "一般"})
    assert response.status_code == 302
    r.refresh_from_db()
    # 60% × 100 (committee: 好) + 40% × 60 (members: 一般) = 84 → 较好 (80 ≤ 84 < 100)
    assert (r.combined, r.combined_grade, r.comment) == (Decimal("84.00"), "较好", "继续保持")
    html = page(client_for(world.alice).get(r.get_absolute_url()))
    assert "较好（84.00）" in html and "继续保持" in html
    printed = page(
        client_for(world.alice).get(reverse("assessment:report_print", kwargs={"pk": r.pk})), one_h1=True
    )
    assert "综合评价" in printed and "较好" in printed
    printed = page(client_for(world.dora).get(reverse("assessment:report_print", kwargs={"pk": r.pk})))
    assert "综合评价" not in printed
    rnd_page = page(client_for(world.viewer).get(round_.get_absolute_url()))
    assert "较好（84.00）" in rnd_page  # the higher committee's viewer
    assert client_for(world.bob).get(r.get_absolute_url()).status_code == 404


def test_the_secretary_does_not_grade_herself_and_a_member_grades_once(world, round_):
    r = report_a(round_)
    review.write_report(actor=world.alice, report=r, text="述职报告正文，共十个字以上。", submit=True)
    with pytest.raises(ValidationError):
        review.evaluate(actor=world.alice, report=r, source="member", grade="好")
    review.evaluate(actor=world.dora, report=r, source="member", grade="差")
    review.evaluate(actor=world.dora, report=r, source="member", grade="好")
    assert r.evaluations.count() == 1
    r.refresh_from_db()
    assert (r.combined, r.combined_grade) == (Decimal("100.00"), "好")  # members alone


def test_combined_points_and_grades():
    assert review.combined_points([100, 80], [60], 60) == Fraction(60 * 90 + 40 * 60, 100)
    assert review.combined_points([], [], 60) is None
    grades = [
        {"label": "好", "points": 100},
        {"label": "较好", "points": 80},
        {"label": "一般", "points": 60},
        {"label": "差", "points": 0},
    ]
    assert [review.grade_of(Decimal(p), grades) for p in ("100", "99.99", "80", "59.99", "0")] == [
        "好",
        "较好",
        "较好",
        "差",
        "差",
    ]


def test_a_second_round_for_the_year_and_bad_grades_are_refused(world, round_):
    with pytest.raises(ValidationError) as e:
        review.open_round(actor=world.county_admin, owner=world.root, year=2025)
    assert "year" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        review.open_round(
            actor=world.county_admin,
            owner=world.root,
            year=2024,
            grades=[{"label": "好", "points": 50}, {"label": "差", "points": 60}],
        )
    assert "grades" in e.value.message_dict


def test_the_rounds_page_opens_a_round(world, client_for):
    c = client_for(world.county_admin)
    page(c.get(reverse("assessment:reviews")), one_h1=True, unique_ids=True)
    response = c.post(
        reverse("assessment:reviews"),
        {
            "owner": "01",
            "year": "2025",
            "org_kind": "branch",
            "grades": "好 | 100\n较好 | 80\n一般 | 60\n差 | 0",
            "committee_weight": "60",
        },
    )
    assert response.status_code == 302
    assert client_for(world.alice).post(reverse("assessment:reviews"), {}).status_code == 403


def test_the_review_through_the_api(world):
    from rest_framework.test import APIClient

    def client(user):  # noqa: ANN001, ANN202
        c = APIClient()
        c.force_login(user)
        return c

    generate(world)
    Organization.objects.filter(pk=world.branch_a.pk).update(secretary=world.members_a[0])
    county = client(world.county_admin)
    opened = county.post("/api/v1/assessment/reviews/", {"owner": "01", "year": 2025}, format="json")
    assert opened.status_code == 201, opened.json()
    rid = opened.json()["id"]
    bad = county.post("/api/v1/assessment/reviews/", {"owner": "01", "year": 2025}, format="json")
    assert bad.status_code == 400 and "year" in bad.json()["errors"]
    alice = client(world.alice)
    mine = alice.get(f"/api/v1/assessment/reviews/{rid}/reports/").json()["results"]
    assert [r["org"] for r in mine] == ["0101"] and mine[0]["result"] == {
        "evaluations": [],
        "paper": [],
        "comment": "",
        "combined": None,
        "combined_grade": "",
    }
    pk = mine[0]["id"]
    early = county.post(
        f"/api/v1/assessment/reports/{pk}/evaluate/", {"source": "committee", "grade": "好"}, format="json"
    )
    assert early.status_code == 400 and "grade" in early.json()["errors"]
    written = alice.post(
        f"/api/v1/assessment/reports/{pk}/write/",
        {"text": "一年来的工作情况如下……", "submit": True},
        format="json",
    )
    assert written.status_code == 200 and written.json()["submitted_at"]
    assert (
        county.post(
            f"/api/v1/assessment/reports/{pk}/evaluate/",
            {"source": "committee", "grade": "较好"},
            format="json",
        ).status_code
        == 200
    )
    assert (
        county.post(
            f"/api/v1/assessment/reports/{pk}/comment/", {"comment": "继续努力"}, format="json"
        ).status_code
        == 200
    )
    dora = client(world.dora)
    graded = dora.post(
        f"/api/v1/assessment/reports/{pk}/evaluate/", {"source": "member", "grade": "好"}, format="json"
    )
    assert graded.status_code == 200 and graded.json()["result"] is None  # a member never sees the result
    result = alice.get(f"/api/v1/assessment/reports/{pk}/").json()["result"]
    # 60% × 80 + 40% × 100 = 88 → 较好
    assert (result["combined"], result["combined_grade"], result["comment"]) == ("88.00", "较好", "继续努力")
    assert client(world.bob).get(f"/api/v1/assessment/reports/{pk}/").status_code == 404
    assert (
        alice.post(f"/api/v1/assessment/reports/{pk}/comment/", {"comment": "x"}, format="json").status_code
        == 403
    )
