"""Organization rules that are pure functions of dates and kinds (RULES.md §1).

The state checks over a whole tree (branch too small, committee term expired, ...) belong to the
compliance engine; what lives here is what the records themselves need: the term length a new
committee gets, and when a term ends.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

TERM_CITATION = "关于党的基层组织任期的意见（2018）；中国共产党支部工作条例（试行）第二十一条"

# Unit kinds whose branches and general branches serve five-year terms (任期意见).
FIVE_YEAR_UNITS = frozenset({"community", "village"})


def default_term_years(*, kind: str, unit_kind: str, params: dict | None = None) -> int:
    """The term of a new committee, by rule `org.committee_term_expired`'s parameters (``params``: the
    values in force on the election day; the shipped ones when absent): 5 years for grassroots
    committees and for branches of 社区/农村 units, 3 otherwise."""
    p = params or {}
    if kind in ("committee", "working_committee"):
        return int(p.get("term_years_committee", 5))
    if unit_kind in FIVE_YEAR_UNITS:
        return int(p.get("term_years_community_village", 5))
    return int(p.get("term_years_other", 3))


# 1921-07-01: the Party's founding day. No organization's records can begin before it.
EARLIEST_RECORDS = dt.date(1921, 7, 1)


def records_since_problem(*, day: dt.date, today: dt.date) -> tuple[str, str] | None:
    """Why ``day`` cannot be an organization's 记录起始日期, as (code, reason), or None when it can:
    it is not in the future, and not before the Party's founding (1921-07-01)."""
    if day > today:
        return "date_in_future", _("记录起始日期不能晚于今天")
    if day < EARLIEST_RECORDS:
        return "date_too_early", _("记录起始日期不能早于1921年7月1日")
    return None


def is_appointed(kind: str) -> bool:
    """A 党工委 (街道党工委, 园区党工委) is the higher committee's dispatched body: its members are
    appointed (任命), it is not elected and has no term; every other committee is elected for a term."""
    return kind == "working_committee"


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def term_end(*, elected_on: dt.date, term_years: int | None, extended_to: dt.date | None) -> dt.date | None:
    """A term ends ``term_years`` after the election; an approved extension replaces that date. An
    appointed committee (``term_years`` None) has no term, hence no end."""
    if term_years is None:
        return None
    return extended_to or add_years(elected_on, term_years)


def extension_allowed(*, elected_on: dt.date, term_years: int, extended_to: dt.date) -> bool:
    """选举条例 Art. 3: a delay or an advance of the election is at most one year."""
    regular = add_years(elected_on, term_years)
    return add_years(regular, -1) <= extended_to <= add_years(regular, 1)


ALLOWED_PARENT_KINDS: dict[str, frozenset[str]] = {
    "committee": frozenset({"committee", "working_committee"}),
    "working_committee": frozenset({"committee", "working_committee"}),
    "general_branch": frozenset({"committee", "working_committee"}),
    "branch": frozenset({"committee", "working_committee", "general_branch"}),
}


def parent_allowed(*, kind: str, parent_kind: str | None) -> bool:
    """Branches hold members and have no child organizations; a general branch sits under a committee."""
    if parent_kind is None:
        return True  # any kind may be a root: a county committee, or a lone branch using jiceng
    return parent_kind in ALLOWED_PARENT_KINDS[kind]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's last day (31 Aug + 6 → 28/29 Feb)."""
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
