"""Calendar periods as the compliance engine and its command line name them.

``YYYY-MM`` a month, ``YYYY-Qn`` a quarter, ``YYYY`` a year, ``YYYY-MM-DD`` a day (state rules).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str  # month, quarter, year, day

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return self.start.isoformat()

    def __str__(self) -> str:
        return self.label

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[Period]:
        out, cursor = [], self.start.replace(day=1)
        while cursor <= self.end:
            out.append(month(cursor.year, cursor.month))
            cursor = out[-1].end + dt.timedelta(days=1)
        return out

    def quarters(self) -> list[Period]:
        """The quarters that lie wholly inside this period."""
        if self.kind not in ("quarter", "year"):
            return []
        return [
            quarter(m.start.year, (m.start.month - 1) // 3 + 1)
            for m in self.months()
            if m.start.month % 3 == 1
        ]

    def years(self) -> list[Period]:
        return [self] if self.kind == "year" else []


def month(year: int, number: int) -> Period:
    last = calendar.monthrange(year, number)[1]
    return Period(dt.date(year, number, 1), dt.date(year, number, last), "month")


def quarter(year: int, number: int) -> Period:
    first = 3 * (number - 1) + 1
    return Period(dt.date(year, first, 1), month(year, first + 2).end, "quarter")


def year(number: int) -> Period:
    return Period(dt.date(number, 1, 1), dt.date(number, 12, 31), "year")


def day(value: dt.date) -> Period:
    return Period(value, value, "day")


def parse(text: str) -> Period:
    """Parse a period name; raise PeriodError with a message a person understands."""
    text = (text or "").strip()
    if (m := re.match(r"^(\d{4})", text)) and int(m[1]) < 1:  # year 0 is no date (was a 500)
        raise PeriodError(_("无效的日期：%(text)s") % {"text": text})
    if m := _MONTH.match(text):
        return month(int(m[1]), int(m[2]))
    if m := _QUARTER.match(text.upper()):
        return quarter(int(m[1]), int(m[2]))
    if m := _YEAR.match(text):
        return year(int(m[1]))
    if m := _DAY.match(text):
        try:
            return day(dt.date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError as e:
            raise PeriodError(_("无效的日期：%(text)s") % {"text": text}) from e
    raise PeriodError(
        _("无法识别的期间：%(text)s（应为 YYYY-MM、YYYY-Qn、YYYY 或 YYYY-MM-DD）") % {"text": repr(text)}
    )


def containing(kind: str, value: dt.date) -> Period:
    if kind == "month":
        return month(value.year, value.month)
    if kind == "quarter":
        return quarter(value.year, (value.month - 1) // 3 + 1)
    if kind == "year":
        return year(value.year)
    return day(value)
