"""The time limits of residents' requests (RULES.md §9) as this app declares them to the engine.

Both rules are judged per request, like a meeting rule: evaluating a period judges the requests
received in it, each with the parameters in force on the day it was received, as of now. A finding sits on the handling organization (for a
partner unit: the community that took the request), so it appears on that organization's health
check and, overdue from the moment it is found, on its due list, with "去办理" leading to the request's
page while it is still not done (``fix_request``). ``ServicesConfig.ready()`` registers them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding
from jiceng.core.periods import Period
from jiceng.core.rulebook import MEETING, RuleParams, RuleSpec, register_facts, register_rules

from . import rules

CITATION = gettext_noop("北京市接诉即办工作条例；时限为地方做法（未核对）")


def load_requests(ev: Evaluation) -> list[tuple]:
    """Requests handled in the subtree and received in any of the plan's windows (one query)."""
    from .models import ServiceRequest

    q = Q(pk__in=[])
    tz = timezone.get_current_timezone()
    for p in ev.plan.meetings:
        start = dt.datetime.combine(p.start, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        q |= Q(received_at__gte=start, received_at__lt=end)
    return list(
        ServiceRequest.objects.filter(q, handler_path__prefix=ev.prefix)
        .exclude(state_type__in=("merged", "withdrawn", "referred"))
        .order_by("received_at", "id")
        .values_list(
            "id",
            "code",
            "handler_org_id",
            "org_id",
            "urgency",
            "received_at",
            "responded_at",
            "answered_at",
            "category_id",
        )
    )


def load_category_keys(ev: Evaluation) -> dict[int, tuple]:
    """Every category's keys for the per-category limits (``rules.limit``): a small table, read once."""
    from .models import Category, category_keys

    return category_keys({c.pk: c for c in Category.objects.only("id", "name", "parent_id")})


def _as_of(windows: tuple[Period, ...]) -> dt.datetime:
    """Lateness is judged as of now, whatever the period: a request received on a period's last evening
    and never responded to is late in that period's results (judged as of the period's end it would be
    late in no period's), and the due list's link to a finding (its period: the day received) finds it."""
    return timezone.now()


def _judge(
    done_index: int, rule: Callable[..., Finding | None], done_name: str
) -> Callable[..., Iterator[Finding]]:
    def judge(
        ev: Evaluation, windows: tuple[Period, ...], params_on: Callable[[dt.date], RuleParams]
    ) -> Iterator[Finding]:
        if not windows:
            return
        as_of = _as_of(windows)
        keys = ev.fact("services.category_keys")
        for row in ev.fact("services.requests"):
            rid, code, handler_id, org_id, urgency, received_at = row[:6]
            o = ev.by_id.get(handler_id) or ev.by_id.get(org_id)
            if o is None:
                continue
            local = timezone.localtime(received_at)
            f = rule(
                org=o.ref,
                request_id=rid,
                request_code=code,
                received_at=local,
                urgency=urgency,
                as_of=as_of,
                params=params_on(local.date()),
                category=keys.get(row[8], ()),
                **{done_name: row[done_index]},
            )
            if f:
                yield f

    return judge


def fix_request(f: Finding, today: dt.date) -> str | None:
    """The request's own page, where its handler responds or answers; nothing once it is done (a
    lateness already past cannot be cleared, only seen)."""
    from django.urls import NoReverseMatch, reverse

    code = str(f.facts.get("request") or "")
    if not code or f.facts.get("done"):
        return None
    try:
        return reverse("services:detail", kwargs={"code": code})
    except NoReverseMatch:  # pragma: no cover (the app's URLs are always mounted)
        return None


def _spec(code: str, title: Any, judge: Any, defaults: dict[str, Any]) -> RuleSpec:
    return RuleSpec(
        code,
        title,
        MEETING,
        CITATION,
        defaults=defaults,
        confidence="U",
        section="9",
        judge=judge,
        message=rules.MESSAGES[code],
        explanation=rules.EXPLANATIONS[code],
        fix=fix_request,
    )


SPECS = (
    _spec(
        "service.response_late",
        _("群众诉求超过响应时限"),
        _judge(6, rules.response_late, "responded_at"),
        rules.RESPONSE_DEFAULTS,
    ),
    _spec(
        "service.completion_late",
        _("群众诉求超过办结时限"),
        _judge(7, rules.completion_late, "answered_at"),
        rules.COMPLETION_DEFAULTS,
    ),
)


def register() -> None:
    register_facts("services.requests", load_requests)
    register_facts("services.category_keys", load_category_keys)
    register_rules("services", *SPECS)
