"""Organization rules (RULES.md §1) as pure functions: the state of one organization on one day.

Each function receives the ``RuleParams`` in force on the day it judges and returns a ``Finding`` (code,
citation and parameter values taken from those params) or ``None``. No database: the compliance engine
(``jiceng.core.compliance``) loads the facts in bulk and calls these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.compliance import Finding, OrgRef, fmt_day, make_finding
from jiceng.core.rulebook import RuleParams

from . import rules


class TermFacts(NamedTuple):
    """The committee in force on the day judged, as elected (and as extended with approval)."""

    elected_on: dt.date
    term_years: int
    extended_to: dt.date | None

    @property
    def ends_on(self) -> dt.date:
        return rules.term_end(
            elected_on=self.elected_on, term_years=self.term_years, extended_to=self.extended_to
        )


class SecretaryFacts(NamedTuple):
    member_id: int
    name: str
    full_member_on: dt.date | None
    standing_correction: int


def standing_years(full_member_on: dt.date, day: dt.date, correction: int = 0) -> int:
    """党龄 on ``day``: whole years since becoming a full member, plus the correction; 0 before that."""
    if full_member_on > day:
        return 0
    whole = (
        day.year - full_member_on.year - ((day.month, day.day) < (full_member_on.month, full_member_on.day))
    )
    return max(0, whole + correction)


def branch_too_small(*, org: OrgRef, day: dt.date, full_members: int, params: RuleParams) -> Finding | None:
    if not params.enabled or full_members >= params["min_full_members"]:
        return None
    return make_finding(
        params, org, day.isoformat(), {"day": day, "full": full_members, "min": params["min_full_members"]}
    )


def branch_too_large(*, org: OrgRef, day: dt.date, members: int, params: RuleParams) -> Finding | None:
    if not params.enabled or members <= params["max_members"]:
        return None
    return make_finding(
        params, org, day.isoformat(), {"day": day, "members": members, "max": params["max_members"]}
    )


def committee_missing(
    *, org: OrgRef, day: dt.date, full_members: int, has_committee: bool, params: RuleParams
) -> Finding | None:
    if not params.enabled or has_committee or full_members < params["committee_threshold"]:
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {"day": day, "full": full_members, "threshold": params["committee_threshold"]},
    )


def committee_size(
    *, org: OrgRef, day: dt.date, size: int, committee_required: bool, params: RuleParams
) -> Finding | None:
    """The committee in force on ``day`` counts its posts (书记, 副书记, 委员 ...).

    A branch not required to have a committee (fewer full members than ``org.committee_missing``'s
    threshold) may elect only a secretary, and a deputy if needed: one or two posts are then no
    committee to size.
    """
    if not params.enabled or params["min_size"] <= size <= params["max_size"]:
        return None
    if not committee_required and size <= 2:
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {"day": day, "size": size, "min": params["min_size"], "max": params["max_size"]},
    )


def committee_term_expired(
    *, org: OrgRef, day: dt.date, term: TermFacts, params: RuleParams
) -> Finding | None:
    """The term has ended on or before ``day`` (a term ending on the day judged has ended) and the
    committee is still in force, i.e. no new election is recorded.

    The term judged is the committee's own, as recorded at its election (``term_years``, chosen within
    the regulation's 3 or 5 years) or as extended with the higher committee's approval.
    """
    if not params.enabled or term.ends_on > day:
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {
            "day": day,
            "elected_on": term.elected_on,
            "term_years": term.term_years,
            "term_ends_on": term.ends_on,
            "extended": term.extended_to is not None,
        },
        used={"term_years": term.term_years, "extended_to": term.extended_to},
    )


def committee_term_due(*, org: OrgRef, day: dt.date, term: TermFacts, params: RuleParams) -> Finding | None:
    """A reminder: the term ends after ``day`` but within ``notice_months`` of it."""
    if not params.enabled:
        return None
    ends = term.ends_on
    if not (day < ends <= rules.add_months(day, params["notice_months"])):
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {"day": day, "term_ends_on": ends, "months": params["notice_months"]},
        due_on=ends,
    )


def secretary_missing(
    *, org: OrgRef, day: dt.date, has_secretary: bool, params: RuleParams
) -> Finding | None:
    if not params.enabled or has_secretary:
        return None
    return make_finding(params, org, day.isoformat(), {"day": day})


def secretary_standing_short(
    *, org: OrgRef, day: dt.date, secretary: SecretaryFacts, params: RuleParams
) -> Finding | None:
    """党龄 counts from becoming a full member; with no such date recorded the rule cannot judge."""
    if not params.enabled or secretary.full_member_on is None:
        return None
    years = standing_years(secretary.full_member_on, day, secretary.standing_correction)
    if years >= params["min_standing_years"]:
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {"day": day, "name": secretary.name, "years": years, "min": params["min_standing_years"]},
        member=secretary.member_id,
        member_name=secretary.name,
    )


# Sentences --------------------------------------------------------------------------------------------


def _term_expired(f: Mapping[str, Any]) -> str:
    if f["extended"]:
        return _("本届委员会经批准延期至%(ends)s，已到期，截至%(day)s尚未换届") % {
            "ends": fmt_day(f["term_ends_on"]),
            "day": fmt_day(f["day"]),
        }
    return _("本届委员会于%(elected)s选举产生，任期%(years)s年，已于%(ends)s届满，截至%(day)s尚未换届") % {
        "elected": fmt_day(f["elected_on"]),
        "years": f["term_years"],
        "ends": fmt_day(f["term_ends_on"]),
        "day": fmt_day(f["day"]),
    }


MESSAGES = {
    "org.branch_too_small": lambda f: (
        _("截至%(day)s，本支部正式党员%(full)s名，不足%(min)s名")
        % {"day": fmt_day(f["day"]), "full": f["full"], "min": f["min"]}
    ),
    "org.branch_too_large": lambda f: (
        _("截至%(day)s，本支部有党员%(members)s名，超过%(max)s名，一般应分设党支部")
        % {"day": fmt_day(f["day"]), "members": f["members"], "max": f["max"]}
    ),
    "org.committee_missing": lambda f: (
        _("截至%(day)s，本支部有正式党员%(full)s名（%(threshold)s名以上），未设立支部委员会")
        % {"day": fmt_day(f["day"]), "full": f["full"], "threshold": f["threshold"]}
    ),
    "org.committee_size": lambda f: (
        _("截至%(day)s，支部委员会有委员%(size)s名，不在%(min)s至%(max)s名之间")
        % {"day": fmt_day(f["day"]), "size": f["size"], "min": f["min"], "max": f["max"]}
    ),
    "org.committee_term_expired": _term_expired,
    "org.committee_term_due": lambda f: (
        _("本届委员会任期将于%(ends)s届满（%(day)s起不足%(months)s个月），请做好换届准备")
        % {"ends": fmt_day(f["term_ends_on"]), "day": fmt_day(f["day"]), "months": f["months"]}
    ),
    "org.secretary_missing": lambda f: _("截至%(day)s，本支部没有书记") % {"day": fmt_day(f["day"])},
    "org.secretary_standing_short": lambda f: (
        _("截至%(day)s，支部书记%(name)s的党龄为%(years)s年，不足%(min)s年")
        % {"day": fmt_day(f["day"]), "name": f["name"], "years": f["years"], "min": f["min"]}
    ),
}

EXPLANATIONS = {
    "org.branch_too_small": gettext_lazy(
        "有正式党员3人以上的，应当成立党支部。按评估日当天的正式党员人数判断（当天已转正、党籍未终止）。"
    ),
    "org.branch_too_large": gettext_lazy(
        "党支部党员人数一般不超过50人；党员人数较多的，可以分设党支部。按评估日当天的党员人数（正式党员和预备党员）判断。"
    ),
    "org.committee_missing": gettext_lazy(
        "正式党员7人以上的党支部，应当设立支部委员会。按评估日当天的正式党员人数和当天在任的委员会判断。"
    ),
    "org.committee_size": gettext_lazy(
        "支部委员会由3至5人组成，一般不超过7人。按评估日当天在任的委员会所登记的职务人数判断；"
        "正式党员不足7人、只设书记（和副书记）的党支部不按委员会人数考核。"
    ),
    "org.committee_term_expired": gettext_lazy(
        "委员会任期届满应当按期换届；确需延期或提前换届的，须经上级党委批准，期限一般不超过1年。"
        "任期按选举时登记的任期年限（或批准的延期日期）计算，届满当日即视为已届满。"
    ),
    "org.committee_term_due": gettext_lazy("委员会任期将在规定月数内届满，这是换届准备的提醒，并非违规。"),
    "org.secretary_missing": gettext_lazy(
        "党支部应当设书记。按评估日当天在任委员会中登记的书记职务判断；未设支部委员会的党支部，按其登记的书记判断（书记党籍已终止或已转出本支部的视为没有书记）。"
    ),
    "org.secretary_standing_short": gettext_lazy(
        "党支部书记一般应具有1年以上党龄。党龄从转正之日起计算，加上登记的党龄校正值。"
    ),
}
