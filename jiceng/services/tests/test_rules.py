"""The time limits (service.response_late, service.completion_late): the pure judges at their
boundaries and under hypothesis, then through the engine onto the handling organization."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core import compliance
from jiceng.core.compliance import OrgRef
from jiceng.core.models import RuleVersion
from jiceng.core.rulebook import BY_CODE, RuleBook, RuleParams
from jiceng.services import rules, services
from jiceng.services.models import Category, ServiceRequest

ORG = OrgRef("0101", "00010001", "和平社区党支部")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def params(code: str, **values) -> RuleParams:  # noqa: ANN003
    return RuleParams(code, True, {**BY_CODE[code].defaults, **values}, BY_CODE[code].citation, None)


def judge_response(received_at, responded_at, as_of, urgency="ordinary", p=None):  # noqa: ANN001, ANN201
    return rules.response_late(
        org=ORG,
        request_id=1,
        request_code="ABCDEFGH",
        received_at=received_at,
        urgency=urgency,
        responded_at=responded_at,
        as_of=as_of,
        params=p or params("service.response_late"),
    )


@pytest.mark.parametrize(("urgency", "hours"), [("urgent", 2), ("ordinary", 24), ("complex", 24)])
def test_response_deadline_boundaries(urgency, hours):
    deadline = T0 + dt.timedelta(hours=hours)
    assert judge_response(T0, deadline, deadline, urgency) is None  # on the deadline: in time
    assert judge_response(T0, deadline + dt.timedelta(seconds=1), deadline, urgency) is not None
    assert judge_response(T0, None, deadline, urgency) is None  # not yet, but not late yet
    late = judge_response(T0, None, deadline + dt.timedelta(seconds=1), urgency)
    assert late.rule == "service.response_late" and late.period == "2026-03-02"
    assert late.subject == "request:1" and late.params == {f"{urgency}_response_hours": hours}
    assert "ABCDEFGH" in late.message and "尚未响应" in late.message


@pytest.mark.parametrize(("urgency", "days"), [("urgent", 1), ("ordinary", 7), ("complex", 15)])
def test_completion_deadline_boundaries(urgency, days):
    p = params("service.completion_late")
    deadline = T0 + dt.timedelta(days=days)
    kw = {
        "org": ORG,
        "request_id": 2,
        "request_code": "X",
        "received_at": T0,
        "urgency": urgency,
        "params": p,
    }
    assert rules.completion_late(answered_at=deadline, as_of=deadline + dt.timedelta(days=9), **kw) is None
    f = rules.completion_late(answered_at=deadline + dt.timedelta(minutes=1), as_of=deadline, **kw)
    assert f is not None and "才办结" in f.message


def test_a_switched_off_rule_finds_nothing():
    p = RuleParams("service.response_late", False, dict(rules.RESPONSE_DEFAULTS), "", None)
    assert judge_response(T0, None, T0 + dt.timedelta(days=30), p=p) is None


moments = st.integers(min_value=0, max_value=60 * 24 * 40).map(lambda m: T0 + dt.timedelta(minutes=m))
hours = st.integers(min_value=1, max_value=24 * 30)


@given(
    urgency=st.sampled_from(rules.URGENCIES),
    limit=hours,
    done=st.none() | moments,
    as_of=moments,
)
def test_late_exactly_when_past_the_deadline(urgency, limit, done, as_of):
    p = params("service.response_late", **{f"{urgency}_response_hours": limit})
    deadline = T0 + dt.timedelta(hours=limit)
    f = judge_response(T0, done, as_of, urgency, p)
    expected = (done > deadline) if done is not None else (as_of > deadline)
    assert (f is not None) == expected
    if f is not None:
        assert f.params == {f"{urgency}_response_hours": limit}


@given(urgency=st.sampled_from(rules.URGENCIES), done=moments, a=moments, b=moments)
def test_once_done_the_judgement_does_not_depend_on_when_it_is_asked(urgency, done, a, b):
    assert (judge_response(T0, done, a, urgency) is None) == (judge_response(T0, done, b, urgency) is None)


@given(urgency=st.sampled_from(rules.URGENCIES), a=moments, b=moments)
def test_an_open_request_once_late_stays_late(urgency, a, b):
    early, later = min(a, b), max(a, b)
    if judge_response(T0, None, early, urgency) is not None:
        assert judge_response(T0, None, later, urgency) is not None


# Through the engine ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_lateness_is_a_finding_of_the_handling_organization(world):
    cat = Category.objects.get(name="环境卫生", parent=None)
    late, _ = services.submit_request(org=world.branch_a, category=cat, text="a", address="b")
    in_time, _ = services.submit_request(org=world.branch_a, category=cat, text="c", address="d")
    ServiceRequest.objects.filter(pk=late.pk).update(received_at=T0)
    ServiceRequest.objects.filter(pk=in_time.pk).update(
        received_at=T0, responded_at=T0 + dt.timedelta(hours=1), answered_at=T0 + dt.timedelta(days=2)
    )
    period = "2026-03"
    found = [f for f in compliance.evaluate(world.root, period) if f.rule.startswith("service.")]
    about = {(f.rule, f.subject, f.org_code) for f in found}
    assert ("service.response_late", f"request:{late.pk}", "0101") in about
    assert ("service.completion_late", f"request:{late.pk}", "0101") in about
    assert not any(f.subject == f"request:{in_time.pk}" for f in found)
    # Branch B's evaluation knows nothing of it.
    assert not [f for f in compliance.evaluate(world.branch_b, period) if f.rule.startswith("service.")]


@pytest.mark.django_db
def test_a_new_parameter_version_applies_from_its_effective_date(world):
    day = dt.date(2026, 1, 1)
    RuleVersion.objects.create(
        code="service.response_late",
        effective_from=day,
        params={"ordinary_response_hours": 4},
        citation="某区接诉即办工作办法",
        created_by=world.sysadmin,
    )
    book = RuleBook()
    assert book.on("service.response_late", day - dt.timedelta(days=1))["ordinary_response_hours"] == 24
    assert book.on("service.response_late", day)["ordinary_response_hours"] == 4


@pytest.mark.django_db
def test_lateness_shows_on_the_handling_organizations_health_check(world, client_for):
    from django.urls import reverse

    cat = Category.objects.get(name="环境卫生", parent=None)
    late, _ = services.submit_request(org=world.branch_a, category=cat, text="a", address="b")
    ServiceRequest.objects.filter(pk=late.pk).update(received_at=T0)
    late.refresh_from_db()
    services.move(actor=world.alice, request=late, to_type="accepted")  # a write: the stored results refresh
    response = client_for(world.alice).get(
        reverse("reports:health", kwargs={"code": "0101"}), {"period": "2026-03"}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert f"群众诉求{late.code}超过响应时限" in text
    assert f"群众诉求{late.code}已超过办结时限" in text
