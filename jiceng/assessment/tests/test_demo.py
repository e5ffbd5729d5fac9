"""The demo town's star rating: a scheme, the panel's reasons, and a year's results with traces."""

from __future__ import annotations

from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import call_command

from jiceng.assessment import selectors
from jiceng.assessment.models import AssessmentRun, OrgResult, Scheme
from jiceng.orgs.models import Organization


@pytest.mark.django_db
def test_the_demo_town_has_a_year_of_results():
    out = StringIO()
    call_command("demo", stdout=out)
    scheme = Scheme.objects.get()
    run = AssessmentRun.objects.get()
    assert run.status == "done" and run.version.number == 1
    branches = Organization.objects.filter(kind="branch").count()
    results = list(OrgResult.objects.filter(run=run))
    assert len(results) == branches and all(r.score is not None for r in results)
    # quotas 10/40/30: never more than the cumulative cap, and some of each grade given
    grades = [r.grade for r in results]
    assert grades.count("五星") <= branches * 10 // 100
    assert grades.count("五星") + grades.count("四星") <= branches * 50 // 100
    assert "四星" in grades and "三星" in grades
    # every computed value traced; the dues indicator reads the demo's year of dues where a branch keeps
    # them in jiceng (collected over owed, never above 1) and says 暂无数据 elsewhere
    dues = [x.values["4.3"] for x in results]
    assert any(v["share"] is not None and "实收" in v["note"] for v in dues)
    assert all(v["share"] is None or 0 <= float(Fraction(v["share"])) <= 1 for v in dues)
    assert all("暂无数据" in v["note"] for v in dues if v["share"] is None)
    r = results[0]
    listed = selectors.trace(r)["1.1"]
    assert listed["records"] and listed["same"] and r.values["1.1"]["denominator"] >= 5
    assert f"考核：{scheme.name}" in out.getvalue()
