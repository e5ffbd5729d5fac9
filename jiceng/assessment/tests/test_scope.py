"""Every assessment page and endpoint answers by scope, for every named user (jiceng.core.testing).

A scheme and its runs are seen by the committee's viewers and by the people of the organizations it
assesses (a branch secretary sees the street's scheme); a result only by viewers of its organization."""

from __future__ import annotations

import datetime as dt

from jiceng.assessment import services
from jiceng.assessment.models import OrgResult
from jiceng.core import scope
from jiceng.core.scope import CHANGE, MANAGE
from jiceng.core.testing import Case, coverage_test, scope_test

from .helpers import scheme as make_scheme


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def _scheme(world):  # noqa: ANN001, ANN201
    if not hasattr(world, "scheme"):
        world.scheme = make_scheme(world)
        world.run = services.start_run(
            actor=world.county_admin, scheme=world.scheme, as_of=dt.date(2025, 12, 31)
        )
    return world.scheme


def scheme(world):  # noqa: ANN001, ANN201
    return {"pk": _scheme(world).pk}


def run(world):  # noqa: ANN001, ANN201
    _scheme(world)
    return {"pk": world.run.pk}


def result_a(world):  # noqa: ANN001, ANN201
    _scheme(world)
    return {"pk": OrgResult.objects.get(run=world.run, org=world.branch_a).pk}


def on_street(action: str, ok: tuple[int, ...] = (200,)):  # noqa: ANN201
    """Seen by anyone with a scope in the street's subtree; ``action`` needed on the street itself."""

    def expect(world, who):  # noqa: ANN001, ANN202
        user = getattr(world, who)
        if not any(p.startswith(world.root.path) for p in scope.paths_for(user, scope.VIEW)):
            return (404,)
        if action == scope.VIEW or scope.can(user, action, world.root.path):
            return ok
        return (403,)

    return expect


def _round(world):  # noqa: ANN001, ANN201
    if not hasattr(world, "review_round"):
        from jiceng.assessment import review

        world.review_round = review.open_round(actor=world.county_admin, owner=world.root, year=2025)
    return world.review_round


def review_round(world):  # noqa: ANN001, ANN201
    return {"pk": _round(world).pk}


def report_a(world):  # noqa: ANN001, ANN201
    return {"pk": _round(world).reports.get(org=world.branch_a).pk}


def report_readers(world, who):  # noqa: ANN001, ANN201
    """A report: viewers of its organization, and its members (dora, to evaluate it)."""
    user = getattr(world, who)
    return (200,) if scope.can(user, scope.VIEW, world.branch_a.path) or who == "dora" else (404,)


CHANGE_ON_BRANCH, CHANGE_ON_STREET, EVALUATE = "branch", "street", "evaluate"


def report_writers(who_may: str):  # noqa: ANN201
    """A write on a report: 404 to those who cannot read it, 400 (the empty body) to those allowed,
    403 to the other readers. Evaluating: the body is checked first, so every reader gets 400."""

    def expect(world, who):  # noqa: ANN001, ANN202
        if report_readers(world, who) == (404,):
            return (404,)
        if who_may == EVALUATE:
            return (400,)
        user = getattr(world, who)
        path = world.branch_a.path if who_may == CHANGE_ON_BRANCH else world.root.path
        return (400,) if scope.can(user, CHANGE, path) else (403,)

    return expect


CASES = [
    Case("assessment:index"),
    Case("assessment:scheme_create", action=MANAGE),
    Case("assessment:scheme", scheme, expect=on_street(scope.VIEW)),
    Case("assessment:scheme_edit", scheme, expect=on_street(MANAGE)),
    Case("assessment:run_create", scheme, method="post", expect=on_street(MANAGE, (302,))),
    Case("assessment:panel", scheme, expect=on_street(CHANGE)),
    Case("assessment:run", run, expect=on_street(scope.VIEW)),
    Case("assessment:result", result_a, org=branch_a),
    Case("assessment:reviews"),
    Case("assessment:review_round", review_round, expect=on_street(scope.VIEW)),
    Case("assessment:report", report_a, expect=report_readers),
    Case("assessment:report_print", report_a, expect=report_readers),
    Case("api-assessment-review-list"),
    Case("api-assessment-review-list", action=MANAGE, method="post", data={"owner": "01"}, ok=(400,)),
    Case("api-assessment-review-detail", review_round, expect=on_street(scope.VIEW)),
    Case("api-assessment-review-reports", review_round, expect=on_street(scope.VIEW)),
    Case("api-assessment-report-list"),
    Case("api-assessment-report-detail", report_a, expect=report_readers),
    Case("api-assessment-report-write", report_a, method="post", expect=report_writers(CHANGE_ON_BRANCH)),
    Case("api-assessment-report-evaluate", report_a, method="post", expect=report_writers(EVALUATE)),
    # Paper forms: whoever may change the branch or the street (the secretary named by the report aside:
    # here the branch has none).
    Case("api-assessment-report-paper", report_a, method="post", expect=report_writers(CHANGE_ON_BRANCH)),
    Case("api-assessment-report-comment", report_a, method="post", expect=report_writers(CHANGE_ON_STREET)),
    Case("api-assessment-indicator-list"),
    Case("api-assessment-scheme-list"),
    Case("api-assessment-scheme-list", action=MANAGE, method="post", data={"owner": "01"}, ok=(400,)),
    Case("api-assessment-scheme-detail", scheme, expect=on_street(scope.VIEW)),
    Case(
        "api-assessment-scheme-detail",
        scheme,
        method="patch",
        data={"name": "新名称"},
        expect=on_street(MANAGE),
    ),
    Case("api-assessment-scheme-run", scheme, method="post", expect=on_street(MANAGE, (201,))),
    Case("api-assessment-scheme-panel-scores", scheme, expect=on_street(scope.VIEW)),
    Case("api-assessment-scheme-panel-scores", scheme, method="post", expect=on_street(CHANGE, (400,))),
    Case("api-assessment-run-list"),
    Case("api-assessment-run-detail", run, expect=on_street(scope.VIEW)),
    Case("api-assessment-run-results", run, expect=on_street(scope.VIEW)),
    Case("api-assessment-result-list"),
    Case("api-assessment-result-detail", result_a, org=branch_a),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("assessment", CASES)
test_every_endpoint_has_a_case = coverage_test("api-assessment", CASES)


def test_a_secretary_sees_the_run_but_only_her_own_result(world, client_for):
    _scheme(world)
    client = client_for(world.alice)
    body = client.get(f"/api/v1/assessment/runs/{world.run.pk}/results/").json()
    assert [r["org"] for r in body["results"]] == ["0101"]
    assert [r["org"] for r in client.get("/api/v1/assessment/results/").json()["results"]] == ["0101"]
    page = client.get(f"/assessment/runs/{world.run.pk}/").content.decode()
    assert "和平社区党支部" in page and "新华村党支部" not in page
    other = OrgResult.objects.get(run=world.run, org=world.branch_b)
    assert client.get(f"/assessment/results/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/assessment/results/{other.pk}/").status_code == 404
    # A subtree outside her scope as the filter: 404, not an empty list.
    assert client.get(f"/api/v1/assessment/runs/{world.run.pk}/results/?org=0102").status_code == 404


def test_a_trace_lists_only_records_of_the_organizations_subtree(world, client_for):
    from .year import generate

    generate(world)
    s = make_scheme(world, year=2025)
    run = services.start_run(actor=world.county_admin, scheme=s, as_of=dt.date(2025, 12, 31))
    client = client_for(world.county_admin)
    for r in OrgResult.objects.filter(run=run).select_related("org"):
        trace = client.get(f"/api/v1/assessment/results/{r.pk}/").json()["trace"]
        paths = [rec["org_path"] for entry in trace.values() for rec in entry["records"]]
        assert paths and all(p.startswith(r.org_path) for p in paths), r.org.code
        page = client.get(f"/assessment/results/{r.pk}/").content.decode()
        others = {"0101": "新华村党支部", "0102": "和平社区党支部", "010301": "和平社区党支部"}
        assert others[r.org.code] not in page
