"""Bounds of dates by their meaning (issue 11 item 8), one helper for every service.

A date typed on a page, sent to the API or read from an import goes through the same service, and
the service asks ``check_date`` (or collects ``date_problem``) with the bounds its meaning gives:
nothing of the Party before its founding (``PARTY_FOUNDED``, 1921-07-01), nothing before the
member's birth or joining where that matters, nothing in the future where it cannot be. A date of
year 1 or 9999 is therefore refused with a clear message naming the field, instead of leaving a
membership period that ends before it starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PARTY_FOUNDED = dt.date(1921, 7, 1)
# The earliest birth date a living member or applicant may have, and the last year any period or
# planned date may name (calendars, due dates): beyond, a typing error.
EARLIEST_BIRTH = dt.date(1900, 1, 1)
LATEST_YEAR = 2200


@dataclass(frozen=True)
class Bound:
    """A day a date may not cross, and what it is (shown in the message)."""

    day: dt.date
    label: str | Promise


def founded() -> Bound:
    return Bound(PARTY_FOUNDED, gettext_lazy("中国共产党成立之日"))


def earliest_birth() -> Bound:
    return Bound(EARLIEST_BIRTH, gettext_lazy("1900年1月1日"))


def today() -> Bound:
    return Bound(timezone.localdate(), gettext_lazy("今天"))


def latest() -> Bound:
    return Bound(dt.date(LATEST_YEAR, 12, 31), gettext_lazy("%(year)d年") % {"year": LATEST_YEAR})


def date_problem(
    value: dt.date | None,
    *,
    label: str | Promise,
    not_before: Iterable[Bound | None] = (),
    not_after: Iterable[Bound | None] = (),
) -> ValidationError | None:
    """The first bound ``value`` crosses, as a ValidationError (code ``date_too_early`` or
    ``date_too_late``, ``date_in_future`` when the bound is today); None when it is within them.
    A bound given as None (a date the record does not have) is skipped."""
    if value is None:
        return None
    for bound in not_before:
        if bound is not None and value < bound.day:
            return ValidationError(
                _("%(label)s不能早于%(bound)s（%(day)s）")
                % {"label": label, "bound": bound.label, "day": bound.day.isoformat()},
                code="date_too_early",
            )
    for bound in not_after:
        if bound is not None and value > bound.day:
            is_today = bound.day == timezone.localdate() and str(bound.label) == str(gettext_lazy("今天"))
            return ValidationError(
                _("%(label)s不能晚于%(bound)s") % {"label": label, "bound": bound.label}
                if is_today
                else _("%(label)s不能晚于%(bound)s（%(day)s）")
                % {"label": label, "bound": bound.label, "day": bound.day.isoformat()},
                code="date_in_future" if is_today else "date_too_late",
            )
    return None


def check_date(
    value: dt.date | None,
    *,
    field: str,
    label: str | Promise,
    not_before: Iterable[Bound | None] = (),
    not_after: Iterable[Bound | None] = (),
) -> None:
    """Raise ``ValidationError({field: ...})`` when ``value`` crosses a bound (see ``date_problem``)."""
    problem = date_problem(value, label=label, not_before=not_before, not_after=not_after)
    if problem is not None:
        raise ValidationError({field: problem})


def party_event(value: dt.date | None, *, field: str, label: str | Promise, future: bool = False) -> None:
    """A Party event (a meeting, a joining, a transfer, an organization's founding …): not before
    1921-07-01, and unless ``future``, not after today; never after ``LATEST_YEAR``."""
    check_date(
        value,
        field=field,
        label=label,
        not_before=[founded()],
        not_after=[latest() if future else today()],
    )


def within_years(year: int) -> bool:
    """A year the organizational-life calendar may show."""
    return PARTY_FOUNDED.year <= year <= LATEST_YEAR
