"""Time limits of residents' requests (RULES.md §9) as pure functions over times and parameters.

A request must be responded to (响应) within ``<urgency>_response_hours`` of being received, and
answered (办结) within ``<urgency>_completion_hours``. Lateness is judged as of a moment: a request
not yet responded to is late once its deadline has passed; one responded to after the deadline stays
late. The deadline itself is on time (``<=``). The shipped numbers are unverified local practice (U).

Each category may have its own limits: ``category_response_hours`` and ``category_completion_hours``
(parameters of the same rules, so with effective dates like every number) map a category, named by its
id (``"12"``) or its name path (``"环境卫生"``, ``"环境卫生/垃圾清运"``), to hours: one number for every
urgency, or ``{"urgent": 1, "ordinary": 12}`` per urgency. A sub-category without its own entry takes
its nearest ancestor's; an urgency no entry names takes the urgency's default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.compliance import Finding, OrgRef, make_finding
from jiceng.core.rulebook import RuleParams

URGENCIES = ("urgent", "ordinary", "complex")

RESPONSE_DEFAULTS = {
    "urgent_response_hours": 2,
    "ordinary_response_hours": 24,
    "complex_response_hours": 24,
    "category_response_hours": {},
}
COMPLETION_DEFAULTS = {
    "urgent_completion_hours": 24,
    "ordinary_completion_hours": 7 * 24,
    "complex_completion_hours": 15 * 24,
    "category_completion_hours": {},
}
MAX_HOURS = 24 * 366  # a category's limit beyond a year is taken for a typing error: the default applies

# A category as the limits name it: for it and each ancestor, nearest first, the keys it goes by.
CategoryKeys = tuple[tuple[str, ...], ...]


def _hours_value(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value <= MAX_HOURS else None


def limit(
    kind: str, urgency: str, params: Mapping[str, Any], category: CategoryKeys = ()
) -> tuple[str, Any, float]:
    """The hours of ``kind`` (``response`` or ``completion``) for a request of this urgency and category:
    ``(parameter, key, hours)``: the parameter that gave it, the category key (None for the default)."""
    table = params.get(f"category_{kind}_hours") or {}
    if isinstance(table, Mapping):
        for keys in category:
            for key in keys:
                if key not in table:
                    continue
                value = table[key]
                hours = (
                    _hours_value(value.get(urgency)) if isinstance(value, Mapping) else _hours_value(value)
                )
                if hours is not None:
                    return f"category_{kind}_hours", key, hours
    name = f"{urgency}_{kind}_hours"
    return name, None, float(params[name])


def response_deadline(
    received_at: dt.datetime, urgency: str, params: Mapping[str, Any], category: CategoryKeys = ()
) -> dt.datetime:
    return received_at + dt.timedelta(hours=limit("response", urgency, params, category)[2])


def completion_deadline(
    received_at: dt.datetime, urgency: str, params: Mapping[str, Any], category: CategoryKeys = ()
) -> dt.datetime:
    return received_at + dt.timedelta(hours=limit("completion", urgency, params, category)[2])


def is_late(deadline: dt.datetime, done_at: dt.datetime | None, as_of: dt.datetime) -> bool:
    """Late: done after the deadline, or not done and the deadline passed by ``as_of``."""
    if done_at is not None:
        return done_at > deadline
    return as_of > deadline


def _late(
    code_kind: str,
    *,
    org: OrgRef,
    request_id: int,
    request_code: str,
    received_at: dt.datetime,
    urgency: str,
    done_at: dt.datetime | None,
    as_of: dt.datetime,
    params: RuleParams,
    category: CategoryKeys,
) -> Finding | None:
    name, key, hours = limit(code_kind, urgency, params.values, category)
    deadline = received_at + dt.timedelta(hours=hours)
    if not params.enabled or not is_late(deadline, done_at, as_of):
        return None
    used = {name: params[name]} if key is None else {name: {key: params[name][key]}}
    return make_finding(
        params,
        org,
        received_at.date().isoformat(),
        {
            "request": request_code,
            "deadline": deadline.isoformat(timespec="minutes"),
            "done": done_at is not None,
        },
        used=used,
        subject=f"request:{request_id}",
        # A present fault, found only once the deadline has passed: overdue from the day it is found
        # (the due list lists it under 已逾期 with its message, never as a duty still ahead).
        due_on=None,
    )


def response_late(
    *,
    org: OrgRef,
    request_id: int,
    request_code: str,
    received_at: dt.datetime,
    urgency: str,
    responded_at: dt.datetime | None,
    as_of: dt.datetime,
    params: RuleParams,
    category: CategoryKeys = (),
) -> Finding | None:
    """北京市接诉即办工作条例 (the first receiver responds promptly); hours per urgency: U."""
    return _late(
        "response",
        org=org,
        request_id=request_id,
        request_code=request_code,
        received_at=received_at,
        urgency=urgency,
        done_at=responded_at,
        as_of=as_of,
        params=params,
        category=category,
    )


def completion_late(
    *,
    org: OrgRef,
    request_id: int,
    request_code: str,
    received_at: dt.datetime,
    urgency: str,
    answered_at: dt.datetime | None,
    as_of: dt.datetime,
    params: RuleParams,
    category: CategoryKeys = (),
) -> Finding | None:
    return _late(
        "completion",
        org=org,
        request_id=request_id,
        request_code=request_code,
        received_at=received_at,
        urgency=urgency,
        done_at=answered_at,
        as_of=as_of,
        params=params,
        category=category,
    )


def _message(done: str, pending: str) -> Any:
    def render(facts: Mapping[str, Any]) -> str:
        deadline = str(facts.get("deadline", "")).replace("T", " ")[:16]
        text = done if facts.get("done") else pending
        return _(text) % {"request": facts.get("request", ""), "deadline": deadline}

    return render


MESSAGES = {
    "service.response_late": _message(
        "群众诉求%(request)s超过响应时限（应于%(deadline)s前响应）才响应",
        "群众诉求%(request)s已超过响应时限（应于%(deadline)s前响应），尚未响应",
    ),
    "service.completion_late": _message(
        "群众诉求%(request)s超过办结时限（应于%(deadline)s前办结）才办结",
        "群众诉求%(request)s已超过办结时限（应于%(deadline)s前办结），尚未办结",
    ),
}

# Marked for the catalogue (the strings above are translated when rendered).
_MARKED = (
    gettext_lazy("群众诉求%(request)s超过响应时限（应于%(deadline)s前响应）才响应"),
    gettext_lazy("群众诉求%(request)s已超过响应时限（应于%(deadline)s前响应），尚未响应"),
    gettext_lazy("群众诉求%(request)s超过办结时限（应于%(deadline)s前办结）才办结"),
    gettext_lazy("群众诉求%(request)s已超过办结时限（应于%(deadline)s前办结），尚未办结"),
)

EXPLANATIONS = {
    "service.response_late": gettext_lazy(
        "承办单位应在接到群众诉求后按紧急程度在规定小时数内响应（紧急2小时、一般和复杂24小时，"
        "为地方做法，可由系统管理员按生效日期调整）；某一类别另有时限的，按该类别的时限。"
    ),
    "service.completion_late": gettext_lazy(
        "承办单位应在接到群众诉求后按紧急程度在规定时限内办结并答复居民（紧急24小时、一般7天、"
        "复杂15天，为地方做法，可由系统管理员按生效日期调整）；某一类别另有时限的，按该类别的时限。"
    ),
}
