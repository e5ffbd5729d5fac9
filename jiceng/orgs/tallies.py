"""Maintained subtree counts: the dashboard numbers of any node in one row read.

A full count over a province (a million members) takes a quarter of a second; the organization
page must answer in milliseconds, so every write that changes a count applies its delta to the
tallies of all the organization's ancestors, in the same transaction. ``rebuild`` recomputes them
from the records, and the tests check that the two always agree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction

from jiceng.core import bulk

from .models import Committee, Organization, OrgKind, OrgTally


def _ancestor_paths(path: str) -> list[str]:
    step = Organization.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def member_keys(*, status: str, category: str, education: str, gender: str, birth_date: dt.date) -> Counter:
    return Counter(
        {
            "members": 1,
            f"status:{status}": 1,
            f"category:{category}": 1,
            f"education:{education}": 1,
            f"gender:{gender}": 1,
            f"birth_year:{birth_date.year}": 1,
        }
    )


def keys_of_member(member: Any) -> Counter:
    if member.closed_on is not None:
        return Counter()
    return member_keys(
        status=member.status,
        category=member.category,
        education=member.education,
        gender=member.gender,
        birth_date=member.birth_date,
    )


def org_keys(*, kind: str, unit_kind: str) -> Counter:
    if kind != OrgKind.BRANCH:
        return Counter()
    return Counter({"branches": 1, f"unit:{unit_kind}": 1})


def keys_of_org(org: Organization) -> Counter:
    return org_keys(kind=org.kind, unit_kind=org.unit_kind)


APPOINTED_KEY = "committee:appointed"


def committee_keys(*, term_ends_on: dt.date | None) -> Counter:
    """A current committee's keys (an ended one has none): the day its term ends, or, for an appointed
    committee (a 党工委's, without a term), ``committee:appointed``."""
    if term_ends_on is None:
        return Counter({APPOINTED_KEY: 1})
    return Counter({f"term_end:{term_ends_on.isoformat()}": 1})


def keys_of_committee(committee: Committee) -> Counter:
    if committee.ended_on is not None:
        return Counter()
    return committee_keys(term_ends_on=committee.term_ends_on)


def diff(before: Counter, after: Counter) -> Counter:
    delta = Counter(after)
    delta.subtract(before)
    return Counter({k: v for k, v in delta.items() if v})


def apply(path: str, delta: Mapping[str, int]) -> None:
    """Add ``delta`` to the tallies of ``path`` and all its ancestors."""
    if delta:
        apply_many({path: delta})


@transaction.atomic
def apply_many(deltas: Mapping[str, Mapping[str, int]]) -> None:
    """Apply many deltas (path → counts) at once: each ancestor's row is read, locked and written once."""
    per_path: dict[str, Counter] = defaultdict(Counter)
    for path, delta in deltas.items():
        if not delta:
            continue
        for ancestor in _ancestor_paths(path):
            per_path[ancestor].update(delta)
    apply_totals(per_path)


@transaction.atomic
def apply_totals(per_path: Mapping[str, Mapping[str, int]]) -> None:
    """Add to each path's own tally its delta, already summed over its subtree (``apply_many`` sums
    deltas up the ancestors first; a bulk import sums a whole tree's bottom-up, once per node)."""
    per_path = {path: delta for path, delta in per_path.items() if delta}
    if not per_path:
        return
    orgs = dict(Organization.objects.filter(path__in=list(per_path)).values_list("path", "pk"))
    pks = sorted(orgs.values())
    # Lock in a fixed order (primary key) so concurrent writers cannot deadlock.
    existing = {
        t.org_id: t for t in OrgTally.objects.select_for_update().filter(org_id__in=pks).order_by("org_id")
    }
    create, update = [], []
    for path, delta in per_path.items():
        pk = orgs.get(path)
        if pk is None:
            continue
        tally = existing.get(pk)
        if tally is None:
            tally = OrgTally(org_id=pk, counts={})
            create.append(tally)
        else:
            update.append(tally)
        counts = Counter(tally.counts)
        counts.update(delta)
        tally.counts = {k: v for k, v in counts.items() if v}
    _write(create, update)


encode_counts = json.JSONEncoder(separators=(",", ":")).encode


def create_encoded(rows: Iterable[tuple[int, str]]) -> None:
    """New tallies of organizations that have none yet: (org pk, counts as ``encode_counts`` JSON).
    COPY on PostgreSQL: a first import creates a tally for every organization of a province at once."""
    bulk.insert_rows(OrgTally, ("org_id", "counts"), rows)


def _write(create: list[OrgTally], update: list[OrgTally]) -> None:
    """Plain INSERT / UPDATE by the row, sent as one batch (psycopg pipelines ``executemany``): an
    import of a province writes 54,000 tallies, which ``bulk_create`` and ``bulk_update``'s CASE
    expressions take seconds to compose."""
    field = OrgTally._meta.get_field("counts")
    table = connection.ops.quote_name(OrgTally._meta.db_table)
    create_encoded((t.org_id, encode_counts(t.counts)) for t in create)
    with connection.cursor() as cur:
        if update:
            cur.executemany(
                f"UPDATE {table} SET counts = %s WHERE org_id = %s",  # noqa: S608
                [(field.get_db_prep_save(t.counts, connection), t.org_id) for t in update],
            )


def move_subtree(*, old_path: str, new_path: str, own: Mapping[str, int]) -> None:
    """A subtree with counts ``own`` moved: subtract from the old ancestors, add to the new ones."""
    old_parent, new_parent = old_path[: -Organization.steplen], new_path[: -Organization.steplen]
    if old_parent:
        apply(old_parent, Counter({k: -v for k, v in own.items()}))
    if new_parent:
        apply(new_parent, own)


def read(org: Organization) -> dict[str, int]:
    tally = OrgTally.objects.filter(org=org).values_list("counts", flat=True).first()
    return dict(tally or {})


def count_fresh(org: Organization) -> dict[str, int]:
    """The same numbers counted from the records (slow at scale; for checks and rebuilds)."""
    from jiceng.members.models import Member

    counts: Counter = Counter()
    members = Member.objects.filter(org_path__prefix=org.path, closed_on__isnull=True).values_list(
        "status", "category", "education", "gender", "birth_date"
    )
    for status, category, education, gender, birth in members.iterator(chunk_size=5000):
        counts.update(
            member_keys(
                status=status, category=category, education=education, gender=gender, birth_date=birth
            )
        )
    for branch in Organization.objects.filter(path__prefix=org.path, kind=OrgKind.BRANCH).only(
        "kind", "unit_kind"
    ):
        counts.update(keys_of_org(branch))
    current = Committee.objects.filter(org__path__prefix=org.path, ended_on__isnull=True)
    for committee in current.only(
        "formation", "elected_on", "term_years", "extended_to", "ended_on"
    ).iterator():
        counts.update(keys_of_committee(committee))
    return {k: v for k, v in counts.items() if v}


@transaction.atomic
def rebuild(orgs: Iterable[Organization] | None = None) -> int:
    """Recompute the tallies (of ``orgs``, or of the whole tree) from the records in one pass."""
    from jiceng.members.models import Member

    leaf: dict[str, Counter] = defaultdict(Counter)
    for path, status, category, education, gender, birth in (
        Member.objects.filter(closed_on__isnull=True)
        .values_list("org_path", "status", "category", "education", "gender", "birth_date")
        .iterator(chunk_size=20000)
    ):
        leaf[path].update(
            member_keys(
                status=status, category=category, education=education, gender=gender, birth_date=birth
            )
        )
    for path, kind, unit in Organization.objects.values_list("path", "kind", "unit_kind").iterator(
        chunk_size=20000
    ):
        if kind == OrgKind.BRANCH:
            leaf[path].update({"branches": 1, f"unit:{unit}": 1})
    for committee in (
        Committee.objects.filter(ended_on__isnull=True)
        .select_related("org")
        .only("org__path", "formation", "elected_on", "term_years", "extended_to", "ended_on")
        .iterator(chunk_size=20000)
    ):
        leaf[committee.org.path].update(keys_of_committee(committee))
    totals: dict[str, Counter] = defaultdict(Counter)
    for path, counts in leaf.items():
        for ancestor in _ancestor_paths(path):
            totals[ancestor].update(counts)
    wanted = None if orgs is None else {o.path for o in orgs}
    rows = []
    for pk, path in Organization.objects.values_list("pk", "path").iterator(chunk_size=20000):
        if wanted is None or path in wanted:
            rows.append(
                OrgTally(org_id=pk, counts={k: v for k, v in totals.get(path, Counter()).items() if v})
            )
    target = OrgTally.objects.all() if wanted is None else OrgTally.objects.filter(org__path__in=wanted)
    target.delete()
    OrgTally.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
