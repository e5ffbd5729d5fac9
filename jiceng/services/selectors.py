"""Every read of residents' requests, restricted to the user's scope (``ServiceRequest.restrict``).

The handler's queue is sorted by time left: each open request's next deadline (response while not
responded, else completion) from the time limits in force today (``core.rulebook``), computed in the
database so the page can sort and paginate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from jiceng.core import scope
from jiceng.core.rulebook import RuleBook
from jiceng.orgs.models import Organization

from . import rules
from .models import OPEN_TYPES, Category, Desk, Event, EventKind, Resolution, ServiceRequest, category_keys


def visible_requests(user: object, action: str = scope.VIEW) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.restrict(user, action)


def limits_today() -> tuple[dict, dict]:
    book = RuleBook()
    today = timezone.localdate()
    return (
        book.on("service.response_late", today).values,
        book.on("service.completion_late", today).values,
    )


def all_category_keys() -> dict[int, tuple]:
    return category_keys({c.pk: c for c in Category.objects.only("id", "name", "parent_id")})


@dataclass(frozen=True)
class CategoryLimit:
    """One category's time limits in force today, per urgency, in hours; ``own``: set for the category
    (or an ancestor) rather than the urgency's default."""

    category: Category
    response: dict[str, float]
    completion: dict[str, float]
    own: bool


def category_limits() -> list[CategoryLimit]:
    """Every active category with its limits in force today (the desks page's table)."""
    response, completion = limits_today()
    cats = list(Category.objects.filter(active=True).select_related("parent").order_by("order", "id"))
    keys = category_keys({c.pk: c for c in Category.objects.only("id", "name", "parent_id")})
    out = []
    for cat in sorted(
        cats,
        key=lambda c: (
            c.parent.order if c.parent_id else c.order,
            c.parent_id or c.pk,
            c.parent_id is not None,
            c.order,
            c.pk,
        ),
    ):
        k = keys.get(cat.pk, ())
        r = {u: rules.limit("response", u, response, k) for u in rules.URGENCIES}
        c = {u: rules.limit("completion", u, completion, k) for u in rules.URGENCIES}
        own = any(v[1] is not None for v in (*r.values(), *c.values()))
        out.append(CategoryLimit(cat, {u: v[2] for u, v in r.items()}, {u: v[2] for u, v in c.items()}, own))
    return out


def _plus(hours: float) -> ExpressionWrapper:
    return ExpressionWrapper(
        F("received_at") + Value(dt.timedelta(hours=hours)), output_field=DateTimeField()
    )


def _deadline(kind: str, params: dict, keys: dict[int, tuple]) -> Case:
    """The deadline of ``kind`` for each row: by urgency and, where the rule book sets one, category
    (categories grouped by their hours, so the expression stays as small as the distinct limits)."""
    whens = []
    for u in rules.URGENCIES:
        default = float(params[f"{u}_{kind}_hours"])
        groups: dict[float, list[int]] = {}
        for cid, k in keys.items():
            hours = rules.limit(kind, u, params, k)[2]
            if hours != default:
                groups.setdefault(hours, []).append(cid)
        for hours, ids in sorted(groups.items()):
            whens.append(When(urgency=u, category_id__in=sorted(ids), then=_plus(hours)))
        whens.append(When(urgency=u, then=_plus(default)))
    return Case(*whens, output_field=DateTimeField())


def with_deadlines(qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """``response_due``, ``completion_due`` and ``next_due`` (None once the request is answered or over),
    with the limits in force today for each request's urgency and category."""
    response, completion = limits_today()
    keys = all_category_keys()
    return qs.annotate(
        response_due=_deadline("response", response, keys),
        completion_due=_deadline("completion", completion, keys),
    ).annotate(
        next_due=Case(
            When(state_type__in=OPEN_TYPES, responded_at__isnull=True, then=F("response_due")),
            When(state_type__in=OPEN_TYPES, then=F("completion_due")),
            default=None,
            output_field=DateTimeField(),
        )
    )


def request_list(user: object, *, org: Organization | None = None) -> QuerySet[ServiceRequest]:
    """Requests the user may see (of one subtree, by where made or who handles), the queue first:
    open requests by time left, then the rest newest first."""
    qs = visible_requests(user)
    if org is not None:
        qs = in_subtree(qs, org)
    return (
        with_deadlines(qs)
        # category__parent: a row shows "环境卫生 / 垃圾清运" (one query per row without it). The
        # organizations come by one more query for the page's rows only: joined, PostgreSQL hashed the
        # whole organization table (54,000 rows at province) before sorting by time left.
        .select_related("category__parent", "state", "handler_partner")
        .prefetch_related("org", "handler_org")
        .order_by(F("next_due").asc(nulls_last=True), "-received_at", "-id")
    )


def home_counts(user: object) -> dict[str, int]:
    """Open requests the user sees, and how many of them are past their next deadline."""
    qs = with_deadlines(visible_requests(user).filter(state_type__in=OPEN_TYPES))
    return {"open": qs.count(), "late": qs.filter(next_due__lt=timezone.now()).count()}


def get_request(user: object, code: str, *, action: str = scope.VIEW) -> ServiceRequest:
    code = (code or "").strip().upper()
    if not code or len(code) > 16 or not code.isascii():
        raise Http404
    req = (
        with_deadlines(visible_requests(user, action))
        .select_related("org", "category", "state", "handler_org", "handler_partner", "duplicate_of")
        .filter(code=code)
        .first()
    )
    if req is None:
        raise Http404
    return req


def events(req: ServiceRequest) -> QuerySet[Event]:
    return req.events.select_related("state", "actor").order_by("at", "id")


def similar_open(
    req_or_org: ServiceRequest | Organization, category_id: int, *, exclude: int | None = None
) -> QuerySet:
    """Open requests of the same community and category in the last 30 days: duplicate hints."""
    org = req_or_org.org if isinstance(req_or_org, ServiceRequest) else req_or_org
    since = timezone.now() - dt.timedelta(days=30)
    qs = ServiceRequest.objects.filter(
        org=org, category_id=category_id, state_type__in=OPEN_TYPES, received_at__gte=since
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("-received_at")[:5]


def recent_from_address(digest: str, *, since: dt.datetime) -> int:
    if not digest:
        return 0
    return ServiceRequest.objects.filter(address_digest=digest, received_at__gte=since).count()


def intake_desk(code: str, digest: str, *, since: dt.datetime) -> Any:
    """The organization of ``code`` for the public intake, in one query: with ``intake_desk_open`` (its
    desk row's ``open``, None without a row; ``services.desk_open`` reads it instead of asking again) and
    ``intake_recent`` (``recent_from_address``: the address's submissions since ``since``). None when no
    organization has the code. Written out (every post of the public page runs it): the ORM's building
    of the same query with its two subqueries cost more than running it."""
    qn = connection.ops.quote_name
    orgs, desks, requests = (qn(m._meta.db_table) for m in (Organization, Desk, ServiceRequest))
    recent, params = "0", []
    if digest:  # requests entered by staff carry no address: an empty digest counts nothing
        recent = (
            f"(SELECT COUNT(*) FROM {requests} r WHERE r.{qn('address_digest')} = %s"  # noqa: S608
            f" AND r.{qn('received_at')} >= %s)"
        )
        params = [digest, connection.ops.adapt_datetimefield_value(since)]
    sql = (
        f"SELECT o.*, (SELECT d.{qn('open')} FROM {desks} d WHERE d.{qn('org_id')} = o.{qn('id')})"  # noqa: S608
        f" AS intake_desk_open, {recent} AS intake_recent FROM {orgs} o WHERE o.{qn('code')} = %s"
    )
    return next(iter(Organization.objects.raw(sql, [*params, code])), None)


# Figures ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The three rates of 接诉即办 over requests received in a window (docs/services.md):

    - 响应率 ``response_rate`` = responded within the time limit / received;
    - 解决率 ``resolution_rate`` = solved in the resident's word / answered at least once;
    - 满意率 ``satisfaction_rate`` = rated 4 or 5 / rated.
    Merged, withdrawn and referred requests are not counted as received.
    """

    received: int
    responded_in_time: int
    answered: int
    solved: int
    rated: int
    satisfied: int

    @staticmethod
    def _rate(n: int, d: int) -> float | None:
        return round(100 * n / d, 1) if d else None

    @property
    def response_rate(self) -> float | None:
        return self._rate(self.responded_in_time, self.received)

    @property
    def resolution_rate(self) -> float | None:
        return self._rate(self.solved, self.answered)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)


def _counted(qs: QuerySet[ServiceRequest], start: dt.date, end: dt.date) -> QuerySet[ServiceRequest]:
    tz = timezone.get_current_timezone()
    qs = with_deadlines(
        qs.filter(
            received_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            received_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        ).exclude(state_type__in=("merged", "withdrawn", "referred"))
    )
    answered_once = Exists(Event.objects.filter(request=OuterRef("pk"), kind=EventKind.ANSWERED))
    return qs.annotate(was_answered=answered_once)


def _counts() -> dict[str, Count]:
    return {
        "received": Count("pk"),
        "responded_in_time": Count(
            "pk", filter=Q(responded_at__isnull=False, responded_at__lte=F("response_due"))
        ),
        "answered": Count("pk", filter=Q(was_answered=True)),
        "solved": Count("pk", filter=Q(resolution=Resolution.SOLVED)),
        "rated": Count("pk", filter=Q(satisfaction__isnull=False)),
        "satisfied": Count("pk", filter=Q(satisfaction__gte=4)),
    }


def figures(qs: QuerySet[ServiceRequest], *, start: dt.date, end: dt.date) -> Figures:
    """The rates over ``qs`` (already scoped) for requests received from ``start`` to ``end``."""
    row = _counted(qs, start, end).aggregate(**_counts())
    return Figures(**{k: v or 0 for k, v in row.items()})


def figures_by_path(qs: QuerySet[ServiceRequest], *, start: dt.date, end: dt.date) -> dict[str, Figures]:
    """The counts of ``qs`` per organization where requests were made (``org_path``), in one query:
    counts add up, so a subtree's figures are the sum over the paths under it (the assessment's rates
    for every organization of a run at once)."""
    rows = _counted(qs, start, end).order_by().values("org_path").annotate(**_counts())
    out: dict[str, Figures] = {}
    for row in rows:
        path = row.pop("org_path")
        out[path] = Figures(**{k: v or 0 for k, v in row.items()})
    return out


def figures_by_month(qs: QuerySet[ServiceRequest], *, year: int) -> list[tuple[dt.date, Figures]]:
    """The rates of each month of ``year`` (by the month a request was received), in one query: the
    series of the figures page's chart. A month without requests has all counts 0 (rates None)."""
    rows = (
        _counted(qs, dt.date(year, 1, 1), dt.date(year, 12, 31))
        .annotate(month=TruncMonth("received_at"))
        .order_by()
        .values("month")
        .annotate(**_counts())
    )
    by_month: dict[int, Figures] = {}
    for row in rows:
        month = row.pop("month")
        by_month[month.month] = Figures(**{k: v or 0 for k, v in row.items()})
    empty = Figures(0, 0, 0, 0, 0, 0)
    return [(dt.date(year, m, 1), by_month.get(m, empty)) for m in range(1, 13)]


def in_subtree(qs: QuerySet[ServiceRequest], org: Organization) -> QuerySet[ServiceRequest]:
    """Requests made in, or handled by, ``org``'s subtree (the figures of any node)."""
    return qs.filter(Q(org_path__prefix=org.path) | Q(handler_path__prefix=org.path))


def figures_scope(user: object, org: Organization | None = None) -> QuerySet[ServiceRequest]:
    """The requests the figures count: the user's, or one node's subtree of them."""
    qs = visible_requests(user)
    return in_subtree(qs, org) if org is not None else qs


def figures_by_community(
    user: object, *, start: dt.date, end: dt.date, org: Organization | None = None
) -> list[tuple[Organization, Figures]]:
    """Per community the user sees (where requests were made), in tree order: no ranking."""
    qs = figures_scope(user, org)
    org_ids = qs.values("org_id").distinct()
    out = []
    for org in Organization.objects.filter(pk__in=org_ids).order_by("path"):
        out.append((org, figures(qs.filter(org=org), start=start, end=end)))
    return out


def figures_by_partner(
    user: object, *, start: dt.date, end: dt.date, org: Organization | None = None
) -> list[tuple[Any, Figures]]:
    """Per partner unit responsible for requests the user sees, by name."""
    from jiceng.partners.models import PartnerUnit

    qs = figures_scope(user, org)
    units = PartnerUnit.objects.filter(
        pk__in=qs.filter(handler_partner__isnull=False).values("handler_partner_id")
    )
    return [
        (unit, figures(qs.filter(handler_partner=unit), start=start, end=end))
        for unit in units.order_by("name")
    ]


# Maintained figures (figures.py): a node's totals and months without reading the requests ----------------


def maintained_node(user: object, org: Organization | None) -> Organization | None:
    """The node whose maintained rows are exactly the user's figures, or None (then counted live): the
    node asked for, or the user's single scope root, when the user's roles cover it (a partner unit's
    contact without a role, or a user with several roots, is counted live)."""
    if org is None:
        prefixes = scope.paths_for(user, scope.VIEW)
        if len(prefixes) != 1 or getattr(user, "partner_units", None) is None:
            return None
        if user.partner_units.exists():
            return None
        org = Organization.objects.filter(path=prefixes[0]).first()
    if org is None or not scope.can(user, scope.VIEW, org.path):
        return None
    return org


def total_figures(user: object, *, start: dt.date, end: dt.date, org: Organization | None = None) -> Figures:
    """The rates in total over the user's requests, or one node's subtree: from the maintained monthly
    rows where they are exactly that (``maintained_node``), else counted from the requests."""
    from . import figures as maintained

    node = maintained_node(user, org)
    if node is not None:
        return Figures(**maintained.of_org(node, start=start, end=end))
    return figures(figures_scope(user, org), start=start, end=end)


def monthly_figures(
    user: object, *, year: int, org: Organization | None = None
) -> list[tuple[dt.date, Figures]]:
    """The twelve months of ``year`` (the chart), from the maintained rows where possible."""
    from . import figures as maintained

    node = maintained_node(user, org)
    if node is None:
        return figures_by_month(figures_scope(user, org), year=year)
    rows = maintained.by_month(node, year=year)
    empty = dict.fromkeys(maintained.FIELDS, 0)
    return [(dt.date(year, m, 1), Figures(**rows.get(m, empty))) for m in range(1, 13)]
