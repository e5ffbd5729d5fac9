"""The consultation rules (pure functions, property-tested), the tree's progress (property-tested),
and the rules judged by the engine on the test world."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.consultation import rules, tree
from jiceng.core.compliance import OrgRef
from jiceng.core.rulebook import RuleParams

DAYS = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31))


def _org() -> OrgRef:
    return OrgRef("0101", "00010001", "和平社区党支部")


def params(code: str, **values: object) -> RuleParams:
    return RuleParams(code, True, values, "c", None)


# The tree ---------------------------------------------------------------------------------------------


@st.composite
def trees(draw: st.DrawFn) -> list[tree.Node]:
    n = draw(st.integers(min_value=0, max_value=25))
    nodes: list[tree.Node] = []
    for i in range(1, n + 1):
        parent = draw(st.one_of(st.none(), st.sampled_from([x.id for x in nodes]))) if nodes else None
        nodes.append(
            tree.Node(
                i,
                parent,
                draw(st.integers(min_value=1, max_value=100)),
                draw(st.integers(min_value=0, max_value=100)),
            )
        )
    return nodes


@given(trees())
def test_every_items_progress_is_the_weighted_progress_of_its_leaves(nodes):
    values = tree.progress(nodes)
    kids = tree.children_of(nodes)
    by_id = {n.id: n for n in nodes}
    for root in [None, *by_id]:
        weights = tree.leaf_weights(nodes, root)
        if root is not None and not kids.get(root):
            assert values[root] == by_id[root].progress  # a leaf is its own progress
            continue
        if not weights:
            assert values[root] == 0
            continue
        assert sum(weights.values()) == 1
        assert values[root] == sum(w * by_id[leaf].progress for leaf, w in weights.items())
        assert 0 <= values[root] <= 100


@given(trees())
def test_a_tree_of_done_leaves_is_done(nodes):
    done = [tree.Node(n.id, n.parent, n.weight, 100) for n in nodes]
    assert tree.progress(done)[None] == (100 if done else 0)


def test_a_hand_computed_tree():
    nodes = [
        tree.Node(1, None, 3, 0),
        tree.Node(2, 1, 1, 100),
        tree.Node(3, 1, 2, 50),
        tree.Node(4, None, 1, 100),
    ]
    values = tree.progress(nodes)
    assert values[1] == Fraction(200, 3)
    assert values[None] == (3 * Fraction(200, 3) + 100) / 4 == 75


# The rules ----------------------------------------------------------------------------------------------


@given(
    DAYS,
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=1, max_value=30),
)
def test_notice_short(noticed_on, lead, after, need):
    meeting_on = noticed_on + dt.timedelta(days=lead)
    day = noticed_on + dt.timedelta(days=after)
    f = rules.notice_short(
        org=_org(),
        topic_id=1,
        title="t",
        noticed_on=noticed_on,
        meeting_on=meeting_on,
        held_on=None,
        day=day,
        params=params(rules.NOTICE_SHORT, notice_days=need),
    )
    assert (f is not None) == (lead < need)
    if f:
        assert f.rule == rules.NOTICE_SHORT and f.facts["days"] == lead and f.subject == "topic:1"
    # Once the meeting was held, the notice is history: no finding.
    held = rules.notice_short(
        org=_org(),
        topic_id=1,
        title="t",
        noticed_on=noticed_on,
        meeting_on=meeting_on,
        held_on=day,
        day=day,
        params=params(rules.NOTICE_SHORT, notice_days=need),
    )
    assert held is None


@given(DAYS, st.integers(min_value=-30, max_value=60), st.integers(min_value=0, max_value=10), st.booleans())
def test_item_overdue(due_on, after, grace, done):
    day = due_on + dt.timedelta(days=after)
    f = rules.item_overdue(
        org=_org(),
        item_id=7,
        topic="t",
        title="i",
        due_on=due_on,
        done_on=day if done else None,
        day=day,
        params=params(rules.ITEM_OVERDUE, grace_days=grace),
    )
    assert (f is not None) == (not done and after > grace)
    if f:
        assert f.facts["days"] == after and f.due_on == due_on


def test_a_switched_off_rule_finds_nothing():
    off = RuleParams(rules.ITEM_OVERDUE, False, {"grace_days": 0}, "c", None)
    day = dt.date(2026, 5, 1)
    assert (
        rules.item_overdue(
            org=_org(),
            item_id=1,
            topic="t",
            title="i",
            due_on=day - dt.timedelta(days=9),
            done_on=None,
            day=day,
            params=off,
        )
        is None
    )


@pytest.mark.django_db
def test_the_engine_finds_an_overdue_item_and_a_short_notice(world):
    from jiceng.consultation import services
    from jiceng.core import compliance

    from .conftest import decided_topic, today

    topic = decided_topic(world)
    services.add_item(
        actor=world.alice,
        topic=topic,
        title="逾期事项",
        owner_org=world.branch_a,
        due_on=topic.decided_on + dt.timedelta(days=1),
    )
    short = services.open_topic(actor=world.alice, org=world.branch_a, title="短公告", source="committee")
    services.publish_notice(
        actor=world.alice,
        topic=short,
        meeting_on=today() + dt.timedelta(days=2),
        meeting_place="x",
        groups=["members"],
    )
    found = compliance.evaluate(world.root, today().isoformat())
    assert {f.rule for f in found} >= {rules.ITEM_OVERDUE, rules.NOTICE_SHORT}
    assert {f.org_code for f in found if f.rule.startswith("consultation.")} == {"0101"}


# The same property on trees built through the services and read back from the database ----------------


@st.composite
def shapes(draw: st.DrawFn) -> list[tuple[int | None, int, int]]:
    """(parent index or None, weight, progress) for up to 8 items, parents before children, at most 4
    levels deep."""
    out: list[tuple[int | None, int, int]] = []
    depth: list[int] = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        allowed = [i for i, d in enumerate(depth) if d < 3]
        parent = draw(st.one_of(st.none(), st.sampled_from(allowed))) if allowed else None
        out.append(
            (
                parent,
                draw(st.integers(min_value=1, max_value=9)),
                draw(st.integers(min_value=0, max_value=100)),
            )
        )
        depth.append(0 if parent is None else depth[parent] + 1)
    return out


def hand_progress(shape: list[tuple[int | None, int, int]]) -> Fraction:
    """The weighted progress of the leaves, computed here independently: each leaf weighs the product
    of its weight's share among its siblings along its path from the top."""
    kids: dict[int | None, list[int]] = {}
    for i, (parent, _w, _p) in enumerate(shape):
        kids.setdefault(parent, []).append(i)
    total = Fraction(0)
    for i, (_parent, _w, progress) in enumerate(shape):
        if kids.get(i):
            continue
        share, node = Fraction(1), i
        while True:
            parent = shape[node][0]
            siblings = kids[parent]
            share *= Fraction(shape[node][1], sum(shape[s][1] for s in siblings))
            if parent is None:
                break
            node = parent
        total += share * progress
    return total


@pytest.mark.django_db
def test_every_stored_trees_progress_is_the_weighted_progress_of_its_leaves(world):
    from hypothesis import HealthCheck, settings

    from jiceng.consultation import selectors, services

    from .conftest import decided_topic

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(shapes())
    def check(shape):  # noqa: ANN001, ANN202
        topic = decided_topic(world)
        items = []
        for parent, weight, _p in shape:
            items.append(
                services.add_item(
                    actor=world.alice,
                    topic=topic,
                    title="x",
                    parent=items[parent] if parent is not None else None,
                    owner_org=world.branch_a,
                    weight=weight,
                )
            )
        parents = {p for p, _w, _g in shape if p is not None}
        for i, (_parent, _w, progress) in enumerate(shape):
            if i not in parents:
                services.update_item(actor=world.alice, item=items[i], progress=progress, text="x")
        got = selectors.tree_of(topic).progress
        assert got == tree.percent(hand_progress(shape))

    check()
