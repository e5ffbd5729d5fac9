"""Per-category time limits: ``category_response_hours`` / ``category_completion_hours`` (parameters of
the two rules, with effective dates) override the urgency's default for a category and its
sub-categories; the judge, the queue's deadlines (SQL) and the desks page agree, at the boundaries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core import compliance
from jiceng.core.compliance import OrgRef
from jiceng.core.models import RuleVersion
from jiceng.core.rulebook import BY_CODE, RuleBook, RuleParams
from jiceng.services import rules, selectors, services
from jiceng.services.models import Category, ServiceRequest, category_keys

ORG = OrgRef("0101", "00010001", "和平社区党支部")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
# 环境卫生 (id 1) with its sub-category 垃圾清运 (id 2), and 矛盾纠纷 (id 3)
KEYS = {
    1: (("1", "环境卫生"),),
    2: (("2", "环境卫生/垃圾清运"), ("1", "环境卫生")),
    3: (("3", "矛盾纠纷"),),
}


def params(code: str, **values) -> RuleParams:  # noqa: ANN003
    return RuleParams(code, True, {**BY_CODE[code].defaults, **values}, BY_CODE[code].citation, None)


def respond(cat: int, responded_at, as_of, p, urgency="ordinary"):  # noqa: ANN001, ANN201
    return rules.response_late(
        org=ORG,
        request_id=1,
        request_code="ABCDEFGH",
        received_at=T0,
        urgency=urgency,
        responded_at=responded_at,
        as_of=as_of,
        params=p,
        category=KEYS[cat],
    )


def test_a_category_by_name_has_its_own_limit_at_its_boundary():
    p = params("service.response_late", category_response_hours={"环境卫生": 4})
    deadline = T0 + dt.timedelta(hours=4)
    assert respond(1, deadline, deadline, p) is None  # on the deadline: in time
    late = respond(1, deadline + dt.timedelta(seconds=1), deadline, p)
    assert late is not None and late.params == {"category_response_hours": {"环境卫生": 4}}
    assert respond(1, None, deadline, p) is None
    assert respond(1, None, deadline + dt.timedelta(seconds=1), p) is not None
    # the sub-category follows its parent; another category keeps the default (24 h)
    assert respond(2, None, deadline + dt.timedelta(seconds=1), p) is not None
    assert respond(3, None, deadline + dt.timedelta(hours=19, seconds=59), p) is None
    default = respond(3, None, T0 + dt.timedelta(hours=24, seconds=1), p)
    assert default.params == {"ordinary_response_hours": 24}


def test_the_nearest_entry_wins_and_per_urgency_entries_fall_back_to_the_default():
    p = params(
        "service.completion_late",
        category_completion_hours={"1": 48, "环境卫生/垃圾清运": {"urgent": 6}},
    )
    assert rules.limit("completion", "urgent", p.values, KEYS[2]) == (
        "category_completion_hours",
        "环境卫生/垃圾清运",
        6.0,
    )
    # 垃圾清运 names no "ordinary": its parent's 48 h apply
    assert rules.limit("completion", "ordinary", p.values, KEYS[2])[2] == 48.0
    assert rules.limit("completion", "complex", p.values, KEYS[3]) == (
        "complex_completion_hours",
        None,
        360.0,
    )


@pytest.mark.parametrize("bad", [0, -5, "12", True, None, 24 * 367, [3]])
def test_a_wrong_value_is_ignored_for_the_default(bad):
    p = params("service.response_late", category_response_hours={"环境卫生": bad})
    assert rules.limit("response", "urgent", p.values, KEYS[1]) == ("urgent_response_hours", None, 2.0)


hours = st.integers(min_value=1, max_value=24 * 30)
table_values = st.one_of(hours, st.dictionaries(st.sampled_from(rules.URGENCIES), hours, max_size=3))
tables = st.dictionaries(
    st.sampled_from(["1", "2", "3", "环境卫生", "环境卫生/垃圾清运", "矛盾纠纷", "其他"]),
    table_values,
    max_size=4,
)


def expected_hours(table: dict, urgency: str, cat: int, default: float) -> float:
    for keys in KEYS[cat]:
        for key in keys:
            if key in table:
                value = table[key]
                if isinstance(value, dict):
                    if urgency in value:
                        return value[urgency]
                    continue
                return value
    return default


@given(
    table=tables,
    urgency=st.sampled_from(rules.URGENCIES),
    cat=st.sampled_from([1, 2, 3]),
    offset=st.integers(min_value=-120, max_value=120),
)
def test_late_exactly_after_the_categorys_deadline(table, urgency, cat, offset):
    p = params("service.response_late", category_response_hours=table)
    limit = expected_hours(table, urgency, cat, rules.RESPONSE_DEFAULTS[f"{urgency}_response_hours"])
    as_of = T0 + dt.timedelta(hours=limit, seconds=offset)
    f = respond(cat, None, as_of, p, urgency)
    assert (f is not None) == (offset > 0)


# In the database: the queue's deadlines and the engine ---------------------------------------------


@pytest.fixture
def env(db):  # noqa: ANN001, ANN201
    parent = Category.objects.get(name="环境卫生", parent=None)
    child = Category.objects.filter(parent=parent).first()
    return parent, child


@pytest.mark.django_db
def test_category_keys_name_the_path():
    cats = {c.pk: c for c in Category.objects.all()}
    keys = category_keys(cats)
    child = Category.objects.filter(parent__isnull=False).select_related("parent").first()
    assert keys[child.pk] == (
        (str(child.pk), f"{child.parent.name}/{child.name}"),
        (str(child.parent_id), child.parent.name),
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.dictionaries(st.sampled_from(["环境卫生", "其他", "矛盾纠纷"]), table_values, max_size=3))
@pytest.mark.django_db
def test_the_queues_deadlines_equal_the_judges(world, env, table):
    RuleVersion.objects.all().delete()
    RuleVersion.objects.create(
        code="service.response_late",
        effective_from=dt.date(2000, 1, 1),
        params={"category_response_hours": table},
        citation="测试",
    )
    keys = selectors.all_category_keys()
    p = RuleBook().on("service.response_late", dt.date.today()).values
    parent, child = env
    made = []
    for cat in (parent, child, Category.objects.get(name="其他", parent=None)):
        req, _ = services.submit_request(org=world.branch_a, category=cat, text="a", address="b")
        made.append(req.pk)
    for req in selectors.with_deadlines(ServiceRequest.objects.filter(pk__in=made)).select_related(
        "category"
    ):
        want = rules.response_deadline(req.received_at, req.urgency, p, keys[req.category_id])
        assert req.response_due == want
    ServiceRequest.objects.filter(pk__in=made).delete()


@pytest.mark.django_db
def test_the_engine_uses_the_category_limit_in_force_on_the_day_received(world, env):
    parent, child = env
    RuleVersion.objects.create(
        code="service.response_late",
        effective_from=dt.date(2026, 3, 1),
        params={"category_response_hours": {"环境卫生": 1}},
        citation="某街道接诉即办工作办法",
    )
    before, _ = services.submit_request(org=world.branch_a, category=child, text="a", address="b")
    after, _ = services.submit_request(org=world.branch_a, category=child, text="c", address="d")
    two_hours = dt.timedelta(hours=2)
    # received the day before the version: 24 h; responded after 2 h either way
    ServiceRequest.objects.filter(pk=before.pk).update(
        received_at=dt.datetime(2026, 2, 28, 9, tzinfo=dt.UTC),
        responded_at=dt.datetime(2026, 2, 28, 9, tzinfo=dt.UTC) + two_hours,
    )
    ServiceRequest.objects.filter(pk=after.pk).update(received_at=T0, responded_at=T0 + two_hours)
    found = {
        f.subject
        for period in ("2026-02", "2026-03")
        for f in compliance.evaluate(world.root, period)
        if f.rule == "service.response_late"
    }
    assert f"request:{after.pk}" in found
    assert f"request:{before.pk}" not in found


@pytest.mark.django_db
def test_the_desks_page_shows_each_categorys_limits(world, env, client_for):
    RuleVersion.objects.create(
        code="service.completion_late",
        effective_from=dt.date(2000, 1, 1),
        params={"category_completion_hours": {"环境卫生": {"ordinary": 72}}},
        citation="测试",
    )
    parent, child = env
    response = client_for(world.alice).get(reverse("services:desks"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "各类别办理时限" in text
    row = text.split(f'data-category="{child.pk}"')[1].split("</tr>")[0]
    assert "24 / 72" in row and "本类别设定" in row
    other = Category.objects.get(name="其他", parent=None)
    row = text.split(f'data-category="{other.pk}"')[1].split("</tr>")[0]
    assert "24 / 168" in row and "默认" in row
