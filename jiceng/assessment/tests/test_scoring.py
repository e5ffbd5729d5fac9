"""The pure parts: the tree's checks, points that add up to the score, and grades by quota exact at
ties (hypothesis over random indicator trees and scores)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.assessment import definition, scoring

# Trees -------------------------------------------------------------------------------------------------


@st.composite
def node(draw, weight: int, depth: int):
    name = draw(st.sampled_from(["组织生活", "任务落实", "服务群众", "党员队伍", "评议"]))
    if weight < 2 or depth >= definition.MAX_DEPTH or draw(st.booleans()):
        if draw(st.booleans()):
            return {"name": name, "weight": str(weight), "kind": "panel"}
        return {"name": name, "weight": str(weight), "kind": "computed", "indicator": "tasks.on_time"}
    parts = draw(st.integers(min_value=1, max_value=min(4, weight)))
    cuts = sorted(
        draw(st.lists(st.integers(1, weight - 1), min_size=parts - 1, max_size=parts - 1, unique=True))
    )
    bounds = [0, *cuts, weight]
    children = [draw(node(b - a, depth + 1)) for a, b in zip(bounds, bounds[1:], strict=False)]
    return {"name": name, "weight": str(weight), "kind": "group", "children": children}


@st.composite
def trees(draw):
    total = draw(st.integers(min_value=1, max_value=120))
    top = draw(node(total, 0))
    indicators = top["children"] if top["kind"] == "group" else [top]
    return {"total": str(total), "indicators": indicators}


@settings(max_examples=150, deadline=None)
@given(trees())
def test_random_trees_whose_weights_sum_are_accepted_and_read_back_from_their_text(tree):
    checked = definition.check(tree)
    assert definition.parse_text(definition.to_text(checked), total=checked["total"]) == checked
    for _depth, n in definition.flat(checked):
        if n["kind"] == "group":
            assert sum(Decimal(c["weight"]) for c in n["children"]) == Decimal(n["weight"])


@settings(max_examples=150, deadline=None)
@given(trees(), st.data())
def test_a_weight_that_breaks_a_sum_is_refused_naming_it(tree, data):
    checked = definition.check(tree)
    nodes = [n for _d, n in definition.flat(checked)]
    victim = data.draw(st.sampled_from(nodes))
    victim["weight"] = str(Decimal(victim["weight"]) + Decimal("0.01"))
    with pytest.raises(ValidationError) as e:
        definition.check(checked)
    text = " ".join(e.value.message_dict["definition"])
    assert "之和" in text


def test_the_editor_text_names_the_line_of_a_mistake():
    with pytest.raises(ValidationError) as e:
        definition.parse_text(
            "组织生活 | 40\n   三会一课 | 40 | life.months_complete\n任务 | 60 | tasks.on_time"
        )
    assert e.value.message_dict["definition"] == ["第2行：缩进应为2个空格的倍数"]
    with pytest.raises(ValidationError) as e:
        definition.parse_text(
            "组织生活 | 40\n  三会一课 | 30 | life.months_complete\n任务 | 60 | tasks.on_time"
        )
    assert e.value.message_dict["definition"] == ["指标1（组织生活）：下级指标权重之和为30，应等于本项权重40"]
    with pytest.raises(ValidationError) as e:
        definition.parse_text("任务 | 100 | no.such")
    assert "没有名为“no.such”的计算指标" in e.value.message_dict["definition"][0]
    with pytest.raises(ValidationError) as e:
        definition.parse_text("任务 | 100 | tasks.on_time | grace_days=99")
    assert "参数grace_days应为0至30之间的整数" in e.value.message_dict["definition"][0]
    with pytest.raises(ValidationError) as e:
        definition.parse_text("任务 | 60.001 | tasks.on_time\n其他 | 40 | 评议")
    assert "最多两位小数" in e.value.message_dict["definition"][0]


def test_depth_is_bounded():
    text = (
        "\n".join("  " * i + f"第{i}级 | 100" for i in range(definition.MAX_DEPTH))
        + "\n"
        + "  " * definition.MAX_DEPTH
        + "末级 | 100 | 评议"
    )
    with pytest.raises(ValidationError) as e:
        definition.parse_text(text)
    assert any("最多4级" in m for m in e.value.message_dict["definition"])


# Points ------------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(trees(), st.data(), st.sampled_from([scoring.RESCALE, scoring.ZERO]))
def test_leaf_points_add_up_to_the_score_exactly(tree, data, policy):
    checked = definition.check(tree)
    leaves = definition.leaves(checked)
    values = {
        n["key"]: data.draw(
            st.one_of(st.none(), st.fractions(min_value=0, max_value=1, max_denominator=1000))
        )
        for n in leaves
    }
    total, nodes = scoring.score(checked, values, no_data=policy)
    if total is None:
        assert policy == scoring.RESCALE and all(v is None for v in values.values())
        return
    assert sum((nodes[n["key"]].points for n in leaves), Fraction(0)) == total
    assert 0 <= total <= Fraction(Decimal(checked["total"]))
    if all(v == 1 for v in values.values() if v is not None):
        assert total == Fraction(Decimal(checked["total"])) or policy == scoring.ZERO


def test_rounding_is_half_up_to_the_cent():
    assert scoring.round_cent(Fraction(12345, 1000)) == Decimal("12.35")
    assert scoring.round_cent(Fraction(12344999, 1000000)) == Decimal("12.34")
    assert scoring.round_cent(Fraction(100)) == Decimal("100.00")


# Grades ------------------------------------------------------------------------------------------------

STARS = [{"label": "五星", "quota": 10}, {"label": "四星", "quota": 40}, {"label": "三星", "quota": 30}]


def test_ties_at_a_quota_boundary_all_go_one_grade_down():
    # 10 organizations: caps 1 (five stars), 5 (four or better), 8 (three or better).
    scores = dict(enumerate(map(Decimal, ["95", "95", "90", "88", "88", "88", "80", "70", "70", "60"])))
    grades = scoring.grade(scores, method=scoring.QUOTA, grades=STARS)
    # The two 95s would need 2 five-star places (cap 1): both get four stars; 90 is the 3rd (≤ 5):
    # four; the three 88s would end at the 6th place (> 5): all three stars (≤ 8 with 80: 7th);
    # the 70s end at the 9th (> 8): no grade, nor 60.
    assert [grades[i] for i in range(10)] == [1, 1, 1, 2, 2, 2, 2, None, None, None]


def test_thresholds():
    grades = scoring.grade(
        {1: Decimal("90"), 2: Decimal("89.99"), 3: None},
        method=scoring.THRESHOLDS,
        grades=[{"label": "优秀", "min": "90"}, {"label": "良好", "min": "75"}],
    )
    assert grades == {1: 0, 2: 1, 3: None}


cents = st.integers(min_value=0, max_value=30).map(lambda n: Decimal(n * 5) / 2)  # few values: many ties


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(cents, st.none()), min_size=0, max_size=40),
    st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=4).filter(lambda q: sum(q) <= 100),
)
def test_grades_by_quota_are_exact_at_ties(score_list, quotas):
    scores = dict(enumerate(score_list))
    grades_spec = [{"label": f"g{i}", "quota": q} for i, q in enumerate(quotas)]
    out = scoring.grade(scores, method=scoring.QUOTA, grades=grades_spec)
    scored = {o: s for o, s in scores.items() if s is not None}
    n = len(scored)
    caps = [n * sum(quotas[: k + 1]) // 100 for k in range(len(quotas))]

    def at_least(s):
        return sum(1 for x in scored.values() if x >= s)

    for o, s in scores.items():
        if s is None:
            assert out[o] is None
            continue
        g = out[o]
        # the best grade allowed: every better one would exceed its cap, this one does not
        for k in range(len(quotas) if g is None else g):
            assert at_least(s) > caps[k]
        if g is not None:
            assert at_least(s) <= caps[g]
    for k in range(len(quotas)):  # never more than the cumulative quota
        assert sum(1 for g in out.values() if g is not None and g <= k) <= caps[k]
    for a, sa in scored.items():  # ties share a grade; a higher score never gets a worse one
        for b, sb in scored.items():
            ga, gb = out[a], out[b]
            if sa == sb:
                assert ga == gb
            elif sa > sb and gb is not None:
                assert ga is not None and ga <= gb


def test_ranks_are_among_siblings_with_shared_places():
    scores = {1: Decimal("90"), 2: Decimal("80"), 3: Decimal("90"), 4: Decimal("70"), 5: None}
    parents = {1: "a", 2: "a", 3: "a", 4: "b", 5: "a"}
    assert scoring.ranks(scores, parents) == {1: 1, 2: 3, 3: 1, 4: 1, 5: None}
