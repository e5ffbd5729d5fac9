"""Time limits of residents' requests (RULES.md §9) as pure functions over times and parameters.

A request must be responded to (响应) within ``<urgency>_response_hours`` of being received, and
answered (办结) within ``<urgency>_completion_hours``. Lateness is judged as of a moment: a request
not yet responded to is late once its deadline has passed; one responded to after the deadline stays
late. The deadline itself is on time (``<=``). The shipped numbers are unverified local practice (U).
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

RESPONSE_DEFAULTS = {"urgent_response_hours": 2, "ordinary_response_hours": 24, "complex_response_hours": 24}
COMPLETION_DEFAULTS = {
    "urgent_completion_hours": 24,
    "ordinary_completion_hours": 7 * 24,
    "complex_completion_hours": 15 * 24,
}


def response_deadline(received_at: dt.datetime, urgency: str, params: Mapping[str, Any]) -> dt.datetime:
    return received_at + dt.timedelta(hours=float(params[f"{urgency}_response_hours"]))


def completion_deadline(received_at: dt.datetime, urgency: str, params: Mapping[str, Any]) -> dt.datetime:
    return received_at + dt.timedelta(hours=float(params[f"{urgency}_completion_hours"]))


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
    deadline: dt.datetime,
    params: RuleParams,
) -> Finding | None:
    if not params.enabled or not is_late(deadline, done_at, as_of):
        return None
    hours = f"{urgency}_{code_kind}_hours"
    return make_finding(
        params,
        org,
        received_at.date().isoformat(),
        {
            "request": request_code,
            "deadline": deadline.isoformat(timespec="minutes"),
            "done": done_at is not None,
        },
        used={hours: params[hours]},
        subject=f"request:{request_id}",
        due_on=deadline.date(),
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
        deadline=response_deadline(received_at, urgency, params.values),
        params=params,
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
        deadline=completion_deadline(received_at, urgency, params.values),
        params=params,
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
        "为地方做法，可由系统管理员按生效日期调整）。"
    ),
    "service.completion_late": gettext_lazy(
        "承办单位应在接到群众诉求后按紧急程度在规定时限内办结并答复居民（紧急24小时、一般7天、"
        "复杂15天，为地方做法，可由系统管理员按生效日期调整）。"
    ),
}
