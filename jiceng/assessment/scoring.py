"""From indicator values to points, scores, ranks and grades: pure functions, exact arithmetic.

**Points.** Each leaf has a value (a share in [0, 1]) or none (暂无数据). A scheme says what no data
means (``no_data``):

- ``rescale`` (the default): a leaf without data is left out and its weight is shared among its
  siblings that have data, in proportion to their weights (at every level); a group none of whose
  leaves has data has no data itself. An organization none of whose indicators has data has no
  score, no rank and no grade. So a module that holds nothing yet (党费 before the dues app) neither
  costs nor earns points.
- ``zero``: a leaf without data counts 0.

A leaf's *effective weight* is its weight times, for each group above it (and the whole scheme), the
group's weight over the sum of the weights of its children with data; its points are effective weight ×
value. Scores are computed with fractions and rounded once, half up, to two decimals; the points shown
for each leaf are rounded the same way (their sum may differ from the score by a rounding cent).

**Ranks** among siblings (organizations of the run with the same parent): 1 + the number of siblings
with a strictly higher score ("1, 2, 2, 4"); ties share a rank.

**Grades.** ``thresholds``: the first grade whose minimum the score reaches. ``quota``: each grade
has a share of the organizations graded (e.g. 5 stars 10%, 4 stars 40%, 3 stars 30%). The cumulative
quota of grade k is ``floor(N × (q1 + … + qk) / 100)`` organizations (N: those with a score), a
ceiling never exceeded. An organization gets the best grade k such that the organizations scoring at
least its score (itself and the ties included) number no more than the cumulative quota of k; where
none fits it gets no grade (未定级). **Ties are never split**: equal scores (to the cent, as shown)
get the same grade, and when a group of ties would cross a quota boundary the whole group gets the
next grade down, so a grade may be given to fewer organizations than its quota, never to more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

RESCALE, ZERO = "rescale", "zero"
QUOTA, THRESHOLDS = "quota", "thresholds"
CENT = Decimal("0.01")


def round_cent(value: Fraction) -> Decimal:
    """Half up to two decimals, exactly (fractions all the way, no floating point)."""
    scaled = value * 100
    cents = scaled.numerator // scaled.denominator
    if scaled - cents >= Fraction(1, 2):
        cents += 1
    return (Decimal(cents) / 100).quantize(CENT)


@dataclass
class NodeResult:
    key: str
    value: Fraction | None  # the node's share (a group: the weighted mean of its children with data)
    weight: Decimal
    effective: Fraction  # the points the node could earn after rescaling (0 without data)
    points: Fraction


def score(
    tree: Mapping[str, Any], values: Mapping[str, Fraction | None], *, no_data: str = RESCALE
) -> tuple[Fraction | None, dict[str, NodeResult]]:
    """The score of one organization and every node's result, from its leaves' values by key."""
    results: dict[str, NodeResult] = {}

    def value_of(node: Mapping[str, Any]) -> Fraction | None:
        if node["kind"] != "group":
            v = values.get(node["key"])
            if v is None and no_data == ZERO:
                v = Fraction(0)
            results[node["key"]] = NodeResult(
                node["key"], v, Decimal(node["weight"]), Fraction(0), Fraction(0)
            )
            return v
        v = mean(node["children"])
        results[node["key"]] = NodeResult(node["key"], v, Decimal(node["weight"]), Fraction(0), Fraction(0))
        return v

    def mean(children: Sequence[Mapping[str, Any]]) -> Fraction | None:
        num, den = Fraction(0), Fraction(0)
        for child in children:
            v = value_of(child)
            if v is not None:
                w = Fraction(Decimal(child["weight"]))
                num += w * v
                den += w
        return num / den if den else None

    def spread(children: Sequence[Mapping[str, Any]], available: Fraction) -> None:
        with_data = [c for c in children if results[c["key"]].value is not None]
        den = sum((Fraction(Decimal(c["weight"])) for c in with_data), Fraction(0))
        for c in with_data:
            r = results[c["key"]]
            r.effective = available * Fraction(Decimal(c["weight"])) / den
            r.points = r.effective * r.value
            if c["kind"] == "group":
                spread(c["children"], r.effective)

    top = tree["indicators"]
    root_value = mean(top)
    if root_value is None:
        return None, results
    spread(top, Fraction(Decimal(tree["total"])))
    return Fraction(Decimal(tree["total"])) * root_value, results


def ranks(scores: Mapping[int, Decimal | None], parents: Mapping[int, str]) -> dict[int, int | None]:
    """Competition ranks among siblings (same parent); None without a score."""
    by_parent: dict[str, list[Decimal]] = {}
    for oid, s in scores.items():
        if s is not None:
            by_parent.setdefault(parents[oid], []).append(s)
    return {
        oid: (None if s is None else 1 + sum(1 for other in by_parent[parents[oid]] if other > s))
        for oid, s in scores.items()
    }


def grade(
    scores: Mapping[int, Decimal | None], *, method: str, grades: Sequence[Mapping[str, Any]]
) -> dict[int, int | None]:
    """The index of each organization's grade in ``grades`` (best first), None for none.

    ``quota``: ``grades[i]["quota"]`` a percentage (integers, summing to at most 100); ``thresholds``:
    ``grades[i]["min"]`` a minimum score (descending)."""
    scored = {oid: s for oid, s in scores.items() if s is not None}
    out: dict[int, int | None] = {oid: None for oid in scores}
    if method == THRESHOLDS:
        for oid, s in scored.items():
            for i, g in enumerate(grades):
                if s >= Decimal(str(g["min"])):
                    out[oid] = i
                    break
        return out
    n = len(scored)
    cumulative, running = [], 0
    for g in grades:
        running += int(g["quota"])
        cumulative.append(n * running // 100)
    ordered = sorted(scored.values(), reverse=True)
    # at_least[s]: how many organizations score s or more (ties included).
    at_least: dict[Decimal, int] = {}
    for i, s in enumerate(ordered):
        at_least[s] = i + 1  # the last index of a run of ties wins
    for oid, s in scored.items():
        for i, cap in enumerate(cumulative):
            if at_least[s] <= cap:
                out[oid] = i
                break
    return out
