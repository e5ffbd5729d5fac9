"""Checks on one member's record, as pure functions of its values.

Each check names a machine code, the field it is about and, where a regulation stands behind it,
the citation. Forms, the API, the services and the importer all call ``check_record`` so a record
is judged the same way wherever it comes from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jiceng.core import dates, idnumber
from jiceng.orgs.rules import add_years

MIN_AGE = 18  # 党章 Art. 1; 发展党员工作细则 Art. 5 (RULES.md dev.min_age)
MIN_AGE_CITATION = "中国共产党章程第一条；中国共产党发展党员工作细则第五条"
PROBATION_YEARS = 1  # 党章 Art. 7 (RULES.md dev.probation_min_period)
PROBATION_CITATION = "中国共产党章程第七条"


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str
    citation: str = ""


def check_record(
    *,
    id_number: str | None,
    birth_date: dt.date | None,
    status: str | None,
    joined_on: dt.date | None,
    full_member_on: dt.date | None,
    today: dt.date,
    gender: str | None = None,
) -> list[Problem]:
    """Every problem with these values; an empty list means the record is consistent.

    The identity number carries the birth date (digits 7-14) and the sex (digit 17: odd male, even
    female): a record whose 出生日期 or 性别 disagrees with it is refused, the problem named on the
    field that disagrees with the number."""
    problems: list[Problem] = []
    if id_number is not None:
        try:
            number = idnumber.validate(id_number, birth_date=birth_date)
        except ValidationError as e:
            problems.append(Problem("id_number", e.code or "id_invalid", e.messages[0]))
        else:
            mismatch = idnumber.gender_mismatch(number, gender)
            if mismatch is not None:
                problems.append(
                    Problem("gender", mismatch.code or "id_gender_mismatch", mismatch.messages[0])
                )
    if birth_date and birth_date > today:
        problems.append(Problem("birth_date", "date_in_future", _("出生日期不能晚于今天")))
    # Bounds from the dates' meaning (core.dates): no member born before 1900, nobody joined the Party
    # before it was founded (a year-1 date is a typing error, not history).
    for field, value, label, bound in (
        ("birth_date", birth_date, _("出生日期"), dates.earliest_birth),
        ("joined_on", joined_on, _("入党日期"), dates.founded),
        ("full_member_on", full_member_on, _("转正日期"), dates.founded),
    ):
        if value and value < bound().day:
            early = dates.date_problem(value, label=label, not_before=[bound()])
            problems.append(Problem(field, "date_too_early", early.messages[0]))
    if joined_on and joined_on > today:
        problems.append(Problem("joined_on", "date_in_future", _("入党日期不能晚于今天")))
    if full_member_on and full_member_on > today:
        problems.append(Problem("full_member_on", "date_in_future", _("转正日期不能晚于今天")))
    # The date arithmetic below only makes sense for dates that are not already refused as future ones.
    born = birth_date if birth_date and birth_date <= today else None
    joined = joined_on if joined_on and joined_on <= today else None
    full_on = full_member_on if full_member_on and full_member_on <= today else None
    if born and joined and joined < add_years(born, MIN_AGE):
        problems.append(
            Problem(
                "joined_on",
                "joined_under_age",
                _("入党时未满十八周岁（满十八周岁之日为%(day)s）")
                % {"day": add_years(born, MIN_AGE).isoformat()},
                MIN_AGE_CITATION,
            )
        )
    if status == "probationary" and full_member_on:
        problems.append(Problem("full_member_on", "probationary_has_full_date", _("预备党员不应有转正日期")))
    if status == "full" and joined_on and not full_member_on:
        problems.append(Problem("full_member_on", "full_date_missing", _("正式党员须填写转正日期")))
    if joined and full_on:
        earliest = add_years(joined, PROBATION_YEARS)
        if full_on < earliest:
            problems.append(
                Problem(
                    "full_member_on",
                    "probation_too_short",
                    _("转正日期须在入党日期满一年之后，最早为%(day)s") % {"day": earliest.isoformat()},
                    PROBATION_CITATION,
                )
            )
    return problems


def as_validation_error(problems: list[Problem]) -> ValidationError:
    errors: dict[str, list[ValidationError]] = {}
    for p in problems:
        errors.setdefault(p.field, []).append(ValidationError(p.message, code=p.code))
    return ValidationError(errors)
