"""The shipped indicators computed set-based, for every organization of a run at once.

A run reads each indicator's facts with a few aggregate queries grouped by organization (months held
per branch and kind as bit masks, counts and sums of ids per path), judges them with the same rules the
compliance engine applies, and adds each organization's figures to every target above it. It keeps no
record list: per value it stores the numerator, the denominator and a ``TraceKey`` (how many records,
and the sum of their ids). ``builtin.py`` holds the same indicators with their records listed, which a
score's page calls for its one organization (``Indicator.trace``); ``tests/test_trace.py`` checks that
both give the same figures and that the page lists exactly the records counted.

Why not the engine itself in the run: judging every branch-month one ``Finding`` at a time (sentences,
parameters, citations) cost most of a county's run (docs/assessment.md, "Benchmark"); the rules here
are the engine's (RULES.md §2: the kinds, the committee in force on a month's first day, the groups,
the quarters, records-since and founding, each rule's ``enabled`` in force on the period's last day).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, Sum, When
from django.db.models import Value as V
from django.utils.translation import gettext as _

from jiceng.core.rulebook import RuleBook
from jiceng.orgs.models import Organization, OrgKind

from .indicators import Context, TraceKey, Value

STEP = Organization.steplen
# A 党工委 is appointed: no election term (as the engine's ``orgs.compliance.APPOINTED``).
APPOINTED = frozenset({OrgKind.WORKING_COMMITTEE.value})


def distribute(ctx: Context, path: str) -> list[int]:
    """The ids of the targets whose subtree holds ``path`` (the map built once per run)."""
    by_path = ctx.cached("targets.by_path", lambda: {t.path: t.id for t in ctx.targets})
    return [by_path[path[:end]] for end in range(STEP, len(path) + 1, STEP) if path[:end] in by_path]


def rulebook(ctx: Context) -> RuleBook:
    return ctx.cached("rulebook", RuleBook)


def branches(ctx: Context) -> list[dict[str, Any]]:
    return ctx.cached(
        "orgs.branches",
        lambda: list(
            Organization.objects.filter(path__startswith=ctx.owner_path, kind=OrgKind.BRANCH)
            .order_by("path")
            .values("id", "code", "name", "path", "records_since", "founded_on")
        ),
    )


def committees(ctx: Context) -> dict[int, list[tuple]]:
    """The committees of the subtree in force at some time of the year: org id → [(elected, term years,
    extended to, ended)]."""

    def load() -> dict[int, list[tuple]]:
        from jiceng.orgs.models import Committee

        out: dict[int, list[tuple]] = defaultdict(list)
        for org_id, elected, years, extended, ended in (
            Committee.objects.filter(org__path__startswith=ctx.owner_path, elected_on__lte=ctx.end)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=ctx.start))
            .order_by()
            .values_list("org_id", "elected_on", "term_years", "extended_to", "ended_on")
        ):
            out[org_id].append((elected, years, extended, ended))
        return dict(out)

    return ctx.cached("orgs.committees", load)


def in_force(items: list[tuple], day: dt.date) -> tuple | None:
    """The committee in force on ``day`` (the latest elected), as the engine's ``Committees.on``."""
    if len(items) == 1:  # most organizations: one committee over the year
        c = items[0]
        return c if c[0] <= day and (c[3] is None or c[3] > day) else None
    current = [c for c in items if c[0] <= day and (c[3] is None or c[3] > day)]
    return max(current, key=lambda c: c[0]) if current else None


# 三会一课 -----------------------------------------------------------------------------------------------------

MONTHLY = {
    "life.theme_day_monthly": "theme_day",
    "life.committee_meeting_monthly": "committee_meeting",
    "life.group_meeting_monthly": "group_meeting",
}
QUARTERLY = {
    "life.general_meeting_quarterly": "general_meeting",
    "life.party_lecture_quarterly": "party_lecture",
}


def _bit_or(expression: Any) -> Any:
    """The OR of the month bits: PostgreSQL's ``bit_or`` (a hash aggregate); elsewhere the sum of the
    distinct bits, the same number (a DISTINCT aggregate sorts: half again the query's time)."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import BitOr

        return BitOr(expression)
    return Sum(expression, distinct=True)


def _held(ctx: Context) -> tuple[dict[tuple, int], dict[str, list[int]]]:
    """Months held as bit masks ({(org id, kind, group id or None): mask}, bit i = the i-th month of
    the year) and, per organization path, the meetings of the year and the sum of their ids: one
    aggregate query."""
    from jiceng.life.models import Meeting

    bit = Case(
        *[
            When(held_on__gte=first, held_on__lte=last, then=V(1 << i))
            for i, (first, last) in enumerate(ctx.months())
        ],
        default=V(0),
        output_field=IntegerField(),
    )
    rows = (
        Meeting.objects.filter(
            org_path__startswith=ctx.owner_path, held_on__gte=ctx.start, held_on__lte=ctx.end
        )
        .order_by()
        .values_list("org_id", "org_path", "kind", "group_id")
        .annotate(mask=_bit_or(bit), n=Count("id"), ids=Sum("id"))
    )
    masks: dict[tuple, int] = {}
    per_path: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for org_id, path, kind, group_id, mask, n, ids in rows:
        key = (org_id, kind, group_id if kind == "group_meeting" else None)
        masks[key] = masks.get(key, 0) | int(mask or 0)
        per_path[path][0] += n
        per_path[path][1] += int(ids or 0)
    return masks, dict(per_path)


def _groups(ctx: Context) -> dict[int, list[int]]:
    from jiceng.orgs.models import PartyGroup

    out: dict[int, list[int]] = defaultdict(list)
    for org_id, gid in (
        PartyGroup.objects.filter(org__path__startswith=ctx.owner_path).order_by().values_list("org_id", "id")
    ):
        out[org_id].append(gid)
    return dict(out)


def months_complete(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
    """``builtin.months_complete`` without the records: the branch-months counted and those complete,
    judged from the masks with the engine's rules."""
    months = ctx.months()
    book = rulebook(ctx)
    enabled = {
        code: [book.on(code, last).enabled for _first, last in months] for code in (*MONTHLY, *QUARTERLY)
    }
    masks, per_path = ctx.cached("life.held_masks", lambda: _held(ctx))
    groups = _groups(ctx)
    by_org = committees(ctx)

    def mask_of(flags: list[bool]) -> int:
        return sum(1 << i for i, on in enumerate(flags) if on)

    theme_on = mask_of(enabled["life.theme_day_monthly"])
    committee_on = mask_of(enabled["life.committee_meeting_monthly"])
    group_on = mask_of(enabled["life.group_meeting_monthly"])
    # The quarters ended: (bit of the quarter's last month, bits of its months, its first day, rules on).
    quarters = [
        (
            1 << i,
            0b111 << (i - 2),
            first.replace(month=first.month - 2),
            enabled["life.general_meeting_quarterly"][i],
            enabled["life.party_lecture_quarterly"][i],
        )
        for i, (first, _last) in enumerate(months)
        if first.month % 3 == 0
    ]
    firsts = [first for first, _last in months]
    # Bit i of ``counted``: the month counts (on or after records-since, founded by its last day); of
    # ``judged``: the engine judges its monthly rules (the branch existed on the 1st). Most branches
    # share these two days, so the masks are computed once per pair.
    spans: dict[tuple, tuple[int, int, int]] = {}

    def span(since: dt.date | None, founded: dt.date | None) -> tuple[int, int, int]:
        if (since, founded) not in spans:
            counted = judged = quarter_fails_possible = 0
            for i, (first, last) in enumerate(months):
                if (since and first < since) or (founded and founded > last):
                    continue
                counted |= 1 << i
                if founded is None or founded <= first:
                    judged |= 1 << i
            for bit, _bits, q_first, _g, _l in quarters:
                if (founded is None or founded <= q_first) and (since is None or since <= q_first):
                    quarter_fails_possible |= bit
            spans[(since, founded)] = (counted, judged, quarter_fails_possible)
        return spans[(since, founded)]

    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for b in branches(ctx):
        targets = distribute(ctx, b["path"])
        if not targets:
            continue
        bid = b["id"]
        counted, judged, quarter_judged = span(b["records_since"], b["founded_on"])
        if not counted:
            continue
        # The months whose 1st had a committee in force (the engine's ``Committees.on``).
        with_committee = 0
        own = by_org.get(bid)
        if own:
            for i, first in enumerate(firsts):
                if any(c[0] <= first and (c[3] is None or c[3] > first) for c in own):
                    with_committee |= 1 << i
        missed = theme_on & ~masks.get((bid, "theme_day", None), 0)
        missed |= committee_on & with_committee & ~masks.get((bid, "committee_meeting", None), 0)
        joint = masks.get((bid, "group_meeting", None), 0)
        for g in groups.get(bid, ()):
            missed |= group_on & ~(masks.get((bid, "group_meeting", g), 0) | joint)
        missed &= judged
        general = masks.get((bid, "general_meeting", None), 0)
        lecture = masks.get((bid, "party_lecture", None), 0)
        for bit, bits, _q_first, general_on, lecture_on in quarters:
            if quarter_judged & bit and (
                (general_on and not general & bits) or (lecture_on and not lecture & bits)
            ):
                missed |= bit
        done = (counted & ~missed).bit_count()
        total = counted.bit_count()
        for tid in targets:
            counts[tid][0] += done
            counts[tid][1] += total
    meetings: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for path, (n, ids) in per_path.items():
        for tid in distribute(ctx, path):
            meetings[tid][0] += n
            meetings[tid][1] += ids
    # Translated once, not once per organization (gettext per call was a tenth of a county's run).
    some = _("%(n)d个月中%(done)d个月按要求召开了全部规定会议")
    none = _("暂无数据：没有可计的月份（记录起始日期之后已结束的月份）")
    out = {}
    for t in ctx.targets:
        done, counted = counts[t.id]
        n, ids = meetings.get(t.id, (0, 0))
        out[t.id] = Value.ratio(
            done,
            counted,
            note=some % {"n": counted, "done": done} if counted else none,
            # The records: the meetings held, and one line per month missed.
            key=TraceKey(n + counted - done, ids),
        )
    return out


# 任务 -------------------------------------------------------------------------------------------------------


def tasks_on_time(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
    """``builtin.tasks_on_time`` without the records: the assignments due, read as plain rows."""
    from jiceng.tasks.models import Assignment

    grace = dt.timedelta(days=params.get("grace_days", 0))
    per_path: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for aid, path, deadline, answered in (
        Assignment.objects.filter(
            org_path__startswith=ctx.owner_path, deadline__gte=ctx.start, deadline__lte=ctx.end
        )
        .order_by()
        .values_list("id", "org_path", "deadline", "answered_on")
        .iterator(chunk_size=5000)
    ):
        row = per_path[path]
        row[0] += answered is not None and answered <= deadline + grace
        row[1] += 1
        row[2] += aid
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for path, (n, d, ids) in per_path.items():
        for tid in distribute(ctx, path):
            c = counts[tid]
            c[0] += n
            c[1] += d
            c[2] += ids
    some, none = _("到期任务%(n)d项，按时完成%(done)d项"), _("暂无数据：本年度没有到期的任务")
    out = {}
    for t in ctx.targets:
        n, d, ids = counts.get(t.id, (0, 0, 0))
        out[t.id] = Value.ratio(
            n,
            d,
            note=some % {"n": d, "done": n} if d else none,
            key=TraceKey(d, ids),
        )
    return out


# 接诉即办 ---------------------------------------------------------------------------------------------------


def request_keys(ctx: Context) -> dict[int, TraceKey]:
    """The requests each target's trace lists (those received in the year, not merged, withdrawn or
    referred): their count and the sum of their ids, one query grouped by path."""
    from django.utils import timezone

    from jiceng.services.models import ServiceRequest

    tz = timezone.get_current_timezone()
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for path, n, ids in (
        ServiceRequest.objects.filter(
            org_path__startswith=ctx.owner_path,
            received_at__gte=dt.datetime.combine(ctx.start, dt.time.min, tzinfo=tz),
            received_at__lt=dt.datetime.combine(ctx.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        )
        .exclude(state_type__in=("merged", "withdrawn", "referred"))
        .order_by()
        .values_list("org_path")
        .annotate(n=Count("id"), ids=Sum("id"))
    ):
        for tid in distribute(ctx, path):
            sums[tid][0] += n
            sums[tid][1] += int(ids or 0)
    return {t.id: TraceKey(*sums.get(t.id, (0, 0))) for t in ctx.targets}


# 班子 -------------------------------------------------------------------------------------------------------


def committee_in_term(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
    """``builtin.committee_in_term`` without the records: each (organization, month-end) pair judged
    with the engine's rule (the committee in force that day, its own term or the approved extension,
    appointed bodies never) from one read of the committees."""
    from jiceng.orgs import rules as org_rules

    from .builtin import state_days

    book = rulebook(ctx)
    days = state_days(ctx)
    enabled = [book.on("org.committee_term_expired", day).enabled for day in days]
    orgs = ctx.cached(
        "orgs.all_kinds",
        lambda: list(
            Organization.objects.filter(path__startswith=ctx.owner_path)
            .order_by("path")
            .values("id", "code", "name", "path", "kind", "records_since", "founded_on")
        ),
    )
    by_org = committees(ctx)
    counted_days: dict[tuple, list[tuple[dt.date, bool]]] = {}
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for o in orgs:
        targets = distribute(ctx, o["path"])
        if not targets:
            continue
        since, founded = o["records_since"], o["founded_on"]
        if (since, founded) not in counted_days:  # the days counted: on or after records-since, founded
            counted_days[(since, founded)] = [
                (day, on)
                for day, on in zip(days, enabled, strict=True)
                if not ((since and day < since) or (founded and founded > day))
            ]
        judged = counted_days[(since, founded)]
        own = by_org.get(o["id"]) if o["kind"] not in APPOINTED else None
        late = 0
        if own:
            for day, on in judged:
                c = in_force(own, day) if on else None
                if c is not None and c[1] is not None:
                    ends = org_rules.term_end(elected_on=c[0], term_years=c[1], extended_to=c[2])
                    late += ends is not None and ends <= day
        for tid in targets:
            counts[tid][0] += len(judged) - late
            counts[tid][1] += len(judged)
    some, none = _("%(d)d个组织·月末中%(n)d个班子在任期内"), _("暂无数据")
    out = {}
    for t in ctx.targets:
        n, d = counts.get(t.id, (0, 0))
        out[t.id] = Value.ratio(
            n,
            d,
            note=some % {"d": d, "n": n} if d else none,
            key=TraceKey(d - n),
        )
    return out
