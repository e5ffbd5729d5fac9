"""The accountability tree's progress, as a pure function (no database; property-tested).

A leaf's progress is its own (0–100, set by its dated updates). A parent's progress is the weighted
mean of its children's progress with the children's weights (each item has a weight, default 1); the
topic's is the weighted mean of its top-level items. Unrolled, a parent's progress is the weighted
progress of its leaves, each leaf weighing the product of its weight's share at every level between
the parent and the leaf. Computed exactly (fractions), rounded only for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Node:
    id: int
    parent: int | None
    weight: int
    progress: int


def children_of(nodes: Iterable[Node]) -> dict[int | None, list[Node]]:
    out: dict[int | None, list[Node]] = {}
    for n in nodes:
        out.setdefault(n.parent, []).append(n)
    return out


def progress(nodes: Iterable[Node]) -> dict[int | None, Fraction]:
    """Every item's progress by id, and the whole tree's under ``None`` (0 for an empty tree)."""
    nodes = list(nodes)
    kids = children_of(nodes)
    out: dict[int | None, Fraction] = {}

    def walk(node_id: int | None, own: int) -> Fraction:
        below = kids.get(node_id, [])
        if not below:
            value = Fraction(own)
        else:
            total = sum(c.weight for c in below)
            value = sum((Fraction(c.weight) * walk(c.id, c.progress) for c in below), Fraction(0)) / total
        out[node_id] = value
        return value

    walk(None, 0)
    return out


def leaf_weights(nodes: Iterable[Node], root: int | None = None) -> Mapping[int, Fraction]:
    """The effective weight of each leaf under ``root`` (None: the whole tree): the product of its
    weight's share among its siblings at every level. They sum to 1 when there is any leaf."""
    kids = children_of(nodes)
    out: dict[int, Fraction] = {}

    def walk(node_id: int | None, share: Fraction) -> None:
        below = kids.get(node_id, [])
        total = sum(c.weight for c in below)
        for c in below:
            s = share * Fraction(c.weight, total)
            if kids.get(c.id):
                walk(c.id, s)
            else:
                out[c.id] = s

    walk(root, Fraction(1))
    return out


def percent(value: Fraction) -> float:
    """For display: one decimal."""
    return round(float(value), 1)
