"""述职评议: paper evaluation forms of members without an account, the report staying with the secretary
the round opened with, and the console command ``jiceng assess review``."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from jiceng.assessment import review
from jiceng.assessment.models import ReviewPaperTally, ReviewRound, SecretaryReport
from jiceng.core.models import ObjectChange, RoleAssignment, User
from jiceng.core.testing import page
from jiceng.orgs.models import Organization

from .year import generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_(world):
    generate(world)
    Organization.objects.filter(pk=world.branch_a.pk).update(secretary=world.members_a[0])
    world.branch_a.refresh_from_db()
    return review.open_round(actor=world.county_admin, owner=world.root, year=2025)


@pytest.fixture
def submitted(world, round_):
    r = SecretaryReport.objects.get(round=round_, org__code="0101")
    review.write_report(actor=world.alice, report=r, text="一年来，支部按月开展主题党日……", submit=True)
    return r


def test_paper_forms_count_with_the_members_online_grades(world, submitted):
    r = submitted
    # Members of 0101 without an account, the secretary aside: four paper forms at most.
    assert review.paper_voters(r) == 4
    review.evaluate(actor=world.county_admin, report=r, source="committee", grade="好")
    review.evaluate(actor=world.dora, report=r, source="member", grade="一般")
    with pytest.raises(PermissionDenied):
        review.enter_paper(actor=world.alice, report=r, counts={"好": 3})  # the secretary herself
    with pytest.raises(ValidationError) as e:
        review.enter_paper(actor=world.county_admin, report=r, counts={"好": 5})
    assert "counts" in e.value.message_dict
    with pytest.raises(ValidationError):
        review.enter_paper(actor=world.county_admin, report=r, counts={"优": 1})
    review.enter_paper(actor=world.county_admin, report=r, counts={"好": 3, "差": 1, "较好": 0})
    assert sorted(ReviewPaperTally.objects.filter(report=r).values_list("grade", "count", "entered_by")) == [
        ("好", 3, world.county_admin.pk),
        ("差", 1, world.county_admin.pk),
    ]
    r.refresh_from_db()
    # members: (60 + 3 × 100 + 0) / 5 = 72; 60% × 100 + 40% × 72 = 88.8 → 较好
    assert (r.combined, r.combined_grade) == (Decimal("88.80"), "较好")
    # Entered again: replaces, and the change log keeps both.
    review.enter_paper(actor=world.county_admin, report=r, counts={"好": 4})
    r.refresh_from_db()
    assert r.combined == Decimal("96.80")  # (60 + 400) / 5 = 92 → 60 + 36.8
    assert ObjectChange.objects.filter(message__contains="paper evaluations").count() == 2


def test_paper_forms_on_the_page_and_through_the_api(world, submitted, client_for):
    r = submitted
    county = client_for(world.county_admin)
    html = page(county.get(r.get_absolute_url()), unique_ids=True)
    assert 'id="paper-form"' in html
    assert 'id="paper-form"' not in page(client_for(world.alice).get(r.get_absolute_url()))
    county = client_for(world.county_admin)  # one test client, signed in as one user at a time
    response = county.post(r.get_absolute_url(), {"op": "paper", "paper-g0": "2", "paper-g2": "1"})
    assert response.status_code == 302
    assert "纸质评议票：好 2张" in page(county.get(r.get_absolute_url()))
    response = county.post(r.get_absolute_url(), {"op": "paper", "paper-g0": "9"})
    assert response.status_code == 200 and "多于本组织没有账号的党员人数" in response.content.decode()
    api = f"/api/v1/assessment/reports/{r.pk}/paper/"
    done = county.post(api, {"counts": {"较好": 2}}, content_type="application/json")
    assert done.status_code == 200
    assert [(t["grade"], t["count"]) for t in done.json()["result"]["paper"]] == [("较好", 2)]
    assert (
        client_for(world.alice).post(api, {"counts": {"好": 1}}, content_type="application/json").status_code
        == 403
    )
    assert (
        client_for(world.bob).post(api, {"counts": {"好": 1}}, content_type="application/json").status_code
        == 404
    )
    # A member sees no result, so no counts.
    assert client_for(world.dora).get(f"/api/v1/assessment/reports/{r.pk}/").json()["result"] is None


def test_the_report_stays_with_the_secretary_the_round_opened_with(world, round_, client_for):
    r = SecretaryReport.objects.get(round=round_, org__code="0101")
    # Mid-round the branch elects a new secretary: 王芳, with an account and the secretary's role.
    eve = User.objects.create_user("eve", password="x-pass-12345", full_name="王芳")
    new = world.members_a[1]
    new.user = eve
    new.save(update_fields=["user"])
    Organization.objects.filter(pk=world.branch_a.pk).update(secretary=new)
    RoleAssignment.objects.create(user=eve, org=world.branch_a, role="secretary")
    RoleAssignment.objects.filter(user=world.alice, org=world.branch_a).delete()
    r.refresh_from_db()
    assert (r.secretary_name, r.secretary_user) == ("张伟", world.alice)  # not followed
    # The new secretary sees the report (a viewer of the branch) but may not write it nor see its result.
    with pytest.raises(PermissionDenied):
        review.write_report(actor=eve, report=r, text="新书记代写的述职报告……", submit=True)
    eve_page = page(client_for(eve).get(r.get_absolute_url()))
    assert "提交述职报告" not in eve_page
    assert not review.sees_result(eve, r)
    written = client_for(eve).post(
        f"/api/v1/assessment/reports/{r.pk}/write/",
        {"text": "新书记代写", "submit": False},
        content_type="application/json",
    )
    assert written.status_code == 403
    # The year's secretary, without her role on the branch now, still writes her report and sees her result.
    alice = client_for(world.alice)
    assert "提交述职报告" in page(alice.get(r.get_absolute_url()))
    review.write_report(actor=world.alice, report=r, text="一年来的工作情况如下，共十个字以上。", submit=True)
    review.evaluate(actor=world.county_admin, report=r, source="committee", grade="较好")
    assert review.sees_result(world.alice, r)
    assert alice.get(f"/api/v1/assessment/reports/{r.pk}/").json()["result"]["combined_grade"] == "较好"
    # A second round (next year) names the new secretary.
    nxt = review.open_round(actor=world.county_admin, owner=world.root, year=2026)
    assert nxt.reports.get(org=world.branch_a).secretary_user == eve


def test_console_review_opens_lists_and_prints_json(world, submitted):
    review.evaluate(actor=world.county_admin, report=submitted, source="committee", grade="好")
    review.enter_paper(actor=world.county_admin, report=submitted, counts={"一般": 2})
    out = StringIO()
    call_command("assess", "review", "--year", "2025", "--org", "01", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert (
        "0101" in text and "张伟" in text and "已提交" in text and "纸质2" in text and "较好（84.00）" in text
    )
    out = StringIO()
    call_command("assess", "review", "--year", "2025", "--org", "01", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    row = next(r for r in data["reports"] if r["org_code"] == "0101")
    assert (row["combined"], row["grade"], row["member_evaluations"], row["paper_forms"]) == (
        "84.00",
        "较好",
        2,
        2,
    )
    with pytest.raises(CommandError):
        call_command("assess", "review", "--year", "2024", "--org", "01", stdout=StringIO())
    call_command(
        "assess", "review", "--year", "2024", "--org", "01", "--open", stdout=StringIO(), stderr=StringIO()
    )
    assert ReviewRound.objects.filter(owner=world.root, year=2024).exists()
    with pytest.raises(CommandError):
        call_command("assess", "review", "--year", "2024", "--org", "nope", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("assess", "--year", "2024", stdout=StringIO())
