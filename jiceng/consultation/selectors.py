"""Every read of residents' consultation, scoped to the user; and the public reads (no account).

- ``topics(user)``: what the user sees (the organization's subtree, owners of items, partner-unit
  contacts); ``get_topic``, ``get_item``, ``get_comment``: 404 outside it.
- ``public_topics(org, year)``: a community's topics readable publicly (noticed, with their results),
  for the public community page; ``get_public_topic(pk)``.
- ``decided_between(org, start, end)``: whether a consultation of ``org`` reached its decision between
  two days (inclusive), for a task answered by a consultation.
- ``tree_of(topic)``: the accountability tree with every item's progress (``tree.progress``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from jiceng.orgs.models import Organization

from . import tree
from .models import DECIDED_STATUSES, PUBLIC_STATUSES, Comment, Item, Topic, Update, Verdict


def topics(user: Any) -> QuerySet[Topic]:
    return Topic.objects.restrict(user).select_related("org", "meeting")


def topics_of(user: Any, org: Organization) -> QuerySet[Topic]:
    return topics(user).filter(org_path__prefix=org.path)


def get_topic(user: Any, pk: int) -> Topic:
    return get_object_or_404(topics(user), pk=pk)


def get_item(user: Any, pk: int) -> Item:
    return get_object_or_404(
        Item.objects.filter(topic__in=Topic.objects.restrict(user)).select_related(
            "topic", "topic__org", "owner_org", "owner_partner", "parent"
        ),
        pk=pk,
    )


def get_comment(user: Any, pk: int) -> Comment:
    return get_object_or_404(
        Comment.objects.filter(update__item__topic__in=Topic.objects.restrict(user)).select_related(
            "update__item__topic"
        ),
        pk=pk,
    )


@dataclass
class TreeItem:
    item: Item
    progress: float
    depth: int
    children: list[TreeItem] = field(default_factory=list)

    @property
    def leaf(self) -> bool:
        return not self.children


@dataclass
class Tree:
    progress: float
    roots: list[TreeItem]

    def flat(self) -> list[TreeItem]:
        out: list[TreeItem] = []

        def walk(items: list[TreeItem]) -> None:
            for t in items:
                out.append(t)
                walk(t.children)

        walk(self.roots)
        return out


def tree_of(topic: Topic, *, public: bool = False) -> Tree:
    """The topic's accountability tree, with milestones, updates and (shown) comments; ``public``:
    hidden comments left out."""
    comments = Comment.objects.order_by("created_at", "id")
    if public:
        comments = comments.filter(hidden=False)
    items = list(
        Item.objects.filter(topic=topic)
        .select_related("owner_org", "owner_partner")
        .prefetch_related(
            "milestones",
            Prefetch(
                "updates",
                queryset=Update.objects.order_by("-on", "-id").prefetch_related(
                    Prefetch("comments", queryset=comments)
                ),
            ),
        )
        .order_by("id")
    )
    values = tree.progress(tree.Node(i.pk, i.parent_id, i.weight, i.progress) for i in items)
    nodes = {i.pk: TreeItem(i, tree.percent(values.get(i.pk, Fraction(0))), 0) for i in items}
    roots: list[TreeItem] = []
    for i in items:
        (nodes[i.parent_id].children if i.parent_id in nodes else roots).append(nodes[i.pk])

    def depth(items_: list[TreeItem], d: int) -> None:
        for t in items_:
            t.depth = d
            depth(t.children, d + 1)

    depth(roots, 0)
    return Tree(tree.percent(values.get(None, Fraction(0))), roots)


# Public -----------------------------------------------------------------------------------------------


def _public() -> QuerySet[Topic]:
    return Topic.objects.filter(status__in=PUBLIC_STATUSES).select_related("org", "meeting")


def public_topics(org: Organization, year: int | None = None) -> list[Topic]:
    """The topics of ``org``'s subtree readable publicly (noticed), of ``year`` (noticed, decided or
    done in it; default this year), newest first, each with ``progress`` (the tree's %) and ``tree``.
    Nothing personal: titles, notices, decisions and the owner organizations' and units' names."""
    year = year or timezone.localdate().year
    rows = list(
        _public()
        .filter(org_path__prefix=org.path)
        .filter(Q(noticed_on__year=year) | Q(decided_on__year=year) | Q(done_on__year=year))
        .order_by("-noticed_on", "-id")
    )
    for t in rows:
        t.tree = tree_of(t, public=True)  # type: ignore[attr-defined]
        t.progress = t.tree.progress  # type: ignore[attr-defined]
    return rows


def get_public_topic(pk: int) -> Topic:
    return get_object_or_404(_public(), pk=pk)


def public_update(topic: Topic, pk: int) -> Update:
    return get_object_or_404(Update.objects.filter(item__topic=topic), pk=pk)


def recent_comments_from(digest: str, *, since: dt.datetime) -> int:
    """Comments sent from one address (its keyed digest) since a moment: the public page's limit."""
    if not digest:
        return 0
    return Comment.objects.filter(address_digest=digest, created_at__gte=since).count()


def decided_topics_between(org: Organization, start: dt.date, end: dt.date) -> QuerySet[Topic]:
    return Topic.objects.filter(
        org_path__prefix=org.path, status__in=DECIDED_STATUSES, decided_on__gte=start, decided_on__lte=end
    )


def decided_between(org: Organization, start: dt.date, end: dt.date) -> bool:
    """Whether a consultation of ``org`` (or of its subtree) reached "decided" between ``start`` and
    ``end`` (both included)."""
    return decided_topics_between(org, start, end).exists()


def verdict_counts(update: Update) -> list[tuple[str, str, int]]:
    """Residents' verdicts on an update (shown comments): (value, label, count), those given only."""
    out: dict[str, int] = {}
    for c in update.comments.all():
        if not c.hidden:
            out[c.verdict] = out.get(c.verdict, 0) + 1
    return [(v, str(label), out[v]) for v, label in Verdict.choices if v in out]
